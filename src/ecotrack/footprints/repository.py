"""Every SQL statement of the footprints domain. A user's results are read through
`scoped()`, which always adds `user_id = :user_id`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from ecotrack.footprints.models import FootprintResult


def scoped(user_id: int) -> Select[FootprintResult]:
    return select(FootprintResult).where(FootprintResult.user_id == user_id)


def add(session: Session, row: FootprintResult) -> FootprintResult:
    session.add(row)
    session.flush()
    return row


def get_for_user(session: Session, *, user_id: int, footprint_id: int) -> FootprintResult | None:
    stmt = scoped(user_id).where(FootprintResult.id == footprint_id)
    return session.execute(stmt).scalar_one_or_none()


def list_for_user(
    session: Session, *, user_id: int, limit: int, offset: int
) -> tuple[list[FootprintResult], int]:
    total = session.execute(
        select(func.count()).select_from(FootprintResult).where(FootprintResult.user_id == user_id)
    ).scalar_one()
    rows = (
        session.execute(
            scoped(user_id)
            .order_by(FootprintResult.created_at.desc(), FootprintResult.id.desc())
            .limit(limit)
            .offset(offset)
        )
        .scalars()
        .all()
    )
    return list(rows), int(total)


def latest_for_user(session: Session, *, user_id: int) -> FootprintResult | None:
    stmt = (
        scoped(user_id)
        .order_by(FootprintResult.created_at.desc(), FootprintResult.id.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def all_for_user(session: Session, *, user_id: int) -> list[FootprintResult]:
    return list(session.execute(scoped(user_id).order_by(FootprintResult.id)).scalars().all())


def delete_for_user(session: Session, *, user_id: int) -> int:
    result = session.execute(delete(FootprintResult).where(FootprintResult.user_id == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_anonymous_before(session: Session, cutoff: datetime) -> int:
    """Delete anonymous results (no user) created before `cutoff`."""
    result = session.execute(
        delete(FootprintResult).where(
            FootprintResult.user_id.is_(None), FootprintResult.created_at < cutoff
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
