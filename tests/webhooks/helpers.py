"""Small helpers shared by the webhook and alert tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ecotrack.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhooks.receiver import Receiver


def create_endpoint(
    client: Any,
    headers: dict[str, str],
    org_id: int,
    receiver: Receiver,
    *,
    event_types: list[str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"url": receiver.url(), "description": "test receiver"}
    if event_types is not None:
        body["event_types"] = event_types
    response = client.post(f"/api/v1/orgs/{org_id}/webhooks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = dict(response.json())
    receiver.secret = created["secret"]
    return created


def delivery_row(session: Any, delivery_id: int) -> WebhookDelivery:
    session.expire_all()
    row = session.get(WebhookDelivery, delivery_id)
    assert row is not None
    return row


def endpoint_row(session: Any, endpoint_id: int) -> WebhookEndpoint:
    session.expire_all()
    row = session.get(WebhookEndpoint, endpoint_id)
    assert row is not None
    return row


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
