"""Request and response bodies of the alerts and organisation-notifications API."""

from __future__ import annotations

import math
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from ecotrack.alerts.windows import Window
from ecotrack.orgs.schemas import MAX_ID

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Metric(StrEnum):
    CO2E_KG = "co2e_kg"
    ENERGY_KWH = "energy_kwh"
    WATER_L = "water_l"
    CALLS = "calls"
    TOKENS = "tokens"  # tokens in + tokens out


class Scope(StrEnum):
    ORGANISATION = "organisation"
    TEAM = "team"
    USER = "user"
    PROVIDER = "provider"
    MODEL = "model"


Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
ScopeValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Threshold = Annotated[StrictFloat | StrictInt, Field(gt=0, le=1e15)]


def _no_control(value: str | None) -> str | None:
    if value is not None and _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


def _unique(value: list[int] | None) -> list[int] | None:
    return None if value is None else sorted(set(value))


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AlertChannels(_In):
    webhook_endpoint_ids: list[Id] = Field(
        default_factory=list, max_length=10, description="Webhook endpoints of the organisation"
    )
    email_user_ids: list[Id] = Field(
        default_factory=list, max_length=50, description="Members to email (user ids)"
    )
    in_app: StrictBool = Field(default=True, description="Add to the organisation notifications")

    _ids = field_validator("webhook_endpoint_ids", "email_user_ids")(_unique)

    @model_validator(mode="after")
    def _some_channel(self) -> AlertChannels:
        if not (self.webhook_endpoint_ids or self.email_user_ids or self.in_app):
            raise ValueError("an alert needs at least one channel")
        return self


def _check_scope(scope: Scope | None, value: str | None) -> None:
    if scope is None:
        return
    if scope is Scope.ORGANISATION and value is not None:
        raise ValueError("scope 'organisation' takes no scope_value")
    if scope is not Scope.ORGANISATION and value is None:
        raise ValueError(f"scope {scope.value!r} needs a scope_value (which {scope.value})")


class AlertCreate(_In):
    name: Name
    metric: Metric
    scope: Scope = Scope.ORGANISATION
    scope_value: ScopeValue | None = Field(
        default=None,
        description="The team name, user (external id or email), provider or model; "
        "none for the whole organisation",
    )
    window: Window
    threshold: Threshold = Field(description="Fires when the window's value reaches it (≥)")
    channels: AlertChannels = Field(default_factory=AlertChannels)
    enabled: StrictBool = True

    _clean = field_validator("name", "scope_value")(_no_control)

    @model_validator(mode="after")
    def _scope(self) -> AlertCreate:
        _check_scope(self.scope, self.scope_value)
        return self


class AlertUpdate(_In):
    """Every field optional; `scope` and `scope_value` change together."""

    name: Name | None = None
    metric: Metric | None = None
    scope: Scope | None = None
    scope_value: ScopeValue | None = None
    window: Window | None = None
    threshold: Threshold | None = None
    channels: AlertChannels | None = None
    enabled: StrictBool | None = None

    _clean = field_validator("name", "scope_value")(_no_control)

    @model_validator(mode="after")
    def _scope(self) -> AlertUpdate:
        if "scope_value" in self.model_fields_set and self.scope is None:
            raise ValueError("give scope together with scope_value")
        _check_scope(self.scope, self.scope_value)
        return self


class Alert(BaseModel):
    id: int
    name: str
    metric: Metric
    scope: Scope
    scope_value: str | None
    window: Window
    threshold: float
    channels: AlertChannels
    enabled: bool
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


class AlertFiring(_Out):
    id: int
    alert_id: int
    window_start: datetime
    window_end: datetime
    value: float
    threshold: float
    fired_at: datetime


class AlertEvaluation(BaseModel):
    """The value of an alert's current window, and whether this evaluation fired it."""

    alert_id: int
    metric: Metric
    window: Window
    window_start: datetime
    window_end: datetime
    value: float
    threshold: float
    fired: bool = Field(description="True when this evaluation fired the alert")
    firing: AlertFiring | None = Field(description="This window's firing, if it has fired")

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        return value if math.isfinite(value) else 0.0


class OrgNotification(_Out):
    id: int
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    alert_id: int | None
    read_at: datetime | None
    read_by_id: int | None
    created_at: datetime


class OrgNotificationPage(BaseModel):
    items: list[OrgNotification]
    total: int
    unread: int = Field(description="Unread notifications of the organisation")
    limit: int
    offset: int


class ReadAll(BaseModel):
    marked: int = Field(description="How many notifications were marked read")
