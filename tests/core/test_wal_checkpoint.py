"""SQLite's write-ahead log checkpointed in the background by `serve`, not by a request.

Observed through the database file: pages committed to the log reach the file only when a
checkpoint copies them back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from ecotrack.core.db import WalCheckpointer, create_db_engine
from ecotrack.core.settings import Settings

pytestmark = pytest.mark.sqlite_only
PAGES = 2500  # past SQLite's automatic checkpoint threshold of 1,000 pages
MIB = 1024 * 1024


def _write_pages(engine, rows: int) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS blob (id INTEGER PRIMARY KEY, b BLOB)"))
        conn.execute(text("INSERT INTO blob (b) VALUES (randomblob(3000))"), [{}] * rows)


def test_commits_leave_the_log_to_the_checkpointer(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    engine = create_db_engine(f"sqlite:///{path}")
    checkpointer = WalCheckpointer(engine, interval_s=3600)  # no background turn in this test
    checkpointer.start()
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        _write_pages(engine, PAGES)
        assert path.stat().st_size < MIB  # the commit left its pages in the log
        busy, frames, done = checkpointer.checkpoint()
        assert busy == 0
        assert done == frames >= PAGES
        assert path.stat().st_size > PAGES * 3000
    finally:
        checkpointer.stop()
    with engine.connect() as conn:  # stopped: connections checkpoint by themselves again
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    engine.dispose()


def test_without_the_checkpointer_the_committing_connection_checkpoints(tmp_path: Path) -> None:
    """The control: what the checkpointer takes off the request path."""
    path = tmp_path / "wal.db"
    engine = create_db_engine(f"sqlite:///{path}")
    _write_pages(engine, PAGES)
    assert path.stat().st_size > PAGES * 3000
    engine.dispose()


def test_the_background_thread_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    engine = create_db_engine(f"sqlite:///{path}")
    checkpointer = WalCheckpointer(engine, interval_s=0.05)
    checkpointer.start()
    try:
        _write_pages(engine, PAGES)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and path.stat().st_size < PAGES * 3000:
            time.sleep(0.05)
        assert path.stat().st_size > PAGES * 3000
    finally:
        checkpointer.stop()
    engine.dispose()


def test_serve_starts_it_for_its_own_sqlite_database(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from ecotrack.app import create_app
    from ecotrack.core.db import get_database, set_database
    from ecotrack.core.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    settings = Settings(env="test", data_dir=tmp_path, database_url=url)
    set_database(None)
    try:
        app = create_app(settings, run_jobs=False)
        with TestClient(app), app.state.db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        settings.sqlite_checkpoint_interval_s = 0  # off: SQLite's own checkpoints
        app = create_app(settings, run_jobs=False)
        with TestClient(app), app.state.db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    finally:
        get_database().engine.dispose()
        set_database(None)
