"""Shared fixtures: a throwaway database per run (SQLite or PostgreSQL), the schema built by the
migrations, one rolled-back transaction per test, and an HTTP client over the real app.

Choose the database with ECOTRACK_TEST_DB=sqlite|postgresql (default sqlite). Under CI=true an
unreachable PostgreSQL or Redis is a failure, never a skip.
"""

from __future__ import annotations

import os
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

# Settings come from the environment: point every test at a private data directory first.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="ecotrack-test-"))
os.environ["ECOTRACK_ENV"] = "test"
os.environ["ECOTRACK_DATA_DIR"] = str(_DATA_DIR)
os.environ.setdefault("ECOTRACK_LOG_JSON", "false")
os.environ.setdefault("ECOTRACK_PRELOAD_FACTORS", "false")
for _var in ("ECOTRACK_BROKER_URL", "ECOTRACK_REDIS_URL", "ECOTRACK_DATABASE_URL"):
    os.environ.pop(_var, None)

import pytest  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from ecotrack.core import jobs  # noqa: E402
from ecotrack.core.db import Database, create_db_engine, set_database  # noqa: E402
from ecotrack.core.migrate import upgrade  # noqa: E402
from ecotrack.core.settings import Settings, get_settings  # noqa: E402

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")

PG_ADMIN_URL = os.environ.get(
    "ECOTRACK_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("ECOTRACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


def test_db_kind() -> str:
    return os.environ.get("ECOTRACK_TEST_DB", "sqlite")


test_db_kind.__test__ = False  # type: ignore[attr-defined]


def unavailable(what: str, exc: BaseException) -> None:
    """Skip locally, fail under CI: a missing service must never pass silently in CI."""
    message = f"{what} is not reachable: {exc}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def create_pg_database(prefix: str = "ecotrack_test") -> tuple[str, str]:
    """Create a throwaway PostgreSQL database; returns (name, url)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if test_db_kind() == "postgresql":
        try:
            name, url = create_pg_database()
        except Exception as exc:
            unavailable("PostgreSQL", exc)
        yield url
        drop_pg_database(name)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url, pool_size=5, max_overflow=5)
    upgrade(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    get_settings.cache_clear()
    # warm_routes off: the routes' contexts would be built in full for every test's app
    # (tests/core/test_warm_up.py turns it on)
    return Settings(
        env="test",
        data_dir=_DATA_DIR,
        database_url=database_url,
        log_json=False,
        warm_routes=False,
    )


@pytest.fixture
def db(engine: Engine) -> Iterator[Database]:
    """A Database whose sessions all live inside one transaction rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    database = Database(engine)
    database.session_factory = sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )
    set_database(database)
    jobs.reset_backend()
    yield database
    set_database(None)
    outer.rollback()
    connection.close()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session_factory() as session:
        yield session


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    from ecotrack.app import create_app

    return create_app(settings, db=db, run_jobs=False)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        unavailable("Redis", exc)
    return REDIS_URL


@pytest.fixture(scope="session")
def pg_available() -> None:
    try:
        admin = create_engine(PG_ADMIN_URL)
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
        admin.dispose()
    except Exception as exc:
        unavailable("PostgreSQL", exc)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests about one database's specifics run only on that database (deselected, not skipped)."""
    kind = test_db_kind()
    keep, drop = [], []
    for item in items:
        if (item.get_closest_marker("sqlite_only") and kind != "sqlite") or (
            item.get_closest_marker("postgres_only") and kind != "postgresql"
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
