"""Every SQL statement of the reports domain; each query is scoped by organisation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ecotrack.reports.models import Report, ReportSchedule


def add(session: Session, row: Report | ReportSchedule) -> None:
    session.add(row)
    session.flush()


def get_report(session: Session, *, org_id: int, report_id: int) -> Report | None:
    return session.execute(
        select(Report).where(Report.id == report_id, Report.org_id == org_id)
    ).scalar_one_or_none()


def get_report_any_org(session: Session, report_id: int) -> Report | None:
    """For the job, which carries only the id."""
    return session.get(Report, report_id)


def list_reports(
    session: Session, *, org_id: int, limit: int, offset: int
) -> tuple[Sequence[Report], int]:
    total = session.execute(
        select(func.count()).select_from(Report).where(Report.org_id == org_id)
    ).scalar_one()
    rows = (
        session.execute(
            select(Report)
            .where(Report.org_id == org_id)
            .order_by(Report.id.desc())
            .limit(limit)
            .offset(offset)
        )
        .scalars()
        .all()
    )
    return rows, int(total)


def count_active(session: Session, *, org_id: int) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(Report)
            .where(Report.org_id == org_id, Report.status.in_(("pending", "running")))
        ).scalar_one()
    )


def claim(session: Session, report_id: int, *, now: datetime) -> bool:
    """pending → running, once (a second delivery of the job finds it taken)."""
    result = session.execute(
        update(Report)
        .where(Report.id == report_id, Report.status == "pending")
        .values(status="running", started_at=now, progress=0)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def set_progress(session: Session, report_id: int, progress: int) -> None:
    session.execute(update(Report).where(Report.id == report_id).values(progress=progress))


def expired(session: Session, *, now: datetime) -> Sequence[Report]:
    return (
        session.execute(
            select(Report).where(
                Report.status.in_(("done", "failed")),
                Report.expires_at.is_not(None),
                Report.expires_at <= now,
            )
        )
        .scalars()
        .all()
    )


def stale_running(session: Session, *, before: datetime) -> Sequence[Report]:
    return (
        session.execute(
            select(Report).where(Report.status == "running", Report.started_at < before)
        )
        .scalars()
        .all()
    )


def live_files(session: Session) -> set[str]:
    """File names of every report whose file should exist."""
    rows = session.execute(select(Report.file_name).where(Report.file_name.is_not(None)))
    return {name for name in rows.scalars() if name}


def list_schedules(session: Session, *, org_id: int) -> Sequence[ReportSchedule]:
    return (
        session.execute(
            select(ReportSchedule)
            .where(ReportSchedule.org_id == org_id)
            .order_by(ReportSchedule.id)
        )
        .scalars()
        .all()
    )


def get_schedule(session: Session, *, org_id: int, schedule_id: int) -> ReportSchedule | None:
    return session.execute(
        select(ReportSchedule).where(
            ReportSchedule.id == schedule_id, ReportSchedule.org_id == org_id
        )
    ).scalar_one_or_none()


def find_schedule(
    session: Session,
    *,
    org_id: int,
    format: str,
    group_by: str,  # noqa: A002
) -> ReportSchedule | None:
    return session.execute(
        select(ReportSchedule).where(
            ReportSchedule.org_id == org_id,
            ReportSchedule.format == format,
            ReportSchedule.group_by == group_by,
        )
    ).scalar_one_or_none()


def due_schedules(session: Session, *, period: str) -> Sequence[ReportSchedule]:
    """Enabled schedules that have not yet made the report of `period` (YYYY-MM)."""
    return (
        session.execute(
            select(ReportSchedule).where(
                ReportSchedule.enabled.is_(True),
                (ReportSchedule.last_period.is_(None)) | (ReportSchedule.last_period < period),
            )
        )
        .scalars()
        .all()
    )


def mark_schedule_done(session: Session, schedule_id: int, *, period: str) -> bool:
    """Move `last_period` forward, once: the process whose UPDATE wins makes the report."""
    result = session.execute(
        update(ReportSchedule)
        .where(
            ReportSchedule.id == schedule_id,
            (ReportSchedule.last_period.is_(None)) | (ReportSchedule.last_period < period),
        )
        .values(last_period=period)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def delete(session: Session, row: Report | ReportSchedule) -> None:
    session.delete(row)
    session.flush()
