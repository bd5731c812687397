"""Every SQL statement of the activities domain.

Personal rows are read through `scoped()` / `get_scoped()`, which always add `user_id = :user_id`:
another user's activity is simply not found (the service answers 404). The daily rollup is
rewritten from the activity rows for the (user, day) pairs a change touched, under a per-user
lock, so it always equals the sum of the rows. Dialect-specific SQL (the PostgreSQL advisory lock
and the week/month buckets) lives here only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    Select,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from ecotrack.activities.models import Activity, ActivityDaily, ActivityRevision, RecalcRun

_LOCK_NAMESPACE = 0x4163  # pg_advisory_xact_lock(namespace, user_id): one writer per user
_CHUNK = 500


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def as_date(value: Any) -> date:
    """A date from what the driver returns for a date expression (SQLite answers strings)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def lock_user(session: Session, user_id: int) -> None:
    """Serialise writers of one user's activities until the transaction ends (PostgreSQL; SQLite
    writers are serialised by `BEGIN IMMEDIATE` already)."""
    if _dialect(session) == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :uid)"),
            {"ns": _LOCK_NAMESPACE, "uid": user_id},
        )


# --- activities --------------------------------------------------------------------------------


def scoped(user_id: int) -> Select[Activity]:
    """`SELECT activity WHERE user_id = :user_id`: the start of every personal query."""
    return select(Activity).where(Activity.user_id == user_id)


def get_scoped(session: Session, *, user_id: int, activity_id: int) -> Activity | None:
    return session.execute(scoped(user_id).where(Activity.id == activity_id)).scalar_one_or_none()


def add_all(session: Session, rows: Sequence[Any]) -> None:
    session.add_all(rows)
    session.flush()


def delete_row(session: Session, row: Any) -> None:
    session.delete(row)
    session.flush()


def list_activities(
    session: Session,
    *,
    user_id: int,
    start: date | None,
    end: date | None,
    category: str | None,
    activity: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Activity], int]:
    stmt = scoped(user_id)
    if start is not None:
        stmt = stmt.where(Activity.occurred_on >= start)
    if end is not None:
        stmt = stmt.where(Activity.occurred_on <= end)
    if category is not None:
        stmt = stmt.where(Activity.category == category)
    if activity is not None:
        stmt = stmt.where(Activity.activity == activity)
    total = session.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    ).scalar_one()
    rows = session.execute(
        stmt.order_by(Activity.occurred_on.desc(), Activity.id.desc()).limit(limit).offset(offset)
    ).scalars()
    return list(rows), int(total)


def revisions_of(session: Session, *, user_id: int, activity_id: int) -> list[ActivityRevision]:
    return list(
        session.execute(
            select(ActivityRevision)
            .where(ActivityRevision.user_id == user_id)
            .where(ActivityRevision.activity_id == activity_id)
            .order_by(ActivityRevision.id)
        ).scalars()
    )


def activities_of(session: Session, user_id: int) -> list[Activity]:
    return list(session.execute(scoped(user_id).order_by(Activity.id)).scalars())


def usage(
    session: Session, *, user_id: int, start: date, end: date
) -> list[tuple[str, str, str, str | None, float, float, int]]:
    """(activity, category, unit_normalised, variant, amount, kg, count) per group."""
    rows = session.execute(
        select(
            Activity.activity,
            Activity.category,
            Activity.unit_normalised,
            Activity.variant,
            func.sum(Activity.amount_normalised),
            func.sum(Activity.co2e_kg),
            func.count(),
        )
        .where(Activity.user_id == user_id)
        .where(Activity.occurred_on.between(start, end))
        .group_by(Activity.activity, Activity.category, Activity.unit_normalised, Activity.variant)
        .order_by(func.sum(Activity.co2e_kg).desc(), Activity.activity)
    ).all()
    return [
        (a, c, u, v, float(amt or 0.0), float(kg or 0.0), int(n)) for a, c, u, v, amt, kg, n in rows
    ]


