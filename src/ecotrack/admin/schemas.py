from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

FlagName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdminUser(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str | None
    role: Literal["user", "admin"]
    is_active: bool
    is_verified: bool
    created_at: datetime
    last_login_at: datetime | None


class AdminUserUpdate(Strict):
    """Disable/enable (`is_active`) and promote/demote (`role`); omitted fields stay."""

    is_active: StrictBool | None = None
    role: Literal["user", "admin"] | None = None


class Maintenance(BaseModel):
    enabled: bool
    message: str
    retry_after_s: int


class MaintenanceUpdate(Strict):
    enabled: StrictBool | None = None
    message: str | None = Field(default=None, max_length=500)
    retry_after_s: int | None = Field(default=None, ge=1, le=86_400)


class SystemConfig(BaseModel):
    feature_flags: dict[str, bool]
    maintenance: Maintenance
    updated_at: datetime
    updated_by: int | None


class SystemConfigUpdate(Strict):
    feature_flags: dict[FlagName, StrictBool] | None = Field(
        default=None, max_length=100, description="Replaces the whole set of flags"
    )
    maintenance: MaintenanceUpdate | None = None
