from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class Check(BaseModel):
    name: str
    status: Literal["ok", "fail", "skipped"]
    latency_ms: float | None = None
    detail: str | None = None


class Readiness(BaseModel):
    status: Literal["ok", "fail"]
    mode: Literal["embedded", "distributed"]
    checks: list[Check]


class ProbeCreate(BaseModel):
    token: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class Probe(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    token: str
    runs: int
    ran_by: str | None
    updated_at: datetime


class ProbeAccepted(BaseModel):
    token: str
    status: Literal["accepted"] = "accepted"
