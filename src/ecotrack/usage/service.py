"""AI usage: ingest (validate, enrich, store once, roll up), queries, repair and retention.

`usage_service` is what other domains use:

* `totals(session, *, org_id, start, end, team=, user=, provider=, model=) -> UsageTotals`:
  whole days from the rollups, the partial days at either end from the raw events.
* `summary(session, *, org_id, start, end, group_by, filters) -> list[UsageGroup]` and
  `timeseries(...)`: from the rollups (days inclusive).
* event `"usage.ingested"` (`org_id: int, days: list[date]`), published in the ingest
  transaction after the rollups are upserted.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from ecotrack.core.db import utcnow
from ecotrack.core.errors import NotFoundError, ValidationFailed
from ecotrack.core.events import publish, subscribe
from ecotrack.core.jobs import JobsError, enqueue
from ecotrack.core.settings import Settings
from ecotrack.factors.llm import ModelCatalogue
from ecotrack.factors.overrides import OverrideSet
from ecotrack.orgs.service import orgs_service
from ecotrack.usage import repository
from ecotrack.usage.enrich import catalogue_for, enrich, zone_for_region
from ecotrack.usage.ingest import decode_body, parse_and_validate, validate_events
from ecotrack.usage.models import SUM_COLUMNS, UsageEvent
from ecotrack.usage.schemas import (
    Dimension,
    GroupBy,
    IngestResult,
    Interval,
    Metric,
    RejectedEvent,
    UsageEventOut,
    UsageEventPage,
    UsageFigures,
    UsageFilters,
    UsageGroup,
    UsageTotals,
)

logger = logging.getLogger("ecotrack.usage")

INGESTED = "usage.ingested"
MAX_RANGE_DAYS = 1100
_GROUP_COLUMNS = {
    GroupBy.PROVIDER: "provider",
    GroupBy.MODEL: "model",
    GroupBy.USER: "user_ref",
    GroupBy.TEAM: "team",
}
_REENRICH_CHUNK = 1000


class InvalidRange(ValidationFailed):
    code = "invalid-range"

    def __init__(self, msg: str) -> None:
        super().__init__(msg, errors=[{"loc": ["query", "to"], "msg": msg, "type": "value_error"}])


class OrganisationGone(NotFoundError):
    """The key's organisation was deleted while its batch was on the way."""

    code = "org-not-found"


class InvalidCursor(ValidationFailed):
    code = "invalid-cursor"


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=UTC)


def _totals(row: Iterable[Any] | None) -> UsageTotals:
    return UsageTotals() if row is None else UsageTotals.from_row(list(row))


def _figures(t: UsageTotals) -> dict[str, Any]:
    return t.as_dict()


def _column_sums(rows: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    """Rows of sums in `SUM_COLUMNS` order added up column by column (zeros for none)."""
    if not rows:
        return UsageTotals().values()
    return tuple([sum(column) for column in zip(*rows, strict=True)])


_GROUP_LIST = TypeAdapter(list[UsageGroup])


def _groups(items: Iterable[tuple[str, date | None, Sequence[Any]]]) -> list[UsageGroup]:
    """Groups from (key, first day or None, sums in `SUM_COLUMNS` order), validated in one
    call (a month of days is 30 models: one call costs about half of 30)."""
    return _GROUP_LIST.validate_python(
        [
            dict(zip(SUM_COLUMNS, values, strict=True), key=key, start=start)
            for key, start, values in items
        ]
    )


def _bucket(d: date, interval: str) -> tuple[str, date]:
    if interval == "week":
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}", d - timedelta(days=d.weekday())
    if interval == "month":
        return f"{d.year:04d}-{d.month:02d}", d.replace(day=1)
    return d.isoformat(), d


