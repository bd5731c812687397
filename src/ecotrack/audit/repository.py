from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from ecotrack.audit.models import GENESIS_HASH, AuditChainHead, AuditRecord

HEAD_ID = 1


def lock_head(session: Session) -> AuditChainHead:
    """The chain head, locked until the transaction ends (`FOR UPDATE` on PostgreSQL; SQLite
    transactions already hold the database write lock from BEGIN IMMEDIATE)."""
    stmt = select(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    head = session.execute(stmt).scalar_one_or_none()
    if head is None:  # the migration seeds it; this covers a database emptied by hand
        head = AuditChainHead(id=HEAD_ID, last_id=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
        head = session.execute(stmt).scalar_one()
    return head


def get_head(session: Session) -> AuditChainHead | None:
    return session.get(AuditChainHead, HEAD_ID)


def add(session: Session, record: AuditRecord) -> AuditRecord:
    session.add(record)
    session.flush()
    return record


def _filtered(
    stmt: Select[Any],
    *,
    org_id: int | None,
    actor_id: int | None,
    action: str | None,
    resource_type: str | None,
    resource_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Select[Any]:
    if org_id is not None:
        stmt = stmt.where(AuditRecord.org_id == org_id)
    if actor_id is not None:
        stmt = stmt.where(AuditRecord.actor_id == actor_id)
    if action is not None:
        # `auth.` matches every action of that family; anything else is exact.
        if action.endswith("."):
            stmt = stmt.where(AuditRecord.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditRecord.action == action)
    if resource_type is not None:
        stmt = stmt.where(AuditRecord.resource_type == resource_type)
    if resource_id is not None:
        stmt = stmt.where(AuditRecord.resource_id == resource_id)
    if since is not None:
        stmt = stmt.where(AuditRecord.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditRecord.created_at < until)
    return stmt


def list_records(
    session: Session,
    *,
    org_id: int | None,
    actor_id: int | None,
    action: str | None,
    resource_type: str | None,
    resource_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[AuditRecord], int]:
    stmt = _filtered(
        select(AuditRecord),
        org_id=org_id,
        actor_id=actor_id,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        since=since,
        until=until,
    )
    # select_from: without a filter, a bare count() would have no FROM and answer 1.
    count = stmt.with_only_columns(func.count()).select_from(AuditRecord)
    total = int(session.execute(count).scalar_one())
    page = stmt.order_by(AuditRecord.id.desc()).limit(limit).offset(offset)
    return list(session.execute(page).scalars().all()), total


def records_about_user(session: Session, user_id: int) -> list[AuditRecord]:
    """Records the user made, and records about their account made by others (admins)."""
    stmt = select(AuditRecord).where(
        or_(
            AuditRecord.actor_id == user_id,
            and_(AuditRecord.resource_type == "user", AuditRecord.resource_id == str(user_id)),
        )
    )
    return list(session.execute(stmt.order_by(AuditRecord.id)).scalars().all())


def iter_chain(session: Session, *, batch: int = 1000) -> Iterator[AuditRecord]:
    """Every record in chain order, read in batches (keyset pagination on the id)."""
    last = 0
    while True:
        rows = (
            session.execute(
                select(AuditRecord)
                .where(AuditRecord.id > last)
                .order_by(AuditRecord.id)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()
