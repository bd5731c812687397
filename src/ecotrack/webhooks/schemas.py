"""Request and response bodies of the webhooks API (and the event-type registry)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
)

# Event types an endpoint can subscribe to. Other domains add theirs with `register_event_type`.
EVENT_TYPES: dict[str, str] = {"alert.fired": "An AI-usage alert crossed its threshold"}
TEST_EVENT = "webhook.test"  # sent by POST …/test to any endpoint, subscribed or not

DeliveryStatus = Literal["pending", "sending", "succeeded", "failed"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def register_event_type(name: str, description: str) -> None:
    EVENT_TYPES[name] = description


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _url(value: AnyHttpUrl | None) -> str | None:
    if value is None:
        return None
    text = str(value)
    if len(text) > 2000:
        raise ValueError("URL longer than 2000 characters")
    return text


def _event_types(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = sorted(set(value) - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown event types {unknown}; known: {sorted(EVENT_TYPES)}")
    return sorted(set(value))


Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class WebhookEndpointCreate(_In):
    url: AnyHttpUrl = Field(description="http(s) URL; private and loopback hosts are refused")
    description: Description = ""
    event_types: list[str] = Field(
        default_factory=lambda: ["alert.fired"], min_length=1, max_length=20
    )
    enabled: StrictBool = True

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        _url(value)
        return value

    @field_validator("event_types")
    @classmethod
    def _check_types(cls, value: list[str]) -> list[str]:
        return _event_types(value) or []

    @field_validator("description")
    @classmethod
    def _clean(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("control characters are not allowed")
        return value


class WebhookEndpointUpdate(_In):
    url: AnyHttpUrl | None = None
    description: Description | None = None
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=20)
    enabled: StrictBool | None = None

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        _url(value)
        return value

    @field_validator("event_types")
    @classmethod
    def _check_types(cls, value: list[str] | None) -> list[str] | None:
        return _event_types(value)

    @field_validator("description")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        if value is not None and _CONTROL.search(value):
            raise ValueError("control characters are not allowed")
        return value


class WebhookEndpoint(_Out):
    id: int
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(description="Why EcoTrack disabled it (e.g. 410 Gone)")
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


class WebhookEndpointCreated(WebhookEndpoint):
    secret: str = Field(
        description="The signing secret (`whsec_…`, Standard Webhooks), shown this once"
    )


class WebhookSecretRotate(BaseModel):
    """`POST …/webhooks/{endpoint_id}/rotate-secret`."""

    model_config = ConfigDict(extra="forbid")

    previous_valid_hours: int = Field(
        default=24,
        ge=0,
        le=168,
        description="How long the old secret keeps signing next to the new one (0: stop now)",
    )


class WebhookSecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret (`whsec_…`), shown this once")
    previous_expires_at: datetime | None = Field(
        description="Until when messages also carry a signature with the old secret"
    )


class WebhookDelivery(_Out):
    id: int
    endpoint_id: int
    message_id: str = Field(description="The `webhook-id` header: the same on every attempt")
    event_type: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    redelivery_of_id: int | None
    created_at: datetime
    finished_at: datetime | None


class WebhookAttempt(_Out):
    number: int
    started_at: datetime
    latency_ms: float
    status_code: int | None
    response_snippet: str | None = Field(description="The first KiB of the response body")
    response_headers: dict[str, str]
    error: str | None = Field(description="Set when no HTTP answer came (refused, timeout …)")
    next_attempt_at: datetime | None = Field(description="When the retry after it was scheduled")


class WebhookDeliveryDetail(WebhookDelivery):
    payload: dict[str, Any] = Field(description="The JSON body sent")
    attempts: list[WebhookAttempt]
