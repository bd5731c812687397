"""The outbox, for platform admins (instances without SMTP read their verification links here)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from ecotrack.core.deps import DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.email.schemas import OutboxMessage
from ecotrack.email.service import email_service
from ecotrack.identity.auth import PlatformAdmin

router = APIRouter(prefix="/admin/outbox", tags=["email"])


@router.get(
    "",
    response_model=Page[OutboxMessage],
    status_code=200,
    responses=problem_responses(401, 403),
)
def list_outbox(
    _admin: PlatformAdmin,
    session: DbSession,
    paging: Paging,
    to: Annotated[str | None, Query(max_length=320, description="Recipient address")] = None,
    template: Annotated[str | None, Query(max_length=50)] = None,
    status: Annotated[Literal["pending", "sent", "failed"] | None, Query()] = None,
) -> Page[OutboxMessage]:
    """Messages in the outbox, newest first (platform admins)."""
    items, total = email_service.list_outbox(
        session,
        to_address=to,
        template=template,
        status=status,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[OutboxMessage](
        items=[OutboxMessage.model_validate(m) for m in items],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )
