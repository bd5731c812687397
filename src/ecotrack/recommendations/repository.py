"""Every SQL statement of the recommendations domain; every query is scoped to one user."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ecotrack.recommendations.models import Recommendation


def for_user(session: Session, user_id: int) -> list[Recommendation]:
    stmt = select(Recommendation).where(Recommendation.user_id == user_id)
    return list(session.execute(stmt.order_by(Recommendation.id)).scalars().all())


def get_scoped(session: Session, *, user_id: int, recommendation_id: int) -> Recommendation | None:
    stmt = select(Recommendation).where(
        Recommendation.user_id == user_id, Recommendation.id == recommendation_id
    )
    return session.execute(stmt).scalar_one_or_none()


def add(session: Session, row: Recommendation) -> Recommendation:
    session.add(row)
    session.flush()
    return row


def delete_for_user(session: Session, user_id: int) -> int:
    result = session.execute(delete(Recommendation).where(Recommendation.user_id == user_id))
    return int(result.rowcount)  # type: ignore[attr-defined]
