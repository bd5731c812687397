from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from ecotrack.core.jobs import JobRecord
from ecotrack.system.models import ProbeRun


def ping(session: Session) -> None:
    session.execute(text("SELECT 1"))


def get_probe(session: Session, token: str) -> ProbeRun | None:
    return session.execute(select(ProbeRun).where(ProbeRun.token == token)).scalar_one_or_none()


def add_probe(session: Session, token: str) -> ProbeRun:
    probe = ProbeRun(token=token, runs=0)
    session.add(probe)
    session.flush()
    return probe


def delete_finished_jobs(session: Session, *, before: datetime) -> int:
    result = session.execute(
        delete(JobRecord)
        .where(JobRecord.status.in_(("done", "failed")))
        .where(JobRecord.finished_at < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
