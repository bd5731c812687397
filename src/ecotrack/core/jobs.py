"""Background jobs: one task registry, two ways to run it.

* `@task("<domain>.<verb>")` declares a task in `<domain>/tasks.py`. Tasks take ids and JSON
  primitives, open their own unit of work, and are idempotent.
* `enqueue(session, name, *args)` buffers the job in the caller's unit of work. It is sent only
  after the commit and dropped on rollback.
* **Distributed** (`ECOTRACK_BROKER_URL` set): after commit the buffer sends the task to Celery
  (Redis); `ecotrack worker` runs it with `acks_late` and `reject_on_worker_lost`, `ecotrack beat`
  sends the periodic ones.
* **Embedded** (no broker): the job is a row of the `job` table written in the same transaction as
  the data (a transactional outbox), so an accepted job survives a crash or restart. An in-process
  runner inside `serve` claims rows with a lease, runs them, retries with bounded exponential
  backoff, and also drives the periodic schedule (one process claims each tick).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ecotrack.core.db import Base, TimestampMixin, UTCDateTime, utcnow
from ecotrack.core.observability import JOB_DURATION, JOBS_TOTAL

logger = logging.getLogger("ecotrack.jobs")

LEASE = timedelta(minutes=5)
MAX_BACKOFF_S = 600.0


class JobsError(RuntimeError):
    pass


# --- registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskSpec:
    name: str
    fn: Callable[..., Any]
    every_s: float | None = None  # periodic interval, if any
    max_attempts: int = 5
    acks_late: bool = True
    personal_args: bool = False  # cleared from the job table once the job has ended


TASKS: dict[str, TaskSpec] = {}


def task(
    name: str,
    *,
    every_s: float | None = None,
    max_attempts: int = 5,
    acks_late: bool = True,
    personal_args: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a background task named `<domain>.<verb>` (optionally periodic every `every_s`).
    `personal_args`: its arguments hold personal data (an email address, say), so the embedded
    runner blanks them when the job ends (done, or failed for good) instead of keeping them
    for `ECOTRACK_JOBS_HISTORY_DAYS`."""
    if "." not in name:
        raise JobsError(f"task names are '<domain>.<verb>', got {name!r}")

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        TASKS[name] = TaskSpec(name, fn, every_s, max_attempts, acks_late, personal_args)
        return fn

    return decorator


def load_task_modules() -> None:
    """Import every `ecotrack.<domain>.tasks` module so their tasks register."""
    from ecotrack.core.discovery import domain_modules

    domain_modules("tasks")


