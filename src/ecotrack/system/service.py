"""Liveness, readiness and the job probe."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from sqlalchemy.orm import Session

from ecotrack import __version__
from ecotrack.core import jobs
from ecotrack.core.db import Database, utcnow
from ecotrack.core.errors import NotFoundError
from ecotrack.core.settings import Settings
from ecotrack.system import repository
from ecotrack.system.models import ProbeRun
from ecotrack.system.schemas import Check, Health, Readiness


class SystemService:
    def health(self) -> Health:
        return Health(version=__version__)

    def readiness(self, db: Database, settings: Settings) -> Readiness:
        checks = [self._check_database(db)]
        if settings.redis_url:
            checks.append(self._check_redis("redis", settings.redis_url))
        if settings.broker_url:
            checks.append(self._check_broker(settings.broker_url))
        status = "ok" if all(c.status == "ok" for c in checks) else "fail"
        mode = "distributed" if settings.broker_url else "embedded"
        return Readiness(status=status, mode=mode, checks=checks)

    @staticmethod
    def _timed(name: str, fn: object) -> Check:
        start = time.perf_counter()
        try:
            fn()  # type: ignore[operator]
        except Exception as exc:
            return Check(name=name, status="fail", detail=f"{type(exc).__name__}: {exc}"[:300])
        return Check(
            name=name, status="ok", latency_ms=round((time.perf_counter() - start) * 1e3, 3)
        )

    def _check_database(self, db: Database) -> Check:
        def ping() -> None:
            with db.session_factory() as session:
                repository.ping(session)

        check = self._timed("database", ping)
        check.detail = check.detail or db.dialect
        return check

    def _check_redis(self, name: str, url: str) -> Check:
        import redis

        def ping() -> None:
            client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            try:
                client.ping()
            finally:
                client.close()

        return self._timed(name, ping)

    def _check_broker(self, url: str) -> Check:
        if url.startswith(("redis://", "rediss://")):
            return self._check_redis("broker", url)
        from kombu import Connection

        def connect() -> None:
            with Connection(url, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)

        return self._timed("broker", connect)

    # --- the job probe ------------------------------------------------------------------

    def request_probe(self, session: Session, *, token: str) -> None:
        """Enqueue one run of `system.probe` for `token` (after this unit of work commits)."""
        jobs.enqueue(session, "system.probe", token)

    def run_probe(self, session: Session, *, token: str) -> ProbeRun:
        probe = repository.get_probe(session, token) or repository.add_probe(session, token)
        probe.runs += 1
        probe.ran_by = f"{os.uname().nodename}:{os.getpid()}"
        session.flush()
        return probe

    def get_probe(self, session: Session, *, token: str) -> ProbeRun:
        probe = repository.get_probe(session, token)
        if probe is None:
            raise NotFoundError(f"No probe has run for token {token!r}")
        return probe

    def prune_jobs(self, session: Session, *, keep_days: int) -> int:
        return repository.delete_finished_jobs(session, before=utcnow() - timedelta(days=keep_days))


system_service = SystemService()
