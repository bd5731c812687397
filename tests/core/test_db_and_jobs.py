"""Unit of work and jobs: commit on success, nothing half-written on error, jobs after commit."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, func, select, text, update
from sqlalchemy.exc import OperationalError

from ecotrack.core import jobs
from ecotrack.core.db import Database, create_db_engine, utcnow
from ecotrack.core.deps import DbSession
from ecotrack.core.jobs import EmbeddedRunner, JobRecord, JobSchedule, enqueue, task
from ecotrack.system.models import ProbeRun
from tests.conftest import PG_ADMIN_URL


def count(db: Database, model) -> int:  # type: ignore[no-untyped-def]
    with db.session_factory() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_unit_of_work_commits_on_success(db: Database) -> None:
    with db.unit_of_work() as s:
        s.add(ProbeRun(token="ok", runs=0))
    assert count(db, ProbeRun) == 1


def test_unit_of_work_rolls_back_everything_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError), db.unit_of_work() as s:
        s.add(ProbeRun(token="a", runs=0))
        s.flush()
        s.add(ProbeRun(token="b", runs=0))
        raise RuntimeError("fail after a flush")
    assert count(db, ProbeRun) == 0


def test_job_enqueued_in_rolled_back_unit_is_dropped(db: Database) -> None:
    with pytest.raises(RuntimeError), db.unit_of_work() as s:
        enqueue(s, "system.probe", "dropped")
        raise RuntimeError("rollback")
    assert count(db, JobRecord) == 0
    assert EmbeddedRunner().run_one() is False


def test_job_runs_once_after_commit(db: Database) -> None:
    with db.unit_of_work() as s:
        enqueue(s, "system.probe", "t1")
    runner = EmbeddedRunner()
    assert runner.run_one() is True
    assert runner.run_one() is False
    with db.session_factory() as s:
        probe = s.execute(select(ProbeRun).where(ProbeRun.token == "t1")).scalar_one()
        job = s.execute(select(JobRecord)).scalar_one()
    assert probe.runs == 1
    assert (job.status, job.attempts) == ("done", 1)
    assert job.finished_at is not None
    assert job.finished_at.tzinfo is not None


def test_enqueue_outside_unit_of_work_is_refused(db: Database) -> None:
    with db.session_factory() as s, pytest.raises(jobs.JobsError, match="unit_of_work"):
        enqueue(s, "system.probe", "x")


def test_unknown_task_is_refused(db: Database) -> None:
    with pytest.raises(jobs.JobsError, match="unknown task"), db.unit_of_work() as s:
        enqueue(s, "system.nope")


FAILURES: dict[str, int] = {}


@task("testing.flaky", max_attempts=3)
def flaky(key: str, fail_times: int) -> None:
    FAILURES[key] = FAILURES.get(key, 0) + 1
    if FAILURES[key] <= fail_times:
        raise RuntimeError(f"failure {FAILURES[key]}")


def _make_due(db: Database) -> None:
    with db.session_factory() as s, s.begin():
        s.execute(JobRecord.__table__.update().values(run_after=utcnow()))


def test_failed_job_retries_with_backoff_then_succeeds(db: Database) -> None:
    with db.unit_of_work() as s:
        enqueue(s, "testing.flaky", "retry", 1)
    runner = EmbeddedRunner(max_attempts=3)
    assert runner.run_one() is True
    with db.session_factory() as s:
        job = s.execute(select(JobRecord)).scalar_one()
    assert job.status == "pending"
    assert job.attempts == 1
    assert job.run_after > datetime.now(UTC)  # backed off, not due yet
    assert "failure 1" in (job.last_error or "")
    assert runner.run_one() is False
    _make_due(db)
    assert runner.run_one() is True
    with db.session_factory() as s:
        assert s.execute(select(JobRecord.status)).scalar_one() == "done"


def test_job_fails_for_good_after_max_attempts(db: Database) -> None:
    with db.unit_of_work() as s:
        enqueue(s, "testing.flaky", "always", 99)
    runner = EmbeddedRunner(max_attempts=3)
    for _ in range(3):
        _make_due(db)
        assert runner.run_one() is True
    with db.session_factory() as s:
        job = s.execute(select(JobRecord)).scalar_one()
    assert (job.status, job.attempts) == ("failed", 3)
    assert FAILURES["always"] == 3


@task("testing.personal", max_attempts=2, personal_args=True)
def personal(email: str, fail_times: int = 0, *, note: str = "") -> None:
    flaky(email, fail_times)


def _job_row(db: Database) -> tuple[str, list, dict]:  # type: ignore[type-arg]
    with db.session_factory() as s:
        row = s.execute(select(JobRecord.status, JobRecord.args, JobRecord.kwargs)).one()
        return row[0], row[1], row[2]


def test_personal_arguments_are_kept_while_needed_and_blanked_when_the_job_ends(
    db: Database,
) -> None:
    with db.unit_of_work() as s:
        enqueue(s, "testing.personal", "ada@example.org", 1, note="x")
    runner = EmbeddedRunner()
    assert runner.run_one() is True  # fails once: the retry still needs them
    assert _job_row(db) == ("pending", ["ada@example.org", 1], {"note": "x"})
    _make_due(db)
    assert runner.run_one() is True
    assert _job_row(db) == ("done", [], {})


def test_personal_arguments_are_blanked_when_the_job_fails_for_good(db: Database) -> None:
    with db.unit_of_work() as s:
        enqueue(s, "testing.personal", "bob@example.org", 99)
    runner = EmbeddedRunner()
    for _ in range(2):
        _make_due(db)
        assert runner.run_one() is True
    assert _job_row(db) == ("failed", [], {})


def test_other_jobs_keep_their_arguments(db: Database) -> None:
    with db.unit_of_work() as s:
        enqueue(s, "testing.flaky", "kept", 0)
    assert EmbeddedRunner().run_one() is True
    assert _job_row(db) == ("done", ["kept", 0], {})


def test_expired_lease_is_reclaimed(db: Database) -> None:
    """A job left `running` by a dead process runs again once its lease has expired."""
    with db.unit_of_work() as s:
        enqueue(s, "system.probe", "lease")
    with db.session_factory() as s, s.begin():
        s.execute(
            JobRecord.__table__.update().values(
                status="running", locked_until=datetime(2000, 1, 1, tzinfo=UTC), attempts=1
            )
        )
    assert EmbeddedRunner().run_one() is True
    with db.session_factory() as s:
        assert s.execute(select(ProbeRun.runs)).scalar_one() == 1


def test_periodic_tasks_are_enqueued_once_per_interval(db: Database) -> None:
    jobs.load_task_modules()  # every domain's periodic tasks (not only those imported so far)
    runner = EmbeddedRunner()
    runner.schedule_periodic()  # first sight: schedules, enqueues nothing
    with db.session_factory() as s, s.begin():
        s.execute(update(JobSchedule).values(next_run_at=datetime(2000, 1, 1, tzinfo=UTC)))
    first = runner.schedule_periodic()
    second = EmbeddedRunner().schedule_periodic()  # another process at the same tick
    assert first >= 1
    assert second == 0
    with db.session_factory() as s:
        names = list(s.execute(select(JobRecord.name)).scalars())
    assert names.count("system.prune_jobs") == 1


def test_periodic_check_with_nothing_due_is_one_read(db: Database) -> None:
    """The embedded runner checks the schedules every poll interval in every process: with
    nothing due that is one query, not one per periodic task."""
    from sqlalchemy import event

    jobs.load_task_modules()  # every domain's periodic tasks, as in a server
    assert sum(spec.every_s is not None for spec in jobs.TASKS.values()) > 5
    runner = EmbeddedRunner()
    runner.schedule_periodic()  # first sight: every schedule row is made
    with db.session_factory() as s, s.begin():
        s.execute(update(JobSchedule).values(next_run_at=datetime(2999, 1, 1, tzinfo=UTC)))
    statements: list[str] = []

    def seen(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        statements.append(statement)

    bind = db.session_factory.kw["bind"]  # the runner's sessions' engine (or test connection)
    event.listen(bind, "before_cursor_execute", seen)
    try:
        assert runner.schedule_periodic() == 0
    finally:
        event.remove(bind, "before_cursor_execute", seen)
    assert len([s for s in statements if "job_schedule" in s]) == 1


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    with db.session_factory() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.unit_of_work() as s:
        s.add(JobRecord(name="system.probe", args=[], kwargs={}, run_after=datetime(2020, 1, 1)))


def test_request_session_commits_before_the_answer_and_rolls_back_a_failed_request(
    db: Database,
) -> None:
    """`DbSession` (opened on the event loop, ended in the thread pool): a request's writes are
    committed when its answer arrives, a request that fails after flushing leaves nothing, and
    the jobs it enqueued go only with the commit."""
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    app = FastAPI()
    app.state.db = db

    @app.post("/ok/{token}")
    def ok(token: str, session: DbSession) -> dict[str, str]:
        session.add(ProbeRun(token=token, runs=0))
        enqueue(session, "system.probe", token)
        return {"token": token}

    @app.post("/fail/{token}")
    def fail(token: str, session: DbSession) -> None:
        session.add(ProbeRun(token=token, runs=0))
        session.flush()
        enqueue(session, "system.probe", token)
        raise RuntimeError("fails after a flush")

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/ok/kept").status_code == 200
        assert count(db, ProbeRun) == 1  # committed by the time the answer came
        assert client.post("/fail/lost").status_code == 500
    with db.session_factory() as s:
        assert list(s.scalars(select(ProbeRun.token))) == ["kept"]
        assert [j.args for j in s.scalars(select(JobRecord))] == [["kept"]]


# --- the pool's check of idle connections (PostgreSQL) ------------------------------------------


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    finally:
        admin.dispose()
    time.sleep(0.2)  # the backend exits


@pytest.mark.postgres_only
def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use(
    database_url: str,
) -> None:
    engine = create_db_engine(database_url, pool_size=1, max_overflow=0, ping_after_idle_s=0.1)
    try:
        first = _backend_pid(engine)
        _terminate(first)  # e.g. the server restarted, or an idle timeout cut it
        assert _backend_pid(engine) != first  # no error reached the caller
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_a_connection_in_use_a_moment_ago_is_not_pinged(database_url: str) -> None:
    """No round trip before a busy pool's statements: a drop within the window shows up at the
    next statement, which fails as it would have mid-request, and the pool renews itself."""
    engine = create_db_engine(database_url, pool_size=1, max_overflow=0, ping_after_idle_s=60)
    try:
        first = _backend_pid(engine)
        _terminate(first)
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()
