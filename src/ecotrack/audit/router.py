"""The platform-wide audit log, for platform admins (organisations read theirs under /orgs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from ecotrack.audit.schemas import AuditRecord
from ecotrack.audit.service import audit_service
from ecotrack.core.deps import DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.identity.auth import PlatformAdmin

router = APIRouter(prefix="/admin/audit-log", tags=["audit"])
Id = Annotated[int | None, Query(ge=1, le=2_147_483_647)]


@router.get(
    "",
    response_model=Page[AuditRecord],
    status_code=200,
    responses=problem_responses(401, 403),
)
def list_audit_log(
    _admin: PlatformAdmin,
    session: DbSession,
    paging: Paging,
    org_id: Id = None,
    actor_id: Id = None,
    action: Annotated[
        str | None, Query(max_length=100, description="Exact, or a family ending in '.'")
    ] = None,
    resource_type: Annotated[str | None, Query(max_length=100)] = None,
    resource_id: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(description="Inclusive, ISO 8601")] = None,
    until: Annotated[datetime | None, Query(description="Exclusive, ISO 8601")] = None,
) -> Page[AuditRecord]:
    """Audit records, newest first, filtered by any combination of fields."""
    items, total = audit_service.list(
        session,
        org_id=org_id,
        actor_id=actor_id,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        since=since,
        until=until,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[AuditRecord](
        items=[AuditRecord.model_validate(r) for r in items],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )
