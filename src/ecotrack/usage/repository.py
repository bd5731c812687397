"""Every SQL statement of the usage domain (dialect-specific SQL lives only here).

Writers of one organisation's usage take a PostgreSQL advisory lock: ingest a shared one, the
rollup rebuild and re-enrichment an exclusive one, so a rebuild never races an ingest of the same
organisation (SQLite's BEGIN IMMEDIATE already serialises writers). Rollup rows and keys are
written in sorted order so concurrent batches lock rows in the same order (no deadlocks).
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    TypeDecorator,
    and_,
    bindparam,
    case,
    cast,
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
_PARTITION_LOCK = 0x5554  # pg_advisory_xact_lock(namespace, 0): creating partitions
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
    missing = _missing_partitions(session, wanted)
    if not missing:
        return []
    # Two transactions creating the same partition race (`IF NOT EXISTS` is no guard: the
    # loser fails on the catalogue's unique index). Creators queue on one lock, held until
    # their transaction ends, and look again once they have it.
    session.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": _PARTITION_LOCK})
    missing = _missing_partitions(session, wanted)
    created = []
    for name, start in sorted(wanted.items()):
        if name not in missing:
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


def _missing_partitions(session: Session, wanted: dict[str, date]) -> set[str]:
    found = session.execute(
        text("SELECT relname FROM pg_class WHERE relname = ANY(:names)"), {"names": list(wanted)}
    ).scalars()
    return set(wanted) - set(found)


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


def open_batch(session: Session, org_id: int, days: Iterable[date]) -> bool:
    """The start of an ingest's write section: the organisation's shared lock (PostgreSQL),
    whether the organisation still exists (its `org_id` is a loose key: under the lock, or
    SQLite's write lock, one that exists now exists until the transaction ends) and the monthly
    partitions of `days`. PostgreSQL: two statements at the driver, then `ensure_partitions`
    only when a month is missing. False if the organisation is gone."""
    if dialect(session) != "postgresql":
        return org_exists(session, org_id)
    wanted = {partition_name(month_start(d)): month_start(d) for d in days}
    raw = _pg_connection(session)
    with raw.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", (_LOCK_NAMESPACE, org_id))
        # A statement of its own, after the lock: its snapshot sees a deletion that committed
        # while this transaction waited for the lock.
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM organisation WHERE id = %s), "
            "ARRAY(SELECT relname::text FROM pg_class WHERE relname = ANY(%s))",
            (org_id, list(wanted)),
        )
        exists, found = cur.fetchone()
    if exists and set(wanted) - set(found):
        ensure_partitions(session, wanted.values())
    return bool(exists)


def _pg_connection(session: Session) -> Any:
    """The psycopg connection under this session's transaction."""
    return session.connection().connection.driver_connection


def org_exists(session: Session, org_id: int) -> bool:
    return (
        session.execute(text("SELECT 1 FROM organisation WHERE id = :id"), {"id": org_id}).first()
        is not None
    )


def delete_org_rows(session: Session, org_id: int) -> dict[str, int]:
    """Every usage row of an organisation (its `org_id` is a loose key: no cascade)."""
    counts = {}
    for table in (EVENT_TABLE, KEY_TABLE, ROLLUP, ORG_ROLLUP):
        result = session.execute(delete(table).where(table.c.org_id == org_id))
        counts[table.name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts


# --- writes -------------------------------------------------------------------------------------


def claim_keys(session: Session, org_id: int, keys: Sequence[tuple[str, date]]) -> set[str]:
    """Insert the (event id, day) keys not stored yet; returns the ids that were new."""
    if not keys:
        return set()
    keys = sorted(keys)
    if dialect(session) == "postgresql":
        if _pg_copy_new_keys(session, org_id, keys):
            return {k[0] for k in keys}
        _pg_arrays_ready(session)
        ids, days = _pg_array(k[0] for k in keys), [k[1] for k in keys]
        rows = session.connection().exec_driver_sql(
            "INSERT INTO usage_event_key (org_id, event_id, day) "
            "SELECT %s, k.event_id, k.day FROM unnest(CAST(%s AS varchar[]), "
            "%b) AS k(event_id, day) "
            "ON CONFLICT (org_id, event_id) DO NOTHING RETURNING event_id",
            (org_id, ids, _PgBinaryArray("date[]", days)),
        )
        return {row[0] for row in rows}
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


def _pg_copy_new_keys(session: Session, org_id: int, keys: Sequence[tuple[str, date]]) -> bool:
    """Optimistic claim: binary COPY of every key under a savepoint (no per-row conflict
    check, ≈ 25 % less database time than `INSERT … ON CONFLICT`). False, with nothing
    written, if any key exists already (the savepoint rolled back): the caller then claims them
    one by one with `ON CONFLICT DO NOTHING`. Retries and repeated sends are the exception, so
    most batches take one COPY. A key another transaction is inserting makes the COPY wait for
    it, then fail if that one committed, as `ON CONFLICT` would wait."""
    raw = _pg_connection(session)
    raw.execute("SAVEPOINT usage_claim_keys")
    try:
        copy_sql = "COPY usage_event_key (org_id, event_id, day) FROM STDIN (FORMAT BINARY)"
        with raw.cursor() as cur, cur.copy(copy_sql) as cp:
            cp.set_types(_PG_KEY_COPY_TYPES)
            for event_id, day in keys:
                cp.write_row((org_id, event_id, day))
    except _PgUniqueViolation:
        raw.execute("ROLLBACK TO SAVEPOINT usage_claim_keys")
        return False
    raw.execute("RELEASE SAVEPOINT usage_claim_keys")
    return True


def insert_events(
    session: Session,
    rows: Sequence[dict[str, Any]],
    *,
    sqlite_params: Sequence[tuple[Any, ...]] | None = None,
) -> None:
    """Insert event rows (PostgreSQL: binary COPY; SQLite: executemany of `sqlite_params`, the
    rows already converted by `sqlite_event_params`, or converted here)."""
    if not rows:
        return
    if dialect(session) == "postgresql":
        raw: Any = session.connection().connection.driver_connection
        cols = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
        # Binary COPY with the column types fixed up front: psycopg packs each value with one
        # known dumper instead of dispatching on its Python type and formatting text (≈ 8×
        # less client CPU than text COPY), and the server skips parsing text.
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY usage_event ({cols}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(_PG_COPY_TYPES)
            for r in rows:
                values = _event_values(r)
                if values[_META_AT] is not None:
                    values = list(values)
                    values[_META_AT] = orjson.dumps(values[_META_AT]).decode()
                copy.write_row(values)
        return
    # SQLite: driver-level executemany with values converted as SQLAlchemy stores them (its
    # per-row parameter processing costs more than the insert itself).
    sql = (
        f"INSERT INTO usage_event ({', '.join(EVENT_COLUMNS)}) "  # noqa: S608 - constants
        f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
    )
    params = sqlite_params if sqlite_params is not None else sqlite_event_params(rows)
    session.connection().exec_driver_sql(sql, params)


def _sqlite_ts(value: datetime) -> str:
    """A UTC timestamp in SQLAlchemy's SQLite storage format (what `UTCDateTime` writes)."""
    v = value.astimezone(UTC)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        f".{v.microsecond:06d}"
    )


def sqlite_event_params(rows: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Event rows as SQLite parameters, values converted as SQLAlchemy stores them. Timestamps
    shared by the batch (`received_at`, `enriched_at`: the request's `now`) convert once."""
    memo: dict[datetime, str] = {}

    def ts(v: datetime) -> str:
        s = memo.get(v)
        if s is None:
            s = memo[v] = _sqlite_ts(v)
        return s

    ts_at = [EVENT_COLUMNS.index(c) for c in ("received_at", "enriched_at")]
    out = []
    for r in rows:
        values = list(_event_values(r))
        values[_TS_AT] = _sqlite_ts(values[_TS_AT])
        values[_DAY_AT] = values[_DAY_AT].isoformat()
        for i in ts_at:
            if values[i] is not None:
                values[i] = ts(values[i])
        if values[_META_AT] is not None:
            values[_META_AT] = orjson.dumps(values[_META_AT]).decode()
        out.append(tuple(values))
    return out


def _pg_copy_type(column: Any) -> str:
    """The PostgreSQL type a binary COPY field must carry for `column` (binary input is not
    converted: an int8 sent to an int4 column is an error, so this follows the schema)."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl
    if isinstance(kind, BigInteger):
        return "int8"
    if isinstance(kind, Integer):
        return "int4"
    if isinstance(kind, DateTime):
        return "timestamptz" if kind.timezone else "timestamp"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Float):
        return "float8"
    if isinstance(kind, (String, JSON)):
        return "text"  # json's binary input is its text; values arrive already serialised
    raise TypeError(f"no binary COPY type for {column.name}: {kind!r}")


_PG_COPY_TYPES = [_pg_copy_type(c) for c in EVENT_TABLE.columns]
_event_values = operator.itemgetter(*EVENT_COLUMNS)  # row dict -> values in column order
_PG_KEY_COPY_TYPES = [_pg_copy_type(c) for c in KEY_TABLE.columns]
_TS_AT = EVENT_COLUMNS.index("ts")
_DAY_AT = EVENT_COLUMNS.index("day")
_META_AT = EVENT_COLUMNS.index("meta")


def _event_sums(
    rows: Iterable[dict[str, Any]], keys: tuple[str, ...]
) -> dict[tuple[Any, ...], list[Any]]:
    """Event rows summed per `keys`: {key: [calls, calls_unknown, tokens_in, ... co2e_kg_max]}."""
    acc: dict[tuple[Any, ...], list[Any]] = {}
    key_of = operator.itemgetter(*keys) if len(keys) > 1 else lambda r: (r[keys[0]],)
    for r in rows:
        k = key_of(r)
        s = acc.get(k)
        if s is None:
            s = acc[k] = [0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
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
    return acc


def event_sums(rows: Iterable[dict[str, Any]]) -> dict[tuple[Any, ...], list[Any]]:
    """The events' sums per user-grain rollup key (what `upsert_rollups` adds)."""
    return _event_sums(rows, ROLLUP_KEYS)


def _coarsen(
    fine: dict[tuple[Any, ...], list[Any]], fine_keys: tuple[str, ...], keys: tuple[str, ...]
) -> dict[tuple[Any, ...], list[Any]]:
    """Sums per `fine_keys` re-summed per `keys` (a subset): the organisation-grain rollup
    from the user-grain one without a second pass over the events."""
    at = [fine_keys.index(c) for c in keys]
    acc: dict[tuple[Any, ...], list[Any]] = {}
    for k, sums in fine.items():
        kk = tuple([k[i] for i in at])
        s = acc.get(kk)
        if s is None:
            acc[kk] = list(sums)
        else:
            for i, v in enumerate(sums):
                s[i] += v
    return acc


_PG_ARRAY_TYPES = {"day": "date[]", "calls": "bigint[]", "calls_unknown": "bigint[]",
                   "tokens_in": "bigint[]", "tokens_out": "bigint[]"}  # fmt: skip


def _pg_array(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal of strings (quoted, escaped when needed) or integers.

    Built here because psycopg adapts a list in Python element by element (a regex per string),
    which cost more than the statement itself."""
    items = list(values)
    if items and isinstance(items[0], str):
        quoted = [
            v.replace("\\", "\\\\").replace('"', '\\"') if "\\" in v or '"' in v else v
            for v in items
        ]
        return '{"' + '","'.join(quoted) + '"}'
    return "{" + ",".join(map(str, items)) + "}"


class _PgBinaryArray:
    """A one-dimensional PostgreSQL array of float8, int8 or date in the binary wire format,
    packed by numpy (microseconds, where psycopg packs a list element by element in Python)."""

    __slots__ = ("oid", "payload")
    _KINDS: ClassVar[dict[str, tuple[int, int, str]]] = {
        # pg type: (array oid, element oid, numpy big-endian element type)
        "float8[]": (1022, 701, ">f8"),
        "bigint[]": (1016, 20, ">i8"),
        "date[]": (1182, 1082, ">i4"),
    }
    _EPOCH = date(2000, 1, 1).toordinal()

    def __init__(self, pg_type: str, values: Sequence[Any]) -> None:
        self.oid, element, dtype = self._KINDS[pg_type]
        if pg_type == "date[]":
            values = [d.toordinal() - self._EPOCH for d in values]
        body = np.empty(len(values), dtype=[("len", ">i4"), ("v", dtype)])
        body["len"] = np.dtype(dtype).itemsize
        body["v"] = values
        header = np.array([1, 0, element, len(values), 1], dtype=">i4")
        self.payload = header.tobytes() + body.tobytes()


try:  # psycopg is the PostgreSQL driver; SQLite-only installs never build these
    from psycopg.adapt import Dumper as _PgDumper
    from psycopg.errors import UniqueViolation as _PgUniqueViolation
    from psycopg.pq import Format as _PgFormat

    class _PgBinaryArrayDumper(_PgDumper):
        format = _PgFormat.BINARY

        def dump(self, obj: Any) -> bytes:
            payload: bytes = obj.payload
            return payload

        # One dumper class for the three array types: the oid comes from the object.
        def get_key(self, obj: Any, _fmt: Any) -> Any:
            return (type(obj), obj.oid)

        def upgrade(self, obj: Any, _fmt: Any) -> _PgDumper:
            dumper = type(self)(type(obj))
            dumper.oid = obj.oid
            return dumper

except ImportError:  # pragma: no cover
    pass

_PG_ARRAYS_READY: weakref.WeakSet[Any] = weakref.WeakSet()


def _pg_arrays_ready(session: Session) -> None:
    """Register the binary array dumper on this session's psycopg connection (once per
    connection: SQLAlchemy's dialect copies psycopg's global adapters when it is created, so a
    global registration made later would not be seen)."""
    raw: Any = session.connection().connection.driver_connection
    if raw not in _PG_ARRAYS_READY:
        raw.adapters.register_dumper(_PgBinaryArray, _PgBinaryArrayDumper)
        _PG_ARRAYS_READY.add(raw)


def _pg_array_param(pg_type: str, values: Sequence[Any]) -> tuple[str, Any]:
    """(placeholder, parameter) for one array: numbers and dates as binary arrays packed by
    numpy, strings as a text literal."""
    if pg_type in _PgBinaryArray._KINDS:
        return "%b", _PgBinaryArray(pg_type, values)
    return f"CAST(%s AS {pg_type})", _pg_array(values)


_SQLITE_MAX_PARAMS = 32_000


def upsert_rollups(
    session: Session,
    rows: Sequence[dict[str, Any]],
    *,
    sums: dict[tuple[Any, ...], list[Any]] | None = None,
) -> None:
    """Add the events' sums to both rollup tables (ON CONFLICT DO UPDATE adding).

    `sums`: `event_sums(rows)` if computed beforehand. One statement per table: on PostgreSQL
    `INSERT … SELECT FROM unnest(<one array per column>)`, on SQLite a multi-row VALUES (chunked
    under its parameter limit). Rows go in key order so concurrent batches lock rollup rows in
    the same order (no deadlocks)."""
    if not rows:
        return
    pg = dialect(session) == "postgresql"
    conn = session.connection()
    fine = sums if sums is not None else _event_sums(rows, ROLLUP_KEYS)
    for table, keys in ((ROLLUP, ROLLUP_KEYS), (ORG_ROLLUP, ORG_ROLLUP_KEYS)):
        acc = fine if keys is ROLLUP_KEYS else _coarsen(fine, ROLLUP_KEYS, keys)
        ordered = sorted(acc)
        cols = (*keys, *SUM_COLUMNS)
        sets = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in SUM_COLUMNS)
        conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
        if pg:
            # org_id is the same for the whole batch; every other column is one array.
            _pg_arrays_ready(session)
            key_cols = list(zip(*ordered, strict=True))[1:]
            sum_cols = list(zip(*(acc[k] for k in ordered), strict=True))
            marks, params = [], [ordered[0][0]]
            for name, column in zip(cols[1:], [*key_cols, *sum_cols], strict=True):
                default = "float8[]" if name in SUM_COLUMNS else "varchar[]"
                mark, param = _pg_array_param(_PG_ARRAY_TYPES.get(name, default), column)
                marks.append(mark)
                params.append(param)
            sql = (
                f"INSERT INTO {table.name} ({', '.join(cols)}) "  # noqa: S608 - constant names
                f"SELECT %s, u.* FROM unnest({', '.join(marks)}) AS u {conflict}"
            )
            conn.exec_driver_sql(sql, tuple(params))
            continue
        at = keys.index("day")
        values = [(*k[:at], k[at].isoformat(), *k[at + 1 :], *acc[k]) for k in ordered]
        per = _SQLITE_MAX_PARAMS // len(cols)
        one = f"({', '.join('?' * len(cols))})"
        for lo in range(0, len(values), per):
            chunk = values[lo : lo + per]
            sql = (
                f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES "  # noqa: S608
                + ", ".join([one] * len(chunk))
                + f" {conflict}"
            )
            conn.exec_driver_sql(sql, tuple(v for row in chunk for v in row))


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


@lru_cache(maxsize=256)
def _rollup_statement(table_name: str, group: str | None, filters: tuple[str, ...]) -> Any:
    """The rollup sums query for one shape, built once: a statement object is reused, so
    SQLAlchemy neither rebuilds it nor recomputes its cache key (most of a small query's cost)."""
    table = ROLLUP if table_name == ROLLUP.name else ORG_ROLLUP
    # Sums of the column's own type: PostgreSQL's SUM of a BIGINT is NUMERIC (a Decimal per
    # value to convert); grouped, no group is empty, so no COALESCE either.
    sums: list[Any] = [cast(func.sum(table.c[c]), table.c[c].type) for c in SUM_COLUMNS]
    if not group:
        sums = [func.coalesce(s, 0) for s in sums]
    cols = [table.c[group], *sums] if group else sums
    stmt = select(*cols).where(
        table.c.org_id == bindparam("org_id"),
        table.c.day >= bindparam("start", type_=Date()),
        table.c.day <= bindparam("end", type_=Date()),
        *[table.c[_FILTER_COLUMNS[name]] == bindparam(f"f_{name}") for name in filters],
    )
    if group == "day":  # in index order: free for the database, no sort for the caller
        return stmt.group_by(table.c.day).order_by(table.c.day)
    return stmt.group_by(table.c[group]) if group else stmt


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
    (`day`, `user_ref`, `team`, `provider`, `model`): rows of (group value?, *SUM_COLUMNS),
    by `day` in date order."""
    table = ROLLUP if filters.by_person or group in ("user_ref", "team") else ORG_ROLLUP
    used = tuple(name for name in _FILTER_COLUMNS if getattr(filters, name) is not None)
    params: dict[str, Any] = {"org_id": org_id, "start": start, "end": end}
    params.update({f"f_{name}": getattr(filters, name) for name in used})
    stmt = _rollup_statement(table.name, group, used)
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return [tuple(r) for r in conn.execute(stmt, params)]
    # PostgreSQL: straight to psycopg, which returns typed tuples (date, int, float) already
    # and keeps the statement prepared after a few runs; SQLAlchemy's result layer was a
    # sixth of this query's time (`benchmarks/usage_queries.py`).
    sql, literals = _pg_rollup_sql(conn.dialect, table.name, group, used)
    with _pg_connection(session).cursor() as cur:
        cur.execute(sql, {**literals, **params})
        return cur.fetchall()


@lru_cache(maxsize=256)
def _pg_rollup_sql(
    dialect: Any, table_name: str, group: str | None, filters: tuple[str, ...]
) -> tuple[str, dict[str, Any]]:
    """`_rollup_statement` compiled for the engine's psycopg dialect once: its SQL and the
    literal parameters the compiler made (the COALESCE zeros)."""
    compiled = _rollup_statement(table_name, group, filters).compile(dialect=dialect)
    names = {"org_id", "start", "end", *(f"f_{name}" for name in filters)}
    return str(compiled), {k: v for k, v in compiled.params.items() if k not in names}


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


def provenance_counts(
    session: Session, *, org_id: int, start: datetime, end: datetime
) -> list[tuple[str, str | None, str | None, str | None, str | None, int]]:
    """Events with start <= ts < end counted per (status, methodology, model source, zone used,
    grid factor): which data every figure of the period came from, exactly."""
    e = EVENT_TABLE.c
    keys = [e.status, e.methodology, e.model_source, e.zone_used, e.grid_factor_id]
    stmt = (
        select(*keys, func.count())
        .where(e.org_id == org_id, e.ts >= start, e.ts < end)
        .group_by(*keys)
    )
    return [(str(r[0]), r[1], r[2], r[3], r[4], int(r[5])) for r in session.execute(stmt).all()]


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
