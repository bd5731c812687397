"""Every SQL statement of the usage domain (dialect-specific SQL lives only here).

Writers of one organisation's usage take a PostgreSQL advisory lock: ingest a shared one, the
rollup rebuild and re-enrichment an exclusive one, so a rebuild never races an ingest of the same
organisation (SQLite's BEGIN IMMEDIATE already serialises writers). Rollup rows and keys are
written in sorted order so concurrent batches lock rows in the same order (no deadlocks).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ecotrack.usage.models import (
    SUM_COLUMNS,
    UsageEvent,
    UsageEventKey,
    UsageRollupDaily,
    UsageRollupOrgDaily,
)
from ecotrack.usage.schemas import UsageFilters

_LOCK_NAMESPACE = 0x5553  # pg_advisory_xact_lock(namespace, org_id)
EVENT_TABLE: Table = UsageEvent.__table__  # type: ignore[assignment]
KEY_TABLE: Table = UsageEventKey.__table__  # type: ignore[assignment]
ROLLUP: Table = UsageRollupDaily.__table__  # type: ignore[assignment]
ORG_ROLLUP: Table = UsageRollupOrgDaily.__table__  # type: ignore[assignment]
ROLLUP_KEYS = ("org_id", "day", "user_ref", "team", "provider", "model")
ORG_ROLLUP_KEYS = ("org_id", "day", "provider", "model")
EVENT_COLUMNS = tuple(c.name for c in EVENT_TABLE.columns)
ENRICHED_COLUMNS = (
    "status",
    "methodology",
    "zone_used",
    "grid_factor_id",
    "model_source",
    "energy_kwh_min",
    "energy_kwh_max",
    "water_l_min",
    "water_l_max",
    "co2e_kg_min",
    "co2e_kg_max",
    "enriched_at",
)
_FLOAT_SUMS = SUM_COLUMNS[4:]


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _insert(session: Session, table: Table) -> Any:
    return (postgresql.insert if dialect(session) == "postgresql" else sqlite.insert)(table)


# --- locks ------------------------------------------------------------------------------------


def lock_org(session: Session, org_id: int, *, exclusive: bool) -> None:
    if dialect(session) != "postgresql":
        return
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(text(f"SELECT {fn}(:ns, :org)"), {"ns": _LOCK_NAMESPACE, "org": org_id})


# --- partitions (PostgreSQL) --------------------------------------------------------------------


def month_start(d: date) -> date:
    return d.replace(day=1)


def next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"usage_event_p{month.year:04d}_{month.month:02d}"


def partitions(session: Session) -> list[tuple[str, date]]:
    """The partitions of `usage_event` that follow the naming scheme: (name, first month day)."""
    if dialect(session) != "postgresql":
        return []
    rows = session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'usage_event'"
        )
    ).scalars()
    out = []
    for name in rows:
        try:
            year, month = name.removeprefix("usage_event_p").split("_")
            out.append((name, date(int(year), int(month), 1)))
        except ValueError:
            continue
    return sorted(out, key=lambda item: item[1])


def ensure_partitions(session: Session, months: Iterable[date]) -> list[str]:
    """Create the monthly partitions of `months` that do not exist yet; returns those created."""
    if dialect(session) != "postgresql":
        return []
    wanted = {partition_name(month_start(m)): month_start(m) for m in months}
    if not wanted:
        return []
    existing = set(
        session.execute(
            text("SELECT relname FROM pg_class WHERE relname = ANY(:names)"),
            {"names": list(wanted)},
        ).scalars()
    )
    created = []
    for name, start in sorted(wanted.items()):
        if name in existing:
            continue
        lo = datetime(start.year, start.month, 1, tzinfo=UTC).isoformat()
        end = next_month(start)
        hi = datetime(end.year, end.month, 1, tzinfo=UTC).isoformat()
        session.execute(
            text(
                f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF usage_event '
                f"FOR VALUES FROM ('{lo}') TO ('{hi}')"
            )
        )
        created.append(name)
    return created


def drop_partitions_before(session: Session, cutoff: date) -> list[str]:
    """Drop the partitions whose whole month is before `cutoff`."""
    dropped = []
    for name, start in partitions(session):
        if next_month(start) <= cutoff:
            session.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
            dropped.append(name)
    return dropped


def delete_events_before(session: Session, cutoff: date) -> int:
    result = session.execute(delete(UsageEvent).where(UsageEvent.day < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_keys_before(session: Session, cutoff: date) -> int:
    result = session.execute(delete(UsageEventKey).where(UsageEventKey.day < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- writes -------------------------------------------------------------------------------------


def claim_keys(session: Session, org_id: int, keys: Sequence[tuple[str, date]]) -> set[str]:
    """Insert the (event id, day) keys not stored yet; returns the ids that were new."""
    if not keys:
        return set()
    keys = sorted(keys)
    if dialect(session) == "postgresql":
        rows = session.execute(
            text(
                "INSERT INTO usage_event_key (org_id, event_id, day) "
                "SELECT :org, k.event_id, k.day FROM unnest(CAST(:ids AS varchar[]), "
                "CAST(:days AS date[])) AS k(event_id, day) "
                "ON CONFLICT (org_id, event_id) DO NOTHING RETURNING event_id"
            ),
            {"org": org_id, "ids": [k[0] for k in keys], "days": [k[1] for k in keys]},
        ).scalars()
        return set(rows)
    new: set[str] = set()
    conn = session.connection()
    for at in range(0, len(keys), 3000):  # SQLite allows 32,766 parameters per statement
        chunk = keys[at : at + 3000]
        sql = (
            "INSERT INTO usage_event_key (org_id, event_id, day) VALUES "  # noqa: S608
            + ", ".join(["(?, ?, ?)"] * len(chunk))
            + " ON CONFLICT (org_id, event_id) DO NOTHING RETURNING event_id"
        )
        params = tuple(v for k in chunk for v in (org_id, k[0], k[1].isoformat()))
        new.update(row[0] for row in conn.exec_driver_sql(sql, params))
    return new


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert event rows (PostgreSQL: COPY, the fastest path; SQLite: executemany)."""
    if not rows:
        return
    if dialect(session) == "postgresql":
        raw: Any = session.connection().connection.driver_connection
        cols = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
        with raw.cursor() as cur, cur.copy(f"COPY usage_event ({cols}) FROM STDIN") as copy:
            meta_at = EVENT_COLUMNS.index("meta")
            for r in rows:
                values = [r[c] for c in EVENT_COLUMNS]
                if values[meta_at] is not None:
                    values[meta_at] = orjson.dumps(values[meta_at]).decode()
                copy.write_row(values)
        return
    # SQLite: driver-level executemany with values converted as SQLAlchemy stores them (its
    # per-row parameter processing costs more than the insert itself).
    sql = (
        f"INSERT INTO usage_event ({', '.join(EVENT_COLUMNS)}) "  # noqa: S608 - constants
        f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
    )
    session.connection().exec_driver_sql(sql, [_sqlite_row(r) for r in rows])


