"""Every SQL statement of the assistant domain."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ecotrack.assistant.models import AssistantCache, AssistantCall


def cache_entry(
    session: Session, *, user_id: int, purpose: str, input_hash: str
) -> AssistantCache | None:
    stmt = select(AssistantCache).where(
        AssistantCache.user_id == user_id,
        AssistantCache.purpose == purpose,
        AssistantCache.input_hash == input_hash,
    )
    return session.execute(stmt).scalar_one_or_none()


def add(session: Session, row: AssistantCache | AssistantCall) -> None:
    session.add(row)
    session.flush()


def calls(session: Session, *, user_id: int | None = None) -> list[AssistantCall]:
    stmt = select(AssistantCall).order_by(AssistantCall.id)
    if user_id is not None:
        stmt = stmt.where(AssistantCall.user_id == user_id)
    return list(session.execute(stmt).scalars().all())


def erase_user(session: Session, user_id: int) -> None:
    session.execute(delete(AssistantCache).where(AssistantCache.user_id == user_id))
    session.execute(
        update(AssistantCall).where(AssistantCall.user_id == user_id).values(user_id=None)
    )
