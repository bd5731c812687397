"""Administration: users (through identity), feature flags and maintenance mode."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ecotrack.admin import repository
from ecotrack.admin.models import SystemConfig as SystemConfigRow
from ecotrack.admin.schemas import (
    AdminUser,
    AdminUserUpdate,
    Maintenance,
    SystemConfig,
    SystemConfigUpdate,
)
from ecotrack.audit.service import audit_service
from ecotrack.identity.service import ClientInfo, identity_service

DEFAULT_MAINTENANCE_MESSAGE = "EcoTrack is down for maintenance; please try again shortly."


@dataclass(frozen=True)
class MaintenanceState:
    enabled: bool
    message: str
    retry_after_s: int


class AdminService:
    # --- users ------------------------------------------------------------------------------

    def list_users(
        self,
        session: Session,
        *,
        q: str | None,
        role: str | None,
        is_active: bool | None,
        limit: int,
        offset: int,
    ) -> tuple[list[AdminUser], int]:
        users, total = identity_service.list_users(
            session, q=q, role=role, is_active=is_active, limit=limit, offset=offset
        )
        return [AdminUser.model_validate(u) for u in users], total

    def get_user(self, session: Session, *, user_id: int) -> AdminUser:
        return AdminUser.model_validate(identity_service.require_user(session, user_id=user_id))

    def update_user(
        self,
        session: Session,
        *,
        user_id: int,
        user_in: AdminUserUpdate,
        actor_id: int,
        client: ClientInfo,
    ) -> AdminUser:
        if user_in.is_active is not None:
            identity_service.set_active(
                session, user_id=user_id, is_active=user_in.is_active, actor_id=actor_id,
                client=client,
            )  # fmt: skip
        if user_in.role is not None:
            identity_service.set_role(
                session, user_id=user_id, role=user_in.role, actor_id=actor_id, client=client
            )
        return self.get_user(session, user_id=user_id)

    # --- configuration ----------------------------------------------------------------------

    @staticmethod
    def _read(row: SystemConfigRow) -> SystemConfig:
        return SystemConfig(
            feature_flags={k: bool(v) for k, v in (row.feature_flags or {}).items()},
            maintenance=Maintenance(
                enabled=row.maintenance_enabled,
                message=row.maintenance_message or DEFAULT_MAINTENANCE_MESSAGE,
                retry_after_s=row.maintenance_retry_after_s,
            ),
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )

    def get_config(self, session: Session) -> SystemConfig:
        return self._read(repository.get_config(session))

    def update_config(
        self,
        session: Session,
        *,
        config_in: SystemConfigUpdate,
        actor_id: int,
        client: ClientInfo,
    ) -> SystemConfig:
        row = repository.get_config(session)
        changes = config_in.model_dump(exclude_unset=True, exclude_none=True)
        if "feature_flags" in changes:
            row.feature_flags = dict(changes["feature_flags"])
        maintenance = changes.get("maintenance") or {}
        if "enabled" in maintenance:
            row.maintenance_enabled = maintenance["enabled"]
        if "message" in maintenance:
            row.maintenance_message = maintenance["message"]
        if "retry_after_s" in maintenance:
            row.maintenance_retry_after_s = maintenance["retry_after_s"]
        row.updated_by = actor_id
        session.flush()
        audit_service.record(
            session,
            actor_id=actor_id,
            action="admin.config_updated",
            resource_type="system_config",
            resource_id=row.id,
            ip=client.ip,
            details=changes,
        )
        return self._read(row)

    def maintenance_state(self, session: Session) -> MaintenanceState:
        config = self.get_config(session)
        return MaintenanceState(
            enabled=config.maintenance.enabled,
            message=config.maintenance.message,
            retry_after_s=config.maintenance.retry_after_s,
        )

    def feature_enabled(self, session: Session, *, name: str) -> bool:
        """For other domains: is the flag `name` on? (Unknown flags are off.)"""
        return self.get_config(session).feature_flags.get(name, False)


admin_service = AdminService()