def _sqlite_ts(value: datetime) -> str:
    """A UTC timestamp in SQLAlchemy's SQLite storage format (what `UTCDateTime` writes)."""
    v = value.astimezone(UTC)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        f".{v.microsecond:06d}"
    )


_TS_COLUMNS = frozenset({"ts", "received_at", "enriched_at"})


def _sqlite_row(r: dict[str, Any]) -> tuple[Any, ...]:
    out = []
    for c in EVENT_COLUMNS:
        v = r[c]
        if v is not None:
            if c in _TS_COLUMNS:
                v = _sqlite_ts(v)
            elif c == "day":
                v = v.isoformat()
            elif c == "meta":
                v = orjson.dumps(v).decode()
        out.append(v)
    return tuple(out)


def rollup_rows(rows: Iterable[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Sum event rows into rollup rows keyed by `keys` (sorted by key)."""
    acc: dict[tuple[Any, ...], list[Any]] = {}
    for r in rows:
        k = tuple(r[c] for c in keys)
        s = acc.get(k)
        if s is None:
            s = acc[k] = [0, 0, 0, 0] + [0.0] * 9
        s[0] += 1
        s[2] += r["tokens_in"]
        s[3] += r["tokens_out"]
        e_lo = r["energy_kwh_min"]
        if e_lo is None:
            s[1] += 1
            continue
        e_hi, w_lo, w_hi = r["energy_kwh_max"], r["water_l_min"], r["water_l_max"]
        c_lo, c_hi = r["co2e_kg_min"], r["co2e_kg_max"]
        s[4] += (e_lo + e_hi) / 2
        s[5] += e_lo
        s[6] += e_hi
        s[7] += (w_lo + w_hi) / 2
        s[8] += w_lo
        s[9] += w_hi
        s[10] += (c_lo + c_hi) / 2
        s[11] += c_lo
        s[12] += c_hi
    out = []
    for k in sorted(acc):
        row = dict(zip(keys, k, strict=True))
        row.update(zip(SUM_COLUMNS, acc[k], strict=True))
        out.append(row)
    return out


def upsert_rollups(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add the events' sums to both rollup tables (ON CONFLICT DO UPDATE adding).

    Driver-level executemany: the statement is the same on SQLite and PostgreSQL but for the
    parameter marker, and SQLite gets its dates as ISO strings (as SQLAlchemy stores them)."""
    pg = dialect(session) == "postgresql"
    mark = "%s" if pg else "?"
    conn = session.connection()
    for table, keys in ((ROLLUP, ROLLUP_KEYS), (ORG_ROLLUP, ORG_ROLLUP_KEYS)):
        values = rollup_rows(rows, keys)
        if not values:
            continue
        cols = (*keys, *SUM_COLUMNS)
        sets = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in SUM_COLUMNS)
        sql = (
            f"INSERT INTO {table.name} ({', '.join(cols)}) "  # noqa: S608 - constant names
            f"VALUES ({', '.join([mark] * len(cols))}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
        )
        params = [tuple(v[c] for c in cols) for v in values]
        if not pg:
            at = cols.index("day")
            params = [(*p[:at], p[at].isoformat(), *p[at + 1 :]) for p in params]
        conn.exec_driver_sql(sql, params)


def _raw_sums() -> list[ColumnElement[Any]]:
    e = UsageEvent
    unknown = case((e.status != "ok", 1), else_=0)

    def mid(lo: Any, hi: Any) -> ColumnElement[Any]:
        return func.coalesce(func.sum((lo + hi) / 2), 0.0)

    def total(col: Any) -> ColumnElement[Any]:
        return func.coalesce(func.sum(col), 0)

    return [
        func.count(),
        total(unknown),
        total(e.tokens_in),
        total(e.tokens_out),
        mid(e.energy_kwh_min, e.energy_kwh_max),
        total(e.energy_kwh_min),
        total(e.energy_kwh_max),
        mid(e.water_l_min, e.water_l_max),
        total(e.water_l_min),
        total(e.water_l_max),
        mid(e.co2e_kg_min, e.co2e_kg_max),
        total(e.co2e_kg_min),
        total(e.co2e_kg_max),
    ]


def rebuild_rollups(session: Session, *, org_id: int, start: date, end: date) -> None:
    """Rewrite both rollup tables for days [start, end] from the raw events."""
    for table, keys in ((ROLLUP, ROLLUP_KEYS), (ORG_ROLLUP, ORG_ROLLUP_KEYS)):
        session.execute(
            delete(table).where(table.c.org_id == org_id, table.c.day >= start, table.c.day <= end)
        )
        dims = [EVENT_TABLE.c[k] for k in keys[1:]]
        source = (
            select(literal(org_id), *dims, *_raw_sums())
            .where(UsageEvent.org_id == org_id, UsageEvent.day >= start, UsageEvent.day <= end)
            .group_by(*dims)
        )
        session.execute(insert(table).from_select([*keys, *SUM_COLUMNS], source))


def event_day_range(session: Session, *, org_id: int) -> tuple[date, date] | None:
    lo, hi = session.execute(
        select(func.min(UsageEvent.day), func.max(UsageEvent.day)).where(
            UsageEvent.org_id == org_id
        )
    ).one()
    if lo is None:
        return None
    return as_date(lo), as_date(hi)


def unknown_events(
    session: Session,
    *,
    org_id: int,
    model: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Events of unknown impact (optionally of one model), oldest first, keyset-paged."""
    stmt = select(EVENT_TABLE).where(UsageEvent.org_id == org_id, UsageEvent.status != "ok")
    if model is not None:
        stmt = stmt.where(UsageEvent.model == model)
    if after is not None:
        ts, event_id = after
        stmt = stmt.where(
            or_(UsageEvent.ts > ts, and_(UsageEvent.ts == ts, UsageEvent.event_id > event_id))
        )
    rows = session.execute(stmt.order_by(UsageEvent.ts, UsageEvent.event_id).limit(limit))
    return [dict(r._mapping) for r in rows]


def update_enrichment(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    stmt = (
        update(EVENT_TABLE)
        .where(
            EVENT_TABLE.c.org_id == bindparam("b_org_id"),
            EVENT_TABLE.c.ts == bindparam("b_ts"),
            EVENT_TABLE.c.event_id == bindparam("b_event_id"),
        )
        .values({c: bindparam(c) for c in ENRICHED_COLUMNS})
    )
    session.connection().execute(
        stmt,
        [
            {
                "b_org_id": r["org_id"],
                "b_ts": r["ts"],
                "b_event_id": r["event_id"],
                **{c: r[c] for c in ENRICHED_COLUMNS},
            }
            for r in rows
        ],
    )


# --- reads --------------------------------------------------------------------------------------

_FILTER_COLUMNS = {"team": "team", "user": "user_ref", "provider": "provider", "model": "model"}


def _filters(table: Table, filters: UsageFilters) -> list[ColumnElement[bool]]:
    out = []
    for name, column in _FILTER_COLUMNS.items():
        value = getattr(filters, name)
        if value is not None:
            out.append(table.c[column] == value)
    return out


def rollup_totals(
    session: Session,
    *,
    org_id: int,
    start: date,
    end: date,
    filters: UsageFilters,
    group: str | None = None,
) -> list[tuple[Any, ...]]:
    """Sums over days [start, end] from the rollups, optionally grouped by one column
    (`day`, `user_ref`, `team`, `provider`, `model`): rows of (group value?, *SUM_COLUMNS)."""
    table = ROLLUP if filters.by_person or group in ("user_ref", "team") else ORG_ROLLUP
    sums = [func.coalesce(func.sum(table.c[c]), 0) for c in SUM_COLUMNS]
    cols = [table.c[group], *sums] if group else sums
    stmt = select(*cols).where(
        table.c.org_id == org_id,
        table.c.day >= start,
        table.c.day <= end,
        *_filters(table, filters),
    )
    if group:
        stmt = stmt.group_by(table.c[group])
    return [tuple(r) for r in session.execute(stmt)]


def raw_totals(
    session: Session,
    *,
    org_id: int,
    start: datetime,
    end: datetime,
    filters: UsageFilters,
    group: str | None = None,
) -> list[tuple[Any, ...]]:
    """The same sums over the raw events with start <= ts < end."""
    dims = [EVENT_TABLE.c[group]] if group else []
    stmt = select(*dims, *_raw_sums()).where(
        UsageEvent.org_id == org_id,
        UsageEvent.ts >= start,
        UsageEvent.ts < end,
        *_filters(EVENT_TABLE, filters),
    )
    if group:
        stmt = stmt.group_by(*dims)
    return [tuple(r) for r in session.execute(stmt)]


def events_page(
    session: Session,
    *,
    org_id: int,
    start: datetime | None,
    end: datetime | None,
    filters: UsageFilters,
    status: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[UsageEvent]:
    """Events newest first, keyset-paged on (ts, event_id)."""
    stmt = select(UsageEvent).where(UsageEvent.org_id == org_id, *_filters(EVENT_TABLE, filters))
    if start is not None:
        stmt = stmt.where(UsageEvent.ts >= start)
    if end is not None:
        stmt = stmt.where(UsageEvent.ts < end)
    if status is not None:
        stmt = stmt.where(UsageEvent.status == status)
    if after is not None:
        ts, event_id = after
        stmt = stmt.where(
            or_(UsageEvent.ts < ts, and_(UsageEvent.ts == ts, UsageEvent.event_id < event_id))
        )
    stmt = stmt.order_by(UsageEvent.ts.desc(), UsageEvent.event_id.desc()).limit(limit)
    return list(session.execute(stmt).scalars())


def count_events(session: Session, *, org_id: int | None = None) -> int:
    stmt = select(func.count()).select_from(UsageEvent)
    if org_id is not None:
        stmt = stmt.where(UsageEvent.org_id == org_id)
    return int(session.execute(stmt).scalar_one())


def horizon(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
