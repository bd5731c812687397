"""Usage reports: request → the `reports.generate` job writes a CSV or PDF into the data
directory → status and progress → download until it expires. Monthly schedules make the previous
month's report through the beat (`reports.run_schedules`).

The figures come from `usage_service` (its `summary`, `timeseries`, `totals` and `events`): the
rollups, never a second copy. A long job reads in short units of work (one per chunk) so progress
is visible and SQLite's single writer is never held while a file is written.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from ecotrack.core.db import utcnow
from ecotrack.core.errors import AppError, ConflictError, NotFoundError, ValidationFailed
from ecotrack.core.jobs import enqueue
from ecotrack.core.pagination import Page, PageParams
from ecotrack.core.settings import Settings
from ecotrack.orgs.service import orgs_service
from ecotrack.reports import render, repository
from ecotrack.reports.models import Report, ReportSchedule
from ecotrack.reports.schemas import (
    Report as ReportOut,
)
from ecotrack.reports.schemas import (
    ReportCreate,
    ReportScheduleCreate,
)
from ecotrack.usage.schemas import UsageFilters, UsageGroup
from ecotrack.usage.service import usage_service

logger = logging.getLogger("ecotrack.reports")

GENERATE_TASK = "reports.generate"
CHUNK_DAYS = 92  # days per CSV chunk (one query and one write each)
PROVENANCE_PAGE = 500
STALE_AFTER = timedelta(hours=1)
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
SessionScope = Callable[[], AbstractContextManager[Session]]
Progress = Callable[[int], None]


class ReportNotFound(NotFoundError):
    code = "report-not-found"


class ReportNotReady(ConflictError):
    code = "report-not-ready"


class ReportExpired(AppError):
    status_code = 410
    code = "report-expired"


class TooManyReports(AppError):
    status_code = 429
    code = "reports-in-progress"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": "30"})


class ReportRangeTooLong(ValidationFailed):
    code = "report-range-too-long"


class ScheduleNotFound(NotFoundError):
    code = "report-schedule-not-found"


class ScheduleExists(ConflictError):
    code = "report-schedule-exists"


@dataclass(frozen=True)
class ReportSpec:
    """What the job needs, read once when it claims the report."""

    id: int
    org_id: int
    org_name: str
    org_slug: str
    format: str
    group_by: str
    start: date
    end: date

    @property
    def file_name(self) -> str:
        return (
            f"ecotrack-{self.org_slug}-{self.start:%Y%m%d}-{self.end:%Y%m%d}-{self.group_by}"
            f"-r{self.id}.{self.format}"
        )


def report_dir(settings: Settings, org_id: int) -> Path:
    return settings.data_dir / "reports" / str(org_id)


def _windows(start: date, end: date, group_by: str) -> Iterator[tuple[date, date]]:
    """Consecutive day ranges of about CHUNK_DAYS covering [start, end], cut only at week or
    month boundaries when grouping by week or month (a group never spans two chunks)."""
    lo = start
    while lo <= end:
        hi = lo + timedelta(days=CHUNK_DAYS - 1)
        if group_by == "week":
            hi += timedelta(days=6 - hi.weekday())
        elif group_by == "month":
            hi = (hi.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        hi = min(hi, end)
        yield lo, hi
        lo = hi + timedelta(days=1)


def _interval_for(start: date, end: date) -> str:
    days = (end - start).days + 1
    return "day" if days <= 62 else "week" if days <= 366 else "month"


def previous_month(today: date) -> tuple[str, date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last:%Y-%m}", last.replace(day=1), last


class ReportsService:
    # --- requests ---------------------------------------------------------------------------

    def create(
        self,
        session: Session,
        *,
        org_id: int,
        requested_by: int | None,
        report_in: ReportCreate,
        settings: Settings,
        schedule_id: int | None = None,
    ) -> Report:
        days = (report_in.end - report_in.start).days + 1
        if days > settings.report_max_days:
            raise ReportRangeTooLong(
                f"A report may span at most {settings.report_max_days} days (asked: {days})",
                errors=[{"loc": ["body", "to"], "msg": "range too long", "type": "value_error"}],
            )
        if repository.count_active(session, org_id=org_id) >= settings.report_max_active_per_org:
            raise TooManyReports(
                f"At most {settings.report_max_active_per_org} reports may be in progress at once"
            )
        report = Report(
            org_id=org_id,
            requested_by_id=requested_by,
            schedule_id=schedule_id,
            format=report_in.format.value,
            group_by=report_in.group_by.value,
            start_date=report_in.start,
            end_date=report_in.end,
            status="pending",
            progress=0,
        )
        repository.add(session, report)
        enqueue(session, GENERATE_TASK, report.id)
        return report

    def get(self, session: Session, *, org_id: int, report_id: int) -> Report:
        report = repository.get_report(session, org_id=org_id, report_id=report_id)
        if report is None:
            raise ReportNotFound(f"No report {report_id}")
        return report

    def list_reports(self, session: Session, *, org_id: int, page: PageParams) -> Page[ReportOut]:
        rows, total = repository.list_reports(
            session, org_id=org_id, limit=page.limit, offset=page.offset
        )
        return Page[ReportOut](
            items=[ReportOut.model_validate(r) for r in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    def download(
        self, session: Session, *, org_id: int, report_id: int, settings: Settings
    ) -> tuple[Path, str, str]:
        """(path, file name, media type) of a finished report that has not expired."""
        report = self.get(session, org_id=org_id, report_id=report_id)
        if report.status == "expired" or (
            report.expires_at is not None and report.expires_at <= utcnow()
        ):
            raise ReportExpired(f"Report {report_id} has expired: request a new one")
        if report.status != "done" or report.file_name is None:
            raise ReportNotReady(f"Report {report_id} is {report.status}, not ready")
        path = report_dir(settings, org_id) / report.file_name
        if not path.is_file():
            raise ReportExpired(f"The file of report {report_id} is gone: request a new one")
        return path, report.file_name, MEDIA_TYPES[report.format]

    # --- the job ----------------------------------------------------------------------------

    def claim(self, session: Session, *, report_id: int) -> ReportSpec | None:
        """Move a pending report to running (once); None when it is not pending."""
        report = repository.get_report_any_org(session, report_id)
        if report is None or not repository.claim(session, report_id, now=utcnow()):
            return None
        slug = orgs_service.factor_overrides_for(session, org_id=report.org_id).org
        org = orgs_service.get_org_by_slug(session, slug=slug)
        return ReportSpec(
            id=report.id,
            org_id=report.org_id,
            org_name=org.name,
            org_slug=org.slug,
            format=report.format,
            group_by=report.group_by,
            start=report.start_date,
            end=report.end_date,
        )

    def set_progress(self, session: Session, *, report_id: int, progress: int) -> None:
        repository.set_progress(session, report_id, max(0, min(99, progress)))

    def finish(self, session: Session, *, report_id: int, path: Path, settings: Settings) -> None:
        report = repository.get_report_any_org(session, report_id)
        if report is None:  # deleted with its organisation meanwhile
            path.unlink(missing_ok=True)
            return
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 16), b""):
                digest.update(block)
        now = utcnow()
        report.status = "done"
        report.progress = 100
        report.file_name = path.name
        report.size_bytes = path.stat().st_size
        report.sha256 = digest.hexdigest()
        report.completed_at = now
        report.expires_at = now + timedelta(hours=settings.report_ttl_hours)
        session.flush()

    def fail(self, session: Session, *, report_id: int, error: str, settings: Settings) -> None:
        report = repository.get_report_any_org(session, report_id)
        if report is None:
            return
        now = utcnow()
        report.status = "failed"
        report.error = error[:2000]
        report.completed_at = now
        report.expires_at = now + timedelta(hours=settings.report_ttl_hours)
        session.flush()

    def write_file(
        self, spec: ReportSpec, *, scope: SessionScope, settings: Settings, progress: Progress
    ) -> Path:
        """Write the report's file (atomically: a `.part` file renamed at the end). Reads happen
        in short units of work opened with `scope`."""
        directory = report_dir(settings, spec.org_id)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / spec.file_name
        partial = path.with_name(path.name + ".part")
        try:
            if spec.format == "csv":
                with partial.open("wb") as fh:
                    for chunk in render.csv_chunks(
                        spec.group_by, self._csv_pages(spec, scope, progress)
                    ):
                        fh.write(chunk)
            else:
                render.build_pdf(partial, self._pdf_data(spec, scope, progress))
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return path

    def _csv_pages(
        self, spec: ReportSpec, scope: SessionScope, progress: Progress
    ) -> Iterator[list[UsageGroup]]:
        """Pages of groups: one date window at a time (keyset on the day) for day/week/month;
        one query for the other dimensions (their groups span the whole period)."""
        if spec.group_by not in render.TIME_GROUPS:
            with scope() as session:
                yield self._summary(session, spec, spec.start, spec.end, spec.group_by)
            return
        windows = list(_windows(spec.start, spec.end, spec.group_by))
        for index, (lo, hi) in enumerate(windows):
            with scope() as session:
                page = self._summary(session, spec, lo, hi, spec.group_by)
            yield page
            progress(int(100 * (index + 1) / len(windows)))

    @staticmethod
    def _summary(
        session: Session, spec: ReportSpec, start: date, end: date, group_by: str
    ) -> list[UsageGroup]:
        return usage_service.summary(
            session,
            org_id=spec.org_id,
            start=start,
            end=end,
            group_by=group_by,
            filters=UsageFilters(),
        )

    def _pdf_data(
        self, spec: ReportSpec, scope: SessionScope, progress: Progress
    ) -> render.PdfReport:
        interval = _interval_for(spec.start, spec.end)
        with scope() as session:
            totals = usage_service.totals(
                session,
                org_id=spec.org_id,
                start=datetime.combine(spec.start, time(), UTC),
                end=datetime.combine(spec.end + timedelta(days=1), time(), UTC),
            )
            groups = self._summary(session, spec, spec.start, spec.end, spec.group_by)
            series = usage_service.timeseries(
                session,
                org_id=spec.org_id,
                start=spec.start,
                end=spec.end,
                interval=interval,
                filters=UsageFilters(),
            )
            top_models = self._summary(session, spec, spec.start, spec.end, "model")
        progress(40)
        provenance, counted = self._provenance(spec, scope)
        progress(70)
        return render.PdfReport(
            org_name=spec.org_name,
            org_slug=spec.org_slug,
            start=spec.start,
            end=spec.end,
            group_by=spec.group_by,
            generated_at=utcnow(),
            totals=totals,
            groups=groups,
            series=series,
            interval=interval,
            top_models=top_models,
            provenance=provenance,
            provenance_events=counted,
        )

    def _provenance(
        self, spec: ReportSpec, scope: SessionScope
    ) -> tuple[list[render.Provenance], int]:
        """Which methodology, model data and grid factors the period's events used: every event
        counted (one aggregate query in the usage domain), most used first."""
        start = datetime.combine(spec.start, time(), UTC)
        end = datetime.combine(spec.end + timedelta(days=1), time(), UTC)
        with scope() as session:
            rows = usage_service.provenance(session, org_id=spec.org_id, start=start, end=end)
        counts: Counter[tuple[str, str, str, str]] = Counter()
        for status, methodology, source, zone, grid, n in rows:
            if methodology is None:
                key = (f"not estimated ({status})", "-", zone or "-", "-")
            else:
                key = (methodology, source or "-", zone or "-", grid or "-")
            counts[key] += n
        out = [
            render.Provenance(m, s, z, g, n)
            for (m, s, z, g), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        return out, sum(counts.values())

    # --- housekeeping -----------------------------------------------------------------------

    def expire(self, session: Session, *, settings: Settings) -> int:
        """Delete the files of reports past their expiry; mark stale running reports failed."""
        now = utcnow()
        count = 0
        for report in repository.expired(session, now=now):
            if report.file_name:
                (report_dir(settings, report.org_id) / report.file_name).unlink(missing_ok=True)
            report.status = "expired"
            report.file_name = None
            count += 1
        for report in repository.stale_running(session, before=now - STALE_AFTER):
            report.status = "failed"
            report.error = "interrupted (the job did not finish within an hour)"
            report.completed_at = now
            report.expires_at = now + timedelta(hours=settings.report_ttl_hours)
        session.flush()
        self._sweep_orphans(settings, keep=repository.live_files(session), now=now)
        return count

    @staticmethod
    def _sweep_orphans(settings: Settings, *, keep: set[str], now: datetime) -> None:
        """Files whose report row is gone (its organisation was deleted) or unfinished leftovers
        older than STALE_AFTER."""
        root = settings.data_dir / "reports"
        if not root.is_dir():
            return
        cutoff = (now - STALE_AFTER).timestamp()
        for path in root.glob("*/*"):
            if path.is_file() and path.name not in keep and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)

    # --- schedules --------------------------------------------------------------------------

    def list_schedules(self, session: Session, *, org_id: int) -> list[ReportSchedule]:
        return list(repository.list_schedules(session, org_id=org_id))

    def create_schedule(
        self,
        session: Session,
        *,
        org_id: int,
        created_by: int | None,
        schedule_in: ReportScheduleCreate,
    ) -> ReportSchedule:
        fmt, group_by = schedule_in.format.value, schedule_in.group_by.value
        if repository.find_schedule(session, org_id=org_id, format=fmt, group_by=group_by):
            raise ScheduleExists(f"A monthly {fmt} report by {group_by} is already scheduled")
        schedule = ReportSchedule(
            org_id=org_id, format=fmt, group_by=group_by, created_by_id=created_by, enabled=True
        )
        repository.add(session, schedule)
        return schedule

    def delete_schedule(self, session: Session, *, org_id: int, schedule_id: int) -> None:
        schedule = repository.get_schedule(session, org_id=org_id, schedule_id=schedule_id)
        if schedule is None:
            raise ScheduleNotFound(f"No report schedule {schedule_id}")
        repository.delete(session, schedule)

    def run_schedules(self, session: Session, *, today: date, settings: Settings) -> int:
        """Make last month's report for every schedule that has not made it yet (idempotent:
        `last_period` moves first, by an UPDATE only one process wins)."""
        period, start, end = previous_month(today)
        made = 0
        for schedule in repository.due_schedules(session, period=period):
            if not repository.mark_schedule_done(session, schedule.id, period=period):
                continue
            self.create(
                session,
                org_id=schedule.org_id,
                requested_by=None,
                report_in=ReportCreate.model_validate(
                    {
                        "from": start,
                        "to": end,
                        "format": schedule.format,
                        "group_by": schedule.group_by,
                    }
                ),
                settings=settings.model_copy(update={"report_max_active_per_org": 1_000_000}),
                schedule_id=schedule.id,
            )
            made += 1
        return made


reports_service = ReportsService()
