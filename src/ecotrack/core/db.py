"""Database: engine, declarative base with a naming convention, mixins, request-owned sessions.

One code path for SQLite (embedded, WAL) and PostgreSQL. The request (or the task) owns the
session: it commits on success and rolls back on error; services only `flush()`. Jobs enqueued
during the unit of work are sent after the commit and dropped on rollback (`ecotrack.core.jobs`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    DateTime,
    Dialect,
    Engine,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
    func,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

if TYPE_CHECKING:
    from ecotrack.core.settings import Settings

logger = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on SQLite (which keeps no offset) and PostgreSQL alike.

    Naive values are refused on the way in; values come back aware, in UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use ecotrack.core.db.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class TimestampMixin:
    """`created_at` and `updated_at`, set by the application in UTC."""

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.current_timestamp(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(),
        default=utcnow,
        onupdate=utcnow,
        server_default=func.current_timestamp(),
        nullable=False,
    )


# --- engine -------------------------------------------------------------------------------

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",  # with WAL: durable across app crashes, consistent on power loss
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-65536",  # 64 MiB page cache
    "PRAGMA mmap_size=268435456",
    "PRAGMA journal_size_limit=67108864",  # a WAL file left over 64 MiB is cut back after a reset
)


def _sqlite_on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy own transactions (pysqlite's legacy implicit BEGIN is off).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def wal_checkpoint(engine: Engine, mode: str) -> tuple[int, int, int]:
    """`PRAGMA wal_checkpoint(mode)` outside any transaction (SQLite refuses one inside):
    (busy, frames in the log, frames checkpointed)."""
    if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
        raise ValueError(mode)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"PRAGMA wal_checkpoint({mode})")
        busy, frames, done = cursor.fetchone() or (0, -1, -1)
        cursor.close()
    finally:
        raw.close()
    return int(busy), int(frames), int(done)


class WalCheckpointer:
    """Checkpoints SQLite's write-ahead log from a background thread (`ecotrack serve`).

    By default SQLite checkpoints in the connection whose commit takes the log past 1,000
    pages: that request copies megabytes back into the database file and syncs it while the
    writers behind it wait — with scattered writes (every event of a backfill updating its own
    rollup rows) nearly every commit. Started, this turns the automatic checkpoint off for the
    engine's connections and runs a PASSIVE checkpoint every `interval_s` instead: it copies
    what no reader still needs without blocking readers or writers; with two server processes
    the one that finds the checkpoint taken simply skips its turn. Durability is unchanged
    (commits are in the log either way)."""

    def __init__(self, engine: Engine, interval_s: float) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def _no_autocheckpoint(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")

    def start(self) -> None:
        event.listen(self.engine, "connect", self._no_autocheckpoint)
        self.engine.dispose()  # idle pooled connections were opened with the automatic one
        self._thread = threading.Thread(target=self._loop, name="ecotrack-wal", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        event.remove(self.engine, "connect", self._no_autocheckpoint)
        try:
            self.checkpoint()
        except Exception:  # shutting down: the closing connections checkpoint as well
            logger.exception("WAL checkpoint failed")
        self.engine.dispose()  # later connections checkpoint by themselves again

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, frames in the log, frames checkpointed)."""
        return wal_checkpoint(self.engine, "PASSIVE")

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.checkpoint()
            except Exception:  # a failed turn is retried at the next one
                logger.exception("WAL checkpoint failed")


# True while the current task or thread only reads SQLite (see `sqlite_read_phase`).
_SQLITE_READ_PHASE: ContextVar[bool] = ContextVar("ecotrack_sqlite_read_phase", default=False)


def _sqlite_on_begin(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front: no deadlock-prone lock upgrades under load.
    # A read phase begins deferred instead: a reader in WAL mode takes no lock at all.
    conn.exec_driver_sql("BEGIN" if _SQLITE_READ_PHASE.get() else "BEGIN IMMEDIATE")


def sqlite_read_phase(active: bool) -> None:
    """Mark the current context (an asyncio task and the threadpool calls it makes from now
    on) as reading only, or end that with False: SQLite transactions it begins are deferred and
    take no write lock, so they run beside the writer. Code that would write in such a phase
    must not (e.g. the API key check leaves its `last_used_at` touch to the caller's write)."""
    _SQLITE_READ_PHASE.set(active)


def in_sqlite_read_phase() -> bool:
    return _SQLITE_READ_PHASE.get()


PING_AFTER_IDLE_S = 1.0
_IDLE_SINCE = "ecotrack_idle_since"


def _ping_idle_connections(engine: Engine, after_idle_s: float) -> None:
    """Check a pooled connection before use only when it has sat idle for `after_idle_s` or more
    (SQLAlchemy's `pool_pre_ping` pings on every checkout: a round trip per request). A dead
    one (server restarted, idle connection cut) is replaced, and every connection pooled
    before it too, before the caller sees it; a busy pool sends no ping at all. One that was
    in use within the last `after_idle_s` is not checked: a disconnection in that window
    fails its next statement (and SQLAlchemy then renews the pool), as it would have a moment
    earlier, mid-request."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)  # None: a new connection, nothing to check
        if idle_since is None or time.monotonic() - idle_since < after_idle_s:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise InvalidatePoolError(f"ping after idle: {exc}") from exc
            raise


def create_db_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    echo: bool = False,
    ping_after_idle_s: float = PING_AFTER_IDLE_S,
) -> Engine:
    """An engine for `url` with the pragmas (SQLite) or pool settings (PostgreSQL) EcoTrack uses."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    engine = create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800
    )
    _ping_idle_connections(engine, ping_after_idle_s)
    return engine


class Database:
    """The process-wide engine and session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session_factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session that commits on success, rolls back on error, sends buffered jobs after commit.

        Used by requests (through the `DbSession` dependency), tasks and the CLI.
        """
        from ecotrack.core import jobs  # local: jobs imports this module

        session = self.session_factory()
        buffer = jobs.open_buffer(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            buffer.discard()
            raise
        else:
            buffer.flush()
        finally:
            jobs.close_buffer(session)
            session.close()


_db: Database | None = None
_db_lock = threading.Lock()


def init_database(url: str, **kwargs: Any) -> Database:
    global _db
    with _db_lock:
        if _db is not None:
            _db.engine.dispose()
        _db = Database(create_db_engine(url, **kwargs))
        return _db


def get_database() -> Database:
    if _db is None:
        from ecotrack.core.settings import get_settings

        return ensure_database(get_settings())
    return _db


def ensure_database(settings: Settings) -> Database:
    """The process-wide database for `settings`, created (or replaced) if its URL differs."""
    current = _db
    url = settings.resolved_database_url
    if current is not None and current.engine.url.render_as_string(hide_password=False) == url:
        return current
    return init_database(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        echo=settings.db_echo,
        ping_after_idle_s=settings.db_ping_after_idle_s,
    )


def set_database(db: Database | None) -> None:
    """Install a database (tests use this to share their connection)."""
    global _db
    _db = db