def _encode_cursor(event: UsageEvent) -> str:
    raw = orjson.dumps([event.ts.isoformat(), event.event_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        ts, event_id = orjson.loads(base64.urlsafe_b64decode(padded))
        parsed = datetime.fromisoformat(ts)
        if parsed.tzinfo is None or not isinstance(event_id, str):
            raise ValueError(cursor)
        return parsed, event_id
    except Exception:
        raise InvalidCursor(
            "The cursor is not one this API returned",
            errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor", "type": "value_error"}],
        ) from None


def event_out(e: UsageEvent) -> UsageEventOut:
    return UsageEventOut(
        id=e.event_id,
        ts=e.ts,
        received_at=e.received_at,
        provider=e.provider,
        model=e.model,
        tokens_in=e.tokens_in,
        tokens_out=e.tokens_out,
        latency_ms=e.latency_ms,
        zone=e.zone,
        region=e.region,
        user=e.user_ref or None,
        team=e.team or None,
        app=e.app or None,
        metadata=e.meta,
        status=e.status,
        methodology=e.methodology,
        zone_used=e.zone_used,
        grid_factor_id=e.grid_factor_id,
        model_source=e.model_source,
        energy_kwh_min=e.energy_kwh_min,
        energy_kwh_max=e.energy_kwh_max,
        water_l_min=e.water_l_min,
        water_l_max=e.water_l_max,
        co2e_kg_min=e.co2e_kg_min,
        co2e_kg_max=e.co2e_kg_max,
    )


@dataclass(slots=True)
class PreparedBatch:
    """A batch validated and enriched, before any write (`UsageService.prepare`)."""

    org_id: int
    rows: list[dict[str, Any]]  # valid, enriched; the first occurrence of each id
    repeated: int  # events whose id came earlier in the same batch
    rejected: list[RejectedEvent]
    sums: dict[tuple[Any, ...], list[Any]] | None = None  # rollup sums of `rows`
    params: list[tuple[Any, ...]] | None = None  # SQLite insert parameters of `rows`


class UsageService:
    # --- ingest ---------------------------------------------------------------------------

    def org_context(
        self, session: Session, *, org_id: int, org_slug: str | None = None
    ) -> tuple[OverrideSet, ModelCatalogue]:
        """The organisation's factor overrides (its slug in `.org`) and model catalogue
        (`org_slug`, when the caller knows it, saves the reads for organisations without
        overrides or custom models)."""
        overrides, models = orgs_service.factor_layers_for(
            session, org_id=org_id, org_slug=org_slug
        )
        return overrides, catalogue_for(models)

    def plan_limit(self, settings: Settings, *, org_slug: str) -> tuple[str, int]:
        """The organisation's plan and its ingest requests per minute."""
        plan = settings.usage_org_plans.get(org_slug, settings.usage_default_plan)
        limit = settings.usage_plans.get(plan)
        if limit is None:
            logger.warning("unknown usage plan %r for %s: using the default", plan, org_slug)
            plan = settings.usage_default_plan
            limit = settings.usage_plans.get(plan, 600)
        return plan, limit

    def ingest_body(
        self,
        session: Session,
        *,
        org_id: int,
        body: bytes,
        content_encoding: str | None,
        settings: Settings,
        org: tuple[OverrideSet, ModelCatalogue] | None = None,
    ) -> IngestResult:
        """Decode and check the envelope (nothing stored if malformed), then `ingest`."""
        org = org or self.org_context(session, org_id=org_id)
        batch = self.prepare_body(
            org_id=org_id,
            body=body,
            content_encoding=content_encoding,
            settings=settings,
            org=org,
            dialect=repository.dialect(session),
        )
        return self.store(session, batch)

    def prepare_body(
        self,
        *,
        org_id: int,
        body: bytes,
        content_encoding: str | None,
        settings: Settings,
        org: tuple[OverrideSet, ModelCatalogue],
        dialect: str,
    ) -> PreparedBatch:
        """`prepare` on a request body: gzip decoding (capped) and the envelope check first."""
        raw = decode_body(body, content_encoding, max_bytes=settings.usage_max_body_bytes)
        now = utcnow()
        # msgspec decodes a clean batch straight into the rows; anything else goes through
        # `parse_envelope` + `validate_events` (the per-field errors), same result either way.
        rows, rejected = parse_and_validate(
            raw,
            max_events=settings.usage_max_events,
            org_id=org_id,
            now=now,
            retention_days=settings.usage_retention_days,
            future_skew_s=settings.usage_future_skew_s,
            catalogue=org[1],
        )
        return self._prepared(org_id, rows, rejected, settings=settings, org=org, dialect=dialect)

    def ingest(
        self,
        session: Session,
        *,
        org_id: int,
        items: list[Any],
        settings: Settings,
        now: datetime | None = None,
        org: tuple[OverrideSet, ModelCatalogue] | None = None,
    ) -> IngestResult:
        """Validate, enrich and store a batch; each event id is stored once per organisation."""
        batch = self.prepare(
            org_id=org_id,
            items=items,
            settings=settings,
            org=org or self.org_context(session, org_id=org_id),
            dialect=repository.dialect(session),
            now=now,
        )
        return self.store(session, batch)

    def prepare(
        self,
        *,
        org_id: int,
        items: list[Any],
        settings: Settings,
        org: tuple[OverrideSet, ModelCatalogue],
        dialect: str,
        now: datetime | None = None,
    ) -> PreparedBatch:
        """Everything ingest computes without the database: validation, enrichment, the rollup
        sums and (SQLite) the insert parameters. Runs before the write section, so on SQLite,
        where writers take turns, another batch's writes overlap this one's preparation."""
        rows, rejected = validate_events(
            items,
            org_id=org_id,
            now=now or utcnow(),
            retention_days=settings.usage_retention_days,
            future_skew_s=settings.usage_future_skew_s,
            catalogue=org[1],
        )
        return self._prepared(org_id, rows, rejected, settings=settings, org=org, dialect=dialect)

    def _prepared(
        self,
        org_id: int,
        rows: list[dict[str, Any]],
        rejected: list[RejectedEvent],
        *,
        settings: Settings,
        org: tuple[OverrideSet, ModelCatalogue],
        dialect: str,
    ) -> PreparedBatch:
        """Validated rows -> the batch: repeated ids dropped, enriched, summed."""
        overrides, catalogue = org
        unique: dict[str, dict[str, Any]] = {}
        for row in rows:
            unique.setdefault(row["event_id"], row)
        batch = PreparedBatch(
            org_id=org_id,
            rows=list(unique.values()),
            repeated=len(rows) - len(unique),
            rejected=rejected,
        )
        if batch.rows:
            # Enriched before the ids are claimed: an id already stored costs its enrichment
            # for nothing, which is cheaper than enriching inside the write section.
            enrich(
                batch.rows,
                catalogue=catalogue,
                overrides=overrides,
                method=settings.usage_method,
                custom_source=f"org:{overrides.org}",
            )
            batch.sums = repository.event_sums(batch.rows)
            if dialect == "sqlite":
                batch.params = repository.sqlite_event_params(batch.rows)
        return batch

    def store(self, session: Session, batch: PreparedBatch) -> IngestResult:
        """The write section: claim the ids, insert the new events and add them to the rollups
        (the caller's unit of work commits)."""
        if not batch.rows:
            return IngestResult(accepted=0, duplicates=batch.repeated, rejected=batch.rejected)
        if not repository.open_batch(session, batch.org_id, {r["day"] for r in batch.rows}):
            raise OrganisationGone(f"Organisation {batch.org_id} no longer exists")
        new_ids = repository.claim_keys(
            session, batch.org_id, [(r["event_id"], r["day"]) for r in batch.rows]
        )
        rows, sums, params = batch.rows, batch.sums, batch.params
        if len(new_ids) < len(rows):  # some ids were stored before: keep only the new events
            keep = [i for i, r in enumerate(rows) if r["event_id"] in new_ids]
            rows = [rows[i] for i in keep]
            sums = repository.event_sums(rows)
            params = None if params is None else [params[i] for i in keep]
        duplicates = batch.repeated + len(batch.rows) - len(rows)
        if rows:
            repository.insert_events(session, rows, sqlite_params=params)
            repository.upsert_rollups(session, rows, sums=sums)
            days = sorted({r["day"] for r in rows})
            publish(session, INGESTED, org_id=batch.org_id, days=days)
        return IngestResult(accepted=len(rows), duplicates=duplicates, rejected=batch.rejected)

    # --- totals (contract) ------------------------------------------------------------------

    def totals(
        self,
        session: Session,
        *,
        org_id: int,
        start: datetime,
        end: datetime,
        team: str | None = None,
        user: str | None = None,
        provider: str | None = None,
        model: str | None = None,
    ) -> UsageTotals:
        """Sums of events with start <= ts < end: whole UTC days from the rollups, the partial
        days at either end from the raw events."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        filters = UsageFilters(team=team, user=user, provider=provider, model=model)
        if end <= start:
            return UsageTotals()
        first_full = (
            start.date() if start == _midnight(start.date()) else start.date() + timedelta(1)
        )
        last_full = end.date() - timedelta(days=1)  # days before end's date are whole
        result = UsageTotals()
        raw_spans: list[tuple[datetime, datetime]] = []
        if first_full <= last_full:
            (row,) = repository.rollup_totals(
                session, org_id=org_id, start=first_full, end=last_full, filters=filters
            )
            result += _totals(row)
            raw_spans = [(start, _midnight(first_full)), (_midnight(end.date()), end)]
        else:
            raw_spans = [(start, end)]
        for lo, hi in raw_spans:
            if lo < hi:
                (row,) = repository.raw_totals(
                    session, org_id=org_id, start=lo, end=hi, filters=filters
                )
                result += _totals(row)
        return result

    # --- summary, timeseries, top (from the rollups) -----------------------------------------

    @staticmethod
    def _check_range(start: date, end: date) -> None:
        if end < start:
            raise InvalidRange("`to` is before `from`")
        if (end - start).days > MAX_RANGE_DAYS:
            raise InvalidRange(f"The range may span at most {MAX_RANGE_DAYS} days")

    def summary(
        self,
        session: Session,
        *,
        org_id: int,
        start: date,
        end: date,
        group_by: str,
        filters: UsageFilters,
    ) -> list[UsageGroup]:
        """Sums over days [start, end] per group (day | week | month | provider | model | user |
        team), from the rollups. Time groups come in date order, others by CO2e descending."""
        return self.summary_with_totals(
            session, org_id=org_id, start=start, end=end, group_by=group_by, filters=filters
        )[0]

    def summary_with_totals(
        self,
        session: Session,
        *,
        org_id: int,
        start: date,
        end: date,
        group_by: str,
        filters: UsageFilters,
    ) -> tuple[list[UsageGroup], UsageFigures]:
        """`summary` and the overall totals, from one query: the groups partition the range's
        events, so the totals are the sum of the groups (what `GET …/usage/summary` answers)."""
        self._check_range(start, end)
        group = GroupBy(group_by)
        column = _GROUP_COLUMNS.get(group, "day")
        rows = [
            (r[0], r[1:])
            for r in repository.rollup_totals(
                session, org_id=org_id, start=start, end=end, filters=filters, group=column
            )
        ]
        sums = _column_sums([v for _, v in rows])
        overall = UsageFigures(**dict(zip(SUM_COLUMNS, sums, strict=True)))
        if group in _GROUP_COLUMNS:
            groups = _groups((str(key), None, values) for key, values in rows)
            groups.sort(key=lambda g: (-g.co2e_kg, -g.calls, g.key))
            return groups, overall
        days = [(repository.as_date(key), values) for key, values in rows]  # in date order
        if group is GroupBy.DAY:
            return _groups((day.isoformat(), day, values) for day, values in days), overall
        buckets: dict[str, tuple[date, list[tuple[Any, ...]]]] = {}
        for day, values in days:
            key, first = _bucket(day, group.value)
            buckets.setdefault(key, (first, []))[1].append(values)
        groups = _groups(
            (key, first, _column_sums(members)) for key, (first, members) in buckets.items()
        )
        return groups, overall

    def timeseries(
        self,
        session: Session,
        *,
        org_id: int,
        start: date,
        end: date,
        interval: str,
        filters: UsageFilters,
    ) -> list[UsageGroup]:
        """One point per day/week/month from `start` to `end` (empty intervals as zeros)."""
        self._check_range(start, end)
        step = Interval(interval)
        found = {
            g.key: g
            for g in self.summary(
                session, org_id=org_id, start=start, end=end, group_by=step.value, filters=filters
            )
        }
        points: list[UsageGroup] = []
        seen: set[str] = set()
        day = start
        while day <= end:
            key, first = _bucket(day, step.value)
            if key not in seen:
                seen.add(key)
                points.append(
                    found.get(key) or UsageGroup(key=key, start=first, **_figures(UsageTotals()))
                )
            day += timedelta(days=1)
        return points

    def top(
        self,
        session: Session,
        *,
        org_id: int,
        start: date,
        end: date,
        by: str,
        metric: str,
        limit: int,
        filters: UsageFilters,
    ) -> list[UsageGroup]:
        """The `limit` largest groups of a dimension for a metric."""
        groups = self.summary(
            session,
            org_id=org_id,
            start=start,
            end=end,
            group_by=Dimension(by).value,
            filters=filters,
        )
        m = Metric(metric)

        def value(g: UsageGroup) -> float:
            if m is Metric.TOKENS:
                return float(g.tokens_in + g.tokens_out)
            return float(getattr(g, m.value))

        return sorted(groups, key=lambda g: (-value(g), g.key))[:limit]

    def overall(
        self, session: Session, *, org_id: int, start: date, end: date, filters: UsageFilters
    ) -> UsageFigures:
        (row,) = repository.rollup_totals(
            session, org_id=org_id, start=start, end=end, filters=filters
        )
        return UsageFigures(**_figures(_totals(row)))

    # --- raw events ---------------------------------------------------------------------------

    def provenance(
        self, session: Session, *, org_id: int, start: datetime, end: datetime
    ) -> list[tuple[str, str | None, str | None, str | None, str | None, int]]:
        """(status, methodology, model source, zone used, grid factor id, events) over the
        period's raw events, one aggregate query (reports' provenance table)."""
        return repository.provenance_counts(
            session, org_id=org_id, start=start.astimezone(UTC), end=end.astimezone(UTC)
        )

    def events(
        self,
        session: Session,
        *,
        org_id: int,
        start: datetime | None,
        end: datetime | None,
        filters: UsageFilters,
        status: str | None,
        cursor: str | None,
        limit: int,
    ) -> UsageEventPage:
        after = _decode_cursor(cursor) if cursor else None
        start = start if start is None or start.tzinfo else start.replace(tzinfo=UTC)
        end = end if end is None or end.tzinfo else end.replace(tzinfo=UTC)
        rows = repository.events_page(
            session,
            org_id=org_id,
            start=start,
            end=end,
            filters=filters,
            status=status,
            after=after,
            limit=limit + 1,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return UsageEventPage(
            items=[event_out(r) for r in rows],
            next_cursor=_encode_cursor(rows[-1]) if more and rows else None,
        )

    # --- repair, re-enrichment, retention, partitions -------------------------------------------

    def rebuild_rollups(self, session: Session, *, org_id: int, start: date, end: date) -> None:
        """Rewrite the rollups of days [start, end] from the raw events."""
        if end < start:
            raise InvalidRange("`to` is before `from`")
        repository.lock_org(session, org_id, exclusive=True)
        repository.rebuild_rollups(session, org_id=org_id, start=start, end=end)

    def reenrich(
        self, session: Session, *, org_id: int, model: str | None = None, settings: Settings
    ) -> int:
        """Enrich again the events of unknown impact (of one model, or all); returns how many
        now have figures. Their days' rollups are rebuilt."""
        repository.lock_org(session, org_id, exclusive=True)
        overrides, catalogue = self.org_context(session, org_id=org_id)
        fixed = 0
        days: set[date] = set()
        after: tuple[datetime, str] | None = None
        while True:
            rows = repository.unknown_events(
                session, org_id=org_id, model=model, after=after, limit=_REENRICH_CHUNK
            )
            if not rows:
                break
            after = (rows[-1]["ts"], rows[-1]["event_id"])
            for r in rows:
                mix = catalogue.mix(r["zone"]) if r["zone"] else None
                r["zone_req"] = (
                    mix.zone if mix else (zone_for_region(r["region"]) if r["region"] else None)
                )
            enrich(
                rows,
                catalogue=catalogue,
                overrides=overrides,
                method=settings.usage_method,
                custom_source=f"org:{overrides.org}",
            )
            now = utcnow()
            done = [r for r in rows if r["status"] == "ok"]
            for r in done:
                r["enriched_at"] = now
                days.add(repository.as_date(r["day"]))
            repository.update_enrichment(session, done)
            fixed += len(done)
            if len(rows) < _REENRICH_CHUNK:
                break
        if days:
            repository.rebuild_rollups(session, org_id=org_id, start=min(days), end=max(days))
        return fixed

    def ensure_partitions(
        self, session: Session, *, settings: Settings, now: datetime | None = None
    ) -> list[str]:
        """PostgreSQL: create this month's partition and `usage_partitions_ahead` more."""
        month = (now or utcnow()).date().replace(day=1)
        months = [month]
        for _ in range(settings.usage_partitions_ahead):
            months.append(repository.next_month(months[-1]))
        return repository.ensure_partitions(session, months)

    def apply_retention(
        self, session: Session, *, settings: Settings, now: datetime | None = None
    ) -> dict[str, Any]:
        """Drop raw events older than `usage_retention_days` (PostgreSQL: whole monthly
        partitions; SQLite: rows by day) and their idempotency keys. Rollups are kept."""
        cutoff = (now or utcnow()).date() - timedelta(days=settings.usage_retention_days)
        if repository.dialect(session) == "postgresql":
            boundary = cutoff.replace(day=1)
            dropped = repository.drop_partitions_before(session, boundary)
            keys = repository.delete_keys_before(session, boundary)
            return {"partitions_dropped": dropped, "keys_deleted": keys, "before": boundary}
        events = repository.delete_events_before(session, cutoff)
        keys = repository.delete_keys_before(session, cutoff)
        return {"events_deleted": events, "keys_deleted": keys, "before": cutoff}


usage_service = UsageService()


@subscribe("orgs.deleting")
def _on_org_deleting(session: Session, *, org_id: int, **_: Any) -> None:
    """Delete the organisation's events, keys and rollups (loose keys, no cascade), after any
    ingest of it in flight (exclusive organisation lock on PostgreSQL)."""
    repository.lock_org(session, org_id, exclusive=True)
    counts = repository.delete_org_rows(session, org_id)
    logger.info("usage rows of deleted organisation %s: %s", org_id, counts)


@subscribe("orgs.custom_model_saved")
def _on_custom_model_saved(session: Session, *, org_id: int, name: str, **_: Any) -> None:
    """A model the organisation registers may make stored events computable: re-enrich them."""
    try:
        enqueue(session, "usage.reenrich", org_id, name)
    except JobsError:  # a session outside a unit of work (scripts): nothing to run after commit
        logger.warning("usage.reenrich not enqueued for org %s (no unit of work)", org_id)


__all__ = ["INGESTED", "SUM_COLUMNS", "usage_service"]