def run_task(name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    spec = TASKS.get(name)
    if spec is None:
        load_task_modules()
        spec = TASKS.get(name)
    if spec is None:
        raise JobsError(f"unknown task {name!r}")
    start = time.perf_counter()
    try:
        result = spec.fn(*args, **kwargs)
    except Exception:
        JOBS_TOTAL.labels(task=name, outcome="error").inc()
        raise
    finally:
        JOB_DURATION.labels(task=name).observe(time.perf_counter() - start)
    JOBS_TOTAL.labels(task=name, outcome="success").inc()
    return result


# --- the durable job table (embedded mode) --------------------------------------------------


class JobRecord(TimestampMixin, Base):
    __tablename__ = "job"
    __table_args__ = (Index("ix_job_due", "status", "run_after"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    args: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class JobSchedule(Base):
    """When each periodic task runs next; the process whose UPDATE moves it first enqueues it."""

    __tablename__ = "job_schedule"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


# --- enqueue after commit -------------------------------------------------------------------

_BUFFER_KEY = "ecotrack.jobs.buffer"


@dataclass
class JobBuffer:
    session: Session
    pending: list[tuple[str, list[Any], dict[str, Any]]] = field(default_factory=list)

    def add(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> None:
        if name not in TASKS:
            load_task_modules()
            if name not in TASKS:
                raise JobsError(f"unknown task {name!r}")
        if _backend().distributed:
            self.pending.append((name, args, kwargs))
        else:
            self.session.add(JobRecord(name=name, args=args, kwargs=kwargs))
            self.pending.append((name, args, kwargs))

    def flush(self) -> None:
        """Called after commit: send to the broker, or wake the embedded runner."""
        if not self.pending:
            return
        backend = _backend()
        for name, args, kwargs in self.pending:
            JOBS_TOTAL.labels(task=name, outcome="enqueued").inc()
            if backend.distributed:
                backend.send(name, args, kwargs)
        self.pending.clear()
        if not backend.distributed:
            backend.wake()

    def discard(self) -> None:
        self.pending.clear()


def open_buffer(session: Session) -> JobBuffer:
    buffer = JobBuffer(session)
    session.info[_BUFFER_KEY] = buffer
    return buffer


def close_buffer(session: Session) -> None:
    session.info.pop(_BUFFER_KEY, None)


def enqueue(session: Session, name: str, *args: Any, **kwargs: Any) -> None:
    """Run task `name` after this unit of work commits (never if it rolls back)."""
    buffer = session.info.get(_BUFFER_KEY)
    if buffer is None:
        raise JobsError("enqueue() needs a session opened by Database.unit_of_work()")
    buffer.add(name, list(args), dict(kwargs))


# --- backends -------------------------------------------------------------------------------


class _Backend:
    distributed = False

    def send(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> None:
        raise NotImplementedError

    def wake(self) -> None:
        if _runner is not None:
            _runner.wake()


class _CeleryBackend(_Backend):
    distributed = True

    def send(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> None:
        from ecotrack.core.celery_app import get_celery

        get_celery().send_task(name, args=args, kwargs=kwargs)


_backend_instance: _Backend | None = None


def _backend() -> _Backend:
    global _backend_instance
    if _backend_instance is None:
        from ecotrack.core.settings import get_settings

        _backend_instance = _CeleryBackend() if get_settings().broker_url else _Backend()
    return _backend_instance


def reset_backend() -> None:
    global _backend_instance
    _backend_instance = None


# --- the embedded runner --------------------------------------------------------------------


class EmbeddedRunner:
    """Runs durable jobs from the `job` table inside the serving process."""

    def __init__(
        self,
        *,
        poll_interval_s: float = 1.0,
        start_delay_s: float = 0.0,
        max_attempts: int = 5,
    ) -> None:
        self.poll_interval_s = poll_interval_s
        self.start_delay_s = start_delay_s
        self.max_attempts = max_attempts
        self.worker_id = f"{os.uname().nodename}:{os.getpid()}:{id(self):x}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="ecotrack-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        if self.start_delay_s and self._stop.wait(self.start_delay_s):
            return
        while not self._stop.is_set():
            try:
                self.schedule_periodic()
                while not self._stop.is_set() and self.run_one():
                    pass
            except Exception:
                logger.exception("embedded job runner iteration failed")
            self._wake.wait(self.poll_interval_s)
            self._wake.clear()

    def schedule_periodic(self) -> int:
        """Enqueue every periodic task whose time has come; returns how many were enqueued."""
        from ecotrack.core.db import get_database

        db = get_database()
        enqueued = 0
        now = utcnow()
        # One read of every schedule first: the loop runs each poll interval in every process,
        # and most of the time nothing is due (a transaction per task was ~13 a second).
        with db.session_factory() as session:
            rows = session.execute(select(JobSchedule.name, JobSchedule.next_run_at)).all()
            next_at = dict(rows)
        for spec in TASKS.values():
            if spec.every_s is None:
                continue
            known = next_at.get(spec.name)
            if known is not None and known > now:
                continue
            with db.unit_of_work() as session:
                row = session.get(JobSchedule, spec.name)
                if row is None:
                    session.add(JobSchedule(name=spec.name, next_run_at=now))
                    continue
                if row.next_run_at > now:
                    continue
                moved = session.execute(
                    update(JobSchedule)
                    .where(JobSchedule.name == spec.name)
                    .where(JobSchedule.next_run_at <= now)
                    .values(next_run_at=now + timedelta(seconds=spec.every_s))
                ).rowcount  # type: ignore[attr-defined]
                if moved == 1:
                    enqueue(session, spec.name)
                    enqueued += 1
        return enqueued

    def claim(self) -> JobRecord | None:
        from ecotrack.core.db import get_database

        db = get_database()
        now = utcnow()
        with db.session_factory() as session, session.begin():
            candidate = session.execute(
                select(JobRecord.id)
                .where(
                    ((JobRecord.status == "pending") & (JobRecord.run_after <= now))
                    | ((JobRecord.status == "running") & (JobRecord.locked_until < now))
                )
                .order_by(JobRecord.id)
                .limit(1)
            ).scalar_one_or_none()
            if candidate is None:
                return None
            claimed = session.execute(
                update(JobRecord)
                .where(JobRecord.id == candidate)
                .where(
                    (JobRecord.status == "pending")
                    | ((JobRecord.status == "running") & (JobRecord.locked_until < now))
                )
                .values(
                    status="running",
                    locked_until=now + LEASE,
                    locked_by=self.worker_id,
                    attempts=JobRecord.attempts + 1,
                )
            ).rowcount  # type: ignore[attr-defined]
            if claimed != 1:
                return None
            return session.get(JobRecord, candidate)

    def run_one(self) -> bool:
        """Claim and run one due job. Returns False when none was due."""
        from ecotrack.core.db import get_database

        job = self.claim()
        if job is None:
            return False
        db = get_database()
        try:
            run_task(job.name, list(job.args), dict(job.kwargs))
        except Exception as exc:
            attempts = job.attempts
            spec = TASKS.get(job.name)
            limit = min(self.max_attempts, spec.max_attempts if spec else self.max_attempts)
            logger.warning("job %s (%s) failed on attempt %d: %s", job.id, job.name, attempts, exc)
            with db.session_factory() as session, session.begin():
                if attempts >= limit:
                    values: dict[str, Any] = {
                        "status": "failed",
                        "finished_at": utcnow(),
                        **_ended_args(spec),
                    }
                else:
                    delay = min(MAX_BACKOFF_S, 2.0**attempts)
                    values = {"status": "pending", "run_after": utcnow() + timedelta(seconds=delay)}
                session.execute(
                    update(JobRecord)
                    .where(JobRecord.id == job.id)
                    .values(last_error=repr(exc)[:2000], locked_until=None, **values)
                )
            return True
        with db.session_factory() as session, session.begin():
            session.execute(
                update(JobRecord)
                .where(JobRecord.id == job.id)
                .values(
                    status="done",
                    finished_at=utcnow(),
                    locked_until=None,
                    **_ended_args(TASKS.get(job.name)),
                )
            )
        return True


def _ended_args(spec: TaskSpec | None) -> dict[str, Any]:
    """The columns to blank when a job with personal arguments ends."""
    return {"args": [], "kwargs": {}} if spec is not None and spec.personal_args else {}


_runner: EmbeddedRunner | None = None


def start_embedded_runner(**kwargs: Any) -> EmbeddedRunner:
    global _runner
    if _runner is None:
        _runner = EmbeddedRunner(**kwargs)
        _runner.start()
    return _runner


def stop_embedded_runner() -> None:
    global _runner
    if _runner is not None:
        _runner.stop()
        _runner = None


def queue_depth(session: Session) -> dict[str, int]:
    """Jobs of the embedded table by status (for /metrics and the operator)."""
    from sqlalchemy import func

    rows = session.execute(select(JobRecord.status, func.count()).group_by(JobRecord.status))
    return {status: int(count) for status, count in rows}
