from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    actor_id: int | None
    org_id: int | None
    action: str = Field(examples=["auth.login_succeeded"])
    resource_type: str
    resource_id: str | None
    ip: str | None
    details: dict[str, Any]
    prev_hash: str = Field(description="Hash of the previous record (64 zeros for the first)")
    hash: str = Field(description="SHA-256 of this record's canonical JSON and `prev_hash`")


class ChainVerification(BaseModel):
    ok: bool
    checked: int = Field(description="Records checked")
    broken_id: int | None = Field(default=None, description="First record that fails")
    reason: str | None = None
