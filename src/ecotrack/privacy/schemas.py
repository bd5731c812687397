from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

ConsentKind = Literal["terms", "marketing", "leaderboard"]
CONSENT_KINDS: tuple[ConsentKind, ...] = ("terms", "marketing", "leaderboard")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Consent(BaseModel):
    kind: ConsentKind
    granted: bool
    version: str | None = Field(description="Version of the text agreed to (null: never asked)")
    updated_at: datetime | None


class ConsentIn(Strict):
    kind: ConsentKind
    granted: StrictBool
    version: str = Field(default="1", min_length=1, max_length=30, pattern=r"^[A-Za-z0-9._-]+$")


class ConsentsUpdate(Strict):
    consents: list[ConsentIn] = Field(min_length=1, max_length=len(CONSENT_KINDS))

    @field_validator("consents")
    @classmethod
    def _one_per_kind(cls, value: list[ConsentIn]) -> list[ConsentIn]:
        kinds = [c.kind for c in value]
        if len(kinds) != len(set(kinds)):
            raise ValueError("each kind at most once")
        return value


class DataExport(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: Literal["pending", "ready", "failed", "expired"]
    created_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None = Field(description="The download link stops working then")
    size_bytes: int | None


class DeleteAccount(Strict):
    password: str = Field(min_length=1, max_length=1024, description="The current password")
