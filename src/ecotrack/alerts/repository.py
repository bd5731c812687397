"""Every SQL statement of the alerts domain. Tenant rows are read through `scoped()`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecotrack.alerts.models import Alert, AlertFiring, OrgNotification

T = TypeVar("T", Alert, AlertFiring, OrgNotification)


def scoped(model: type[T], org_id: int) -> Select[T]:
    return select(model).where(model.org_id == org_id)


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def add_unique(session: Session, row: Any) -> bool:
    """Insert `row` in a savepoint; False when a unique key refused it (already there)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def page(session: Session, stmt: Select[T], *, limit: int, offset: int) -> tuple[list[T], int]:
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = list(session.execute(stmt.limit(limit).offset(offset)).scalars())
    return rows, int(total.scalar_one())


def delete_row(session: Session, row: Any) -> None:
    session.delete(row)
    session.flush()


# --- alerts ---------------------------------------------------------------------------------


def get_alert(
    session: Session, *, org_id: int, alert_id: int, for_update: bool = False
) -> Alert | None:
    stmt = scoped(Alert, org_id).where(Alert.id == alert_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def alerts(session: Session, *, org_id: int, limit: int, offset: int) -> tuple[list[Alert], int]:
    return page(session, scoped(Alert, org_id).order_by(Alert.id), limit=limit, offset=offset)


def count_alerts(session: Session, *, org_id: int) -> int:
    return int(session.execute(select(func.count()).where(Alert.org_id == org_id)).scalar_one())


def enabled_alerts(session: Session, *, org_id: int) -> list[Alert]:
    stmt = scoped(Alert, org_id).where(Alert.enabled.is_(True)).order_by(Alert.id)
    return list(session.execute(stmt).scalars())


# Asked after every ingested batch: built once, run on the Core connection (no ORM layer).
_HAS_ENABLED = (
    select(Alert.id).where(Alert.org_id == bindparam("org"), Alert.enabled.is_(True)).limit(1)
)


def has_enabled_alerts(session: Session, *, org_id: int) -> bool:
    return session.connection().execute(_HAS_ENABLED, {"org": org_id}).first() is not None


def orgs_with_enabled_alerts(session: Session) -> list[int]:
    stmt = select(Alert.org_id).where(Alert.enabled.is_(True)).distinct().order_by(Alert.org_id)
    return list(session.execute(stmt).scalars())


def alerts_emailing_anyone(session: Session) -> list[Alert]:
    """Alerts with email recipients (JSON lists cannot be searched portably: filter in Python)."""
    stmt = select(Alert).order_by(Alert.id)
    return [a for a in session.execute(stmt).scalars() if a.email_user_ids]


# --- firings --------------------------------------------------------------------------------


def firing_for_window(
    session: Session, *, alert_id: int, window_start: datetime
) -> AlertFiring | None:
    stmt = select(AlertFiring).where(
        AlertFiring.alert_id == alert_id, AlertFiring.window_start == window_start
    )
    return session.execute(stmt).scalar_one_or_none()


def firing_since(session: Session, *, alert_id: int, since: datetime) -> AlertFiring | None:
    """The latest firing at or after `since` (rolling windows fire at most once per 24 h)."""
    stmt = (
        select(AlertFiring)
        .where(AlertFiring.alert_id == alert_id, AlertFiring.fired_at > since)
        .order_by(AlertFiring.fired_at.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def firings(
    session: Session, *, org_id: int, alert_id: int, limit: int, offset: int
) -> tuple[list[AlertFiring], int]:
    stmt = (
        scoped(AlertFiring, org_id)
        .where(AlertFiring.alert_id == alert_id)
        .order_by(AlertFiring.window_start.desc(), AlertFiring.id.desc())
    )
    return page(session, stmt, limit=limit, offset=offset)


# --- notifications ----------------------------------------------------------------------------


def notifications(
    session: Session, *, org_id: int, unread_only: bool, limit: int, offset: int
) -> tuple[list[OrgNotification], int]:
    stmt = scoped(OrgNotification, org_id)
    if unread_only:
        stmt = stmt.where(OrgNotification.read_at.is_(None))
    return page(session, stmt.order_by(OrgNotification.id.desc()), limit=limit, offset=offset)


def count_unread(session: Session, *, org_id: int) -> int:
    stmt = select(func.count()).where(
        OrgNotification.org_id == org_id, OrgNotification.read_at.is_(None)
    )
    return int(session.execute(stmt).scalar_one())


def get_notification(
    session: Session, *, org_id: int, notification_id: int
) -> OrgNotification | None:
    stmt = scoped(OrgNotification, org_id).where(OrgNotification.id == notification_id)
    return session.execute(stmt).scalar_one_or_none()


def mark_all_read(session: Session, *, org_id: int, user_id: int, now: datetime) -> int:
    result = session.execute(
        update(OrgNotification)
        .where(OrgNotification.org_id == org_id, OrgNotification.read_at.is_(None))
        .values(read_at=now, read_by_id=user_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
