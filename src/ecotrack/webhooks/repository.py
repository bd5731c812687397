"""Every SQL statement of the webhooks domain. Tenant rows are read through `scoped()`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session

from ecotrack.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

T = TypeVar("T", WebhookEndpoint, WebhookDelivery, WebhookAttempt)


def scoped(model: type[T], org_id: int) -> Select[T]:
    return select(model).where(model.org_id == org_id)


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def _page(session: Session, stmt: Select[T], *, limit: int, offset: int) -> tuple[list[T], int]:
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = list(session.execute(stmt.limit(limit).offset(offset)).scalars())
    return rows, int(total.scalar_one())


# --- endpoints ----------------------------------------------------------------------------------


def get_endpoint(session: Session, *, org_id: int, endpoint_id: int) -> WebhookEndpoint | None:
    stmt = scoped(WebhookEndpoint, org_id).where(WebhookEndpoint.id == endpoint_id)
    return session.execute(stmt).scalar_one_or_none()


def endpoints(
    session: Session, *, org_id: int, limit: int, offset: int
) -> tuple[list[WebhookEndpoint], int]:
    stmt = scoped(WebhookEndpoint, org_id).order_by(WebhookEndpoint.id)
    return _page(session, stmt, limit=limit, offset=offset)


def count_endpoints(session: Session, *, org_id: int) -> int:
    stmt = select(func.count()).where(WebhookEndpoint.org_id == org_id)
    return int(session.execute(stmt).scalar_one())


def endpoints_by_ids(session: Session, *, org_id: int, ids: Iterable[int]) -> list[WebhookEndpoint]:
    wanted = list(ids)
    if not wanted:
        return []
    stmt = scoped(WebhookEndpoint, org_id).where(WebhookEndpoint.id.in_(wanted))
    return list(session.execute(stmt.order_by(WebhookEndpoint.id)).scalars())


def delete_row(session: Session, row: Any) -> None:
    session.delete(row)
    session.flush()


# --- deliveries ---------------------------------------------------------------------------------


def get_delivery(
    session: Session, *, org_id: int, endpoint_id: int, delivery_id: int
) -> WebhookDelivery | None:
    stmt = scoped(WebhookDelivery, org_id).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id
    )
    return session.execute(stmt).scalar_one_or_none()


def deliveries(
    session: Session,
    *,
    org_id: int,
    endpoint_id: int,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[WebhookDelivery], int]:
    stmt = scoped(WebhookDelivery, org_id).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    return _page(session, stmt.order_by(WebhookDelivery.id.desc()), limit=limit, offset=offset)


def attempts(session: Session, *, delivery_id: int) -> list[WebhookAttempt]:
    stmt = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.number)
    )
    return list(session.execute(stmt).scalars())


def delivery_for_worker(session: Session, delivery_id: int) -> WebhookDelivery | None:
    return session.get(WebhookDelivery, delivery_id)


def endpoint_for_worker(session: Session, endpoint_id: int) -> WebhookEndpoint | None:
    return session.get(WebhookEndpoint, endpoint_id)


def claim(session: Session, *, delivery_id: int, now: datetime, lease_until: datetime) -> bool:
    """Take a due delivery (pending and due, or `sending` with an expired lease: its worker
    died) for one attempt. Exactly one concurrent caller wins."""
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .where(_due(now))
        .values(
            status="sending",
            locked_until=lease_until,
            attempt_count=WebhookDelivery.attempt_count + 1,
        )
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def _due(now: datetime) -> Any:
    return or_(
        (WebhookDelivery.status == "pending") & (WebhookDelivery.next_attempt_at <= now),
        (WebhookDelivery.status == "sending") & (WebhookDelivery.locked_until < now),
    )


def due_delivery_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    stmt = (
        select(WebhookDelivery.id)
        .where(_due(now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


def finish_claimed(
    session: Session, *, delivery_id: int, attempt_number: int, values: dict[str, Any]
) -> bool:
    """Record the result of the attempt this worker claimed (no-op if another took over)."""
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .where(WebhookDelivery.status == "sending")
        .where(WebhookDelivery.attempt_count == attempt_number)
        .values(locked_until=None, **values)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def delete_finished_before(session: Session, cutoff: datetime) -> int:
    """Delete deliveries that finished (succeeded or failed) before `cutoff`; their attempts go
    by ON DELETE CASCADE, later redeliveries keep their row (`redelivery_of_id` set to NULL)."""
    result = session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status.in_(("succeeded", "failed")),
            WebhookDelivery.finished_at < cutoff,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
