"""The organisation audit trail: every data-changing action goes through `record()`."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.audit.service import audit_service
from ecotrack.orgs.context import Actor, OrgContext

security_log = logging.getLogger("ecotrack.security")


def record(
    session: Session,
    *,
    actor: Actor,
    org_id: int | None,
    action: str,
    resource_type: str,
    resource_id: int | str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write one audit record in the caller's unit of work (it commits with the change)."""
    audit_service.record(
        session,
        actor_id=actor.user_id,
        org_id=org_id,
        action=action,
        resource_type=resource_type,
        resource_id=None if resource_id is None else str(resource_id),
        ip=actor.ip,
        details=details,
    )


def record_for(
    session: Session,
    ctx: OrgContext,
    *,
    action: str,
    resource_type: str,
    resource_id: int | str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """`record` for a member acting on their organisation (actor and org from `ctx`)."""
    record(
        session,
        actor=ctx.actor,
        org_id=ctx.org_id,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        details=details,
    )


def denied(reason: str, **fields: Any) -> None:
    """Log a refused access (the request rolls back, so this goes to the security log)."""
    security_log.warning(
        "access denied: %s", reason, extra={"security": {"reason": reason, **fields}}
    )
