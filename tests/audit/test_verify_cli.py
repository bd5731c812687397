"""`ecotrack audit verify` as an operator runs it: a separate process against a database file
(SQLite) or server (PostgreSQL) whose rows were then edited with plain SQL.

Both databases are exercised in both test legs: each test builds its own throwaway database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecotrack.core.db import Database, create_db_engine
from ecotrack.core.migrate import upgrade
from tests.audit.conftest import SAMPLE_DETAILS, execute_sql, write_records
from tests.conftest import create_pg_database, drop_pg_database

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Database]]:
    """A migrated, committed database of its own (the CLI runs in another process)."""
    name = None
    if request.param == "postgresql":
        request.getfixturevalue("pg_available")
        name, url = create_pg_database("ecotrack_audit_cli")
    else:
        url = f"sqlite:///{tmp_path / 'audit.db'}"
    upgrade(url)
    database = Database(create_db_engine(url, pool_size=1, max_overflow=0))
    try:
        yield url, database
    finally:
        database.engine.dispose()
        if name is not None:
            drop_pg_database(name)


def run_verify(url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ECOTRACK_DATABASE_URL": url,
        "ECOTRACK_DATA_DIR": str(data_dir),
        "ECOTRACK_ENV": "test",
        "COLUMNS": "60",  # a narrow terminal must not wrap the verdict
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "ecotrack", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def set_details(db: Database, record_id: int, details: dict[str, object]) -> None:
    cast = "CAST(:d AS JSON)" if db.dialect == "postgresql" else ":d"
    with db.engine.begin() as conn:
        sql = f"UPDATE audit_record SET details = {cast} WHERE id = :id"  # noqa: S608
        assert execute_sql(conn, sql, d=json.dumps(details), id=record_id) == 1


def test_verify_passes_untouched_and_names_the_first_edited_record(
    fresh_db: tuple[str, Database], tmp_path: Path
) -> None:
    url, db = fresh_db
    with db.unit_of_work() as session:
        write_records(session)

    ok = run_verify(url, tmp_path)
    assert (ok.returncode, ok.stdout.strip()) == (0, "OK: 6 audit records, the chain is intact")

    # An insider rewrites record 4's action in the database.
    with db.engine.begin() as conn:
        sql = "UPDATE audit_record SET action = 'test.harmless' WHERE id = 4"
        assert execute_sql(conn, sql) == 1
    broken = run_verify(url, tmp_path)
    assert broken.returncode == 1
    assert broken.stdout.strip() == (
        "BROKEN at audit record 4: hash does not match the record's content (4 records checked)"
    )

    # A second, earlier edit (inside the JSON details): the FIRST broken record is named.
    set_details(db, 2, {"city": "Zurich", "nested": {"a": "x", "b": [1, 2.5, None]}})
    broken = run_verify(url, tmp_path)
    assert broken.returncode == 1
    assert broken.stdout.strip() == (
        "BROKEN at audit record 2: hash does not match the record's content (2 records checked)"
    )

    # Put both rows back as they were: the chain verifies again (the check is on content).
    set_details(db, 2, SAMPLE_DETAILS[1])
    with db.engine.begin() as conn:
        execute_sql(conn, "UPDATE audit_record SET action = 'test.action_3' WHERE id = 4")
    again = run_verify(url, tmp_path)
    assert (again.returncode, again.stdout.strip()) == (
        0,
        "OK: 6 audit records, the chain is intact",
    )


def test_verify_names_a_re_hashed_record_and_a_deleted_one(
    fresh_db: tuple[str, Database], tmp_path: Path
) -> None:
    """A careful attacker recomputes the edited record's hash: the next record's link (or the
    chain head) still gives it away, and the edited record itself is named."""
    from ecotrack.audit.models import AuditRecord
    from ecotrack.audit.service import record_hash

    url, db = fresh_db
    with db.unit_of_work() as session:
        write_records(session)
    with db.session_factory() as session:
        record = session.get(AuditRecord, 3)
        assert record is not None
        record.actor_id = 999
        forged = record_hash(record)
        session.rollback()
    with db.engine.begin() as conn:
        sql = "UPDATE audit_record SET actor_id = 999, hash = :h WHERE id = 3"
        assert execute_sql(conn, sql, h=forged) == 1
    result = run_verify(url, tmp_path)
    assert result.returncode == 1
    assert result.stdout.strip() == (
        "BROKEN at audit record 3: record 3's hash is not the one record 4 links to "
        "(rewritten and re-hashed?) (4 records checked)"
    )

    with db.engine.begin() as conn:
        execute_sql(conn, "DELETE FROM audit_record WHERE id IN (2, 3)")
    result = run_verify(url, tmp_path)
    assert result.returncode == 1
    assert result.stdout.strip() == (
        "BROKEN at audit record 2: record 2 is missing (found 4 next) (2 records checked)"
    )


def test_verify_without_a_schema_says_so(tmp_path: Path) -> None:
    result = run_verify(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)
    assert result.returncode == 2
    assert "run `ecotrack migrate`" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
