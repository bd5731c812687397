"""Every SQL statement of the notifications domain; each query is scoped to one user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ecotrack.notifications.models import Notification, NotificationPreference


def add(session: Session, notification: Notification) -> Notification:
    session.add(notification)
    session.flush()
    return notification


def get_for_user(session: Session, *, user_id: int, notification_id: int) -> Notification | None:
    return session.execute(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    ).scalar_one_or_none()


def get_by_key(session: Session, *, user_id: int, dedupe_key: str) -> Notification | None:
    return session.execute(
        select(Notification).where(
            Notification.user_id == user_id, Notification.dedupe_key == dedupe_key
        )
    ).scalar_one_or_none()


def list_for_user(
    session: Session, *, user_id: int, unread: bool | None, limit: int, offset: int
) -> tuple[list[Notification], int]:
    where = [Notification.user_id == user_id]
    if unread is True:
        where.append(Notification.read_at.is_(None))
    elif unread is False:
        where.append(Notification.read_at.is_not(None))
    total = session.execute(select(func.count()).select_from(Notification).where(*where))
    rows = session.execute(
        select(Notification)
        .where(*where)
        .order_by(Notification.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), int(total.scalar_one())


def count_unread(session: Session, *, user_id: int) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        ).scalar_one()
    )


def since(session: Session, *, user_id: int, after_id: int, limit: int) -> list[Notification]:
    rows = session.execute(
        select(Notification)
        .where(Notification.user_id == user_id, Notification.id > after_id)
        .order_by(Notification.id)
        .limit(limit)
    )
    return list(rows.scalars())


def mark_all_read(session: Session, *, user_id: int, now: datetime) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def all_for_user(session: Session, *, user_id: int) -> list[Notification]:
    rows = session.execute(
        select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
    )
    return list(rows.scalars())


def get_preferences(session: Session, *, user_id: int) -> NotificationPreference | None:
    return session.get(NotificationPreference, user_id)


def delete_for_user(session: Session, *, user_id: int) -> int:
    removed = session.execute(delete(Notification).where(Notification.user_id == user_id))
    session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user_id))
    return int(removed.rowcount)  # type: ignore[attr-defined]


def delete_read_before(session: Session, *, before: datetime) -> int:
    result = session.execute(
        delete(Notification).where(
            Notification.read_at.is_not(None), Notification.created_at < before
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
