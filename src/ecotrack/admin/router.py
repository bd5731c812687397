"""Platform administration: users, feature flags, maintenance mode."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from ecotrack.admin.auth import remember_maintenance_state
from ecotrack.admin.schemas import AdminUser, AdminUserUpdate, SystemConfig, SystemConfigUpdate
from ecotrack.admin.service import MaintenanceState, admin_service
from ecotrack.core.deps import DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.identity.auth import Client, PlatformAdmin

router = APIRouter(prefix="/admin", tags=["admin"])
UserId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get(
    "/users",
    response_model=Page[AdminUser],
    status_code=200,
    responses=problem_responses(401, 403),
)
def list_users(
    _admin: PlatformAdmin,
    session: DbSession,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=100, description="Part of email or name")] = None,
    role: Annotated[Literal["user", "admin"] | None, Query()] = None,
    is_active: Annotated[bool | None, Query()] = None,
) -> Page[AdminUser]:
    """Accounts, searchable by email or display name."""
    items, total = admin_service.list_users(
        session, q=q, role=role, is_active=is_active, limit=paging.limit, offset=paging.offset
    )
    return Page[AdminUser](items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get(
    "/users/{user_id}",
    response_model=AdminUser,
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def get_user(user_id: UserId, _admin: PlatformAdmin, session: DbSession) -> AdminUser:
    """One account."""
    return admin_service.get_user(session, user_id=user_id)


@router.patch(
    "/users/{user_id}",
    response_model=AdminUser,
    status_code=200,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_user(
    user_id: UserId,
    user_in: AdminUserUpdate,
    admin: PlatformAdmin,
    session: DbSession,
    client: Client,
) -> AdminUser:
    """Disable or enable an account (disabling ends its sessions), promote or demote it."""
    return admin_service.update_user(
        session, user_id=user_id, user_in=user_in, actor_id=admin.id, client=client
    )


@router.get(
    "/config", response_model=SystemConfig, status_code=200, responses=problem_responses(401, 403)
)
def get_config(_admin: PlatformAdmin, session: DbSession) -> SystemConfig:
    """Feature flags and maintenance mode."""
    return admin_service.get_config(session)


@router.patch(
    "/config",
    response_model=SystemConfig,
    status_code=200,
    responses=problem_responses(401, 403, 422),
)
def update_config(
    config_in: SystemConfigUpdate,
    request: Request,
    admin: PlatformAdmin,
    session: DbSession,
    client: Client,
) -> SystemConfig:
    """Change feature flags (the whole set) and maintenance mode (message, `retry_after_s`)."""
    config = admin_service.update_config(
        session, config_in=config_in, actor_id=admin.id, client=client
    )
    m = config.maintenance
    remember_maintenance_state(request.app, MaintenanceState(m.enabled, m.message, m.retry_after_s))
    return config
