from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ecotrack.email.models import OutboxMessage


def add(session: Session, message: OutboxMessage) -> OutboxMessage:
    session.add(message)
    session.flush()
    return message


def get_for_delivery(session: Session, outbox_id: int) -> OutboxMessage | None:
    """The row, locked on PostgreSQL so two deliveries of one job cannot both send."""
    stmt = select(OutboxMessage).where(OutboxMessage.id == outbox_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def list_messages(
    session: Session,
    *,
    to_address: str | None,
    template: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[OutboxMessage], int]:
    stmt = select(OutboxMessage)
    if to_address is not None:
        stmt = stmt.where(OutboxMessage.to_address == to_address)
    if template is not None:
        stmt = stmt.where(OutboxMessage.template == template)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    # select_from: without a filter, a bare count() would have no FROM and answer 1.
    count = stmt.with_only_columns(func.count()).select_from(OutboxMessage)
    total = int(session.execute(count).scalar_one())
    rows = session.execute(stmt.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset))
    return list(rows.scalars().all()), total


def messages_to(session: Session, to_address: str) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.to_address == to_address)
    return list(session.execute(stmt.order_by(OutboxMessage.id)).scalars().all())


def delete_to(session: Session, to_address: str) -> int:
    result = session.execute(delete(OutboxMessage).where(OutboxMessage.to_address == to_address))
    return int(result.rowcount)  # type: ignore[attr-defined]