def delete_user_data(session: Session, user_id: int) -> int:
    session.execute(delete(ActivityRevision).where(ActivityRevision.user_id == user_id))
    session.execute(delete(ActivityDaily).where(ActivityDaily.user_id == user_id))
    result = session.execute(delete(Activity).where(Activity.user_id == user_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- the daily rollup ----------------------------------------------------------------------------


def refresh_daily(session: Session, *, user_id: int, days: Iterable[date]) -> None:
    """Rewrite the rollup rows of `user_id` for `days` from the activity rows (flushed first)."""
    session.flush()
    ordered = sorted(set(days))
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        session.execute(
            delete(ActivityDaily)
            .where(ActivityDaily.user_id == user_id)
            .where(ActivityDaily.day.in_(chunk))
        )
        source = (
            select(
                Activity.user_id,
                Activity.occurred_on,
                Activity.category,
                func.sum(Activity.co2e_kg),
                func.count(),
                func.min(Activity.co2e_kg),
                func.max(Activity.co2e_kg),
                func.min(Activity.calculated_at),
                func.max(Activity.calculated_at),
            )
            .where(Activity.user_id == user_id)
            .where(Activity.occurred_on.in_(chunk))
            .group_by(Activity.user_id, Activity.occurred_on, Activity.category)
        )
        session.execute(
            insert(ActivityDaily).from_select(
                [
                    "user_id",
                    "day",
                    "category",
                    "co2e_kg",
                    "count",
                    "min_kg",
                    "max_kg",
                    "first_calculated_at",
                    "last_calculated_at",
                ],
                source,
            )
        )


def _daily(user_id: int, start: date, end: date) -> Any:
    return and_(ActivityDaily.user_id == user_id, ActivityDaily.day.between(start, end))


def total_kg(
    session: Session, *, user_id: int, start: date, end: date, category: str | None
) -> float:
    stmt = select(func.coalesce(func.sum(ActivityDaily.co2e_kg), 0.0)).where(
        _daily(user_id, start, end)
    )
    if category is not None:
        stmt = stmt.where(ActivityDaily.category == category)
    return float(session.execute(stmt).scalar_one())


def category_totals(
    session: Session, *, user_id: int, start: date, end: date
) -> list[tuple[str, float, int]]:
    rows = session.execute(
        select(
            ActivityDaily.category, func.sum(ActivityDaily.co2e_kg), func.sum(ActivityDaily.count)
        )
        .where(_daily(user_id, start, end))
        .group_by(ActivityDaily.category)
    ).all()
    return [(c, float(kg or 0.0), int(n or 0)) for c, kg, n in rows]


def daily_totals(
    session: Session, *, user_id: int, start: date, end: date
) -> list[tuple[date, float]]:
    rows = session.execute(
        select(ActivityDaily.day, func.sum(ActivityDaily.co2e_kg))
        .where(_daily(user_id, start, end))
        .group_by(ActivityDaily.day)
        .order_by(ActivityDaily.day)
    ).all()
    return [(as_date(d), float(kg or 0.0)) for d, kg in rows]


def period_totals(
    session: Session,
    *,
    user_id: int,
    periods: Sequence[tuple[date, date]],
) -> list[tuple[str, list[float], list[int]]]:
    """For each category: kg and count within each of `periods`, in one pass over the rollup."""
    lo = min(s for s, _ in periods)
    hi = max(e for _, e in periods)
    columns: list[Any] = [ActivityDaily.category]
    for s, e in periods:
        inside = ActivityDaily.day.between(s, e)
        columns.append(func.sum(case((inside, ActivityDaily.co2e_kg), else_=literal(0.0))))
        columns.append(func.sum(case((inside, ActivityDaily.count), else_=literal(0))))
    rows = session.execute(
        select(*columns).where(_daily(user_id, lo, hi)).group_by(ActivityDaily.category)
    ).all()
    out = []
    for row in rows:
        values = list(row[1:])
        kgs = [float(v or 0.0) for v in values[0::2]]
        counts = [int(v or 0) for v in values[1::2]]
        out.append((row[0], kgs, counts))
    return out


def bucket_expression(session: Session, granularity: str) -> Any:
    """The first day of the bucket (day, ISO week starting Monday, month) a rollup day falls in."""
    day = ActivityDaily.day
    if granularity == "day":
        return day
    if _dialect(session) == "postgresql":
        return cast(func.date_trunc(granularity, day), Date)
    if granularity == "week":
        return func.date(day, "weekday 0", "-6 days")
    return func.strftime("%Y-%m-01", day)


def history(
    session: Session, *, user_id: int, start: date, end: date, granularity: str
) -> list[tuple[date, str, float, int]]:
    bucket = bucket_expression(session, granularity).label("bucket")
    rows = session.execute(
        select(
            bucket,
            ActivityDaily.category,
            func.sum(ActivityDaily.co2e_kg),
            func.sum(ActivityDaily.count),
        )
        .where(_daily(user_id, start, end))
        .group_by(bucket, ActivityDaily.category)
    ).all()
    return [(as_date(b), c, float(kg or 0.0), int(n or 0)) for b, c, kg, n in rows]


def stats(session: Session, *, user_id: int) -> dict[str, Any]:
    row = session.execute(
        select(
            func.coalesce(func.sum(ActivityDaily.count), 0),
            func.coalesce(func.sum(ActivityDaily.co2e_kg), 0.0),
            func.min(ActivityDaily.min_kg),
            func.max(ActivityDaily.max_kg),
            func.min(ActivityDaily.day),
            func.max(ActivityDaily.day),
            func.count(func.distinct(ActivityDaily.day)),
            func.min(ActivityDaily.first_calculated_at),
            func.max(ActivityDaily.last_calculated_at),
        ).where(ActivityDaily.user_id == user_id)
    ).one()
    count, total, lo, hi, first, latest, days, first_calc, last_calc = row
    return {
        "count": int(count),
        "total_kg": float(total),
        "min_kg": None if lo is None else float(lo),
        "max_kg": None if hi is None else float(hi),
        "first_on": None if first is None else as_date(first),
        "latest_on": None if latest is None else as_date(latest),
        "days": int(days),
        "first_calculated_at": first_calc,
        "latest_calculated_at": last_calc,
    }


def all_category_totals(session: Session, *, user_id: int) -> list[tuple[str, float]]:
    rows = session.execute(
        select(ActivityDaily.category, func.sum(ActivityDaily.co2e_kg))
        .where(ActivityDaily.user_id == user_id)
        .group_by(ActivityDaily.category)
    ).all()
    return [(c, float(kg or 0.0)) for c, kg in rows]


def rollup_rows(session: Session, *, user_id: int) -> list[ActivityDaily]:
    return list(
        session.execute(
            select(ActivityDaily)
            .where(ActivityDaily.user_id == user_id)
            .order_by(ActivityDaily.day, ActivityDaily.category)
        ).scalars()
    )


# --- recalculation -------------------------------------------------------------------------------


def count_activities(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Activity)).scalar_one())


def activities_after(session: Session, *, after_id: int, limit: int) -> list[Activity]:
    return list(
        session.execute(
            select(Activity).where(Activity.id > after_id).order_by(Activity.id).limit(limit)
        ).scalars()
    )


def get_run(session: Session, run_id: int) -> RecalcRun | None:
    return session.get(RecalcRun, run_id)


def unfinished_run(session: Session) -> RecalcRun | None:
    return session.execute(
        select(RecalcRun)
        .where(RecalcRun.status.in_(("pending", "running")))
        .order_by(RecalcRun.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def advance_run(session: Session, *, run_id: int, from_id: int, values: dict[str, Any]) -> bool:
    """Move the run's cursor only if nobody moved it since we read it (one runner per chunk)."""
    result = session.execute(
        update(RecalcRun)
        .where(RecalcRun.id == run_id)
        .where(RecalcRun.last_activity_id == from_id)
        .values(**values)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]
