"""Alert fixtures: tests/orgs's world, the local webhook receiver, and real AI-usage ingest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.orgs.conftest import World, b_resources, world  # noqa: F401 - fixtures
from tests.webhooks.conftest import job_env, private_allowed, receiver  # noqa: F401 - fixtures


class Ingest:
    """Sends AI-usage events for organisation A through `POST /v1/ingest` with an ingest key."""

    def __init__(self, client: Any, world: World) -> None:  # noqa: F811
        self.client = client
        created = client.post(
            f"/api/v1/orgs/{world.a.id}/api-keys",
            json={"name": "ingest", "scopes": ["ingest"]},
            headers=world.headers("owner"),
        )
        assert created.status_code == 201, created.text
        self.headers = {"Authorization": f"Bearer {created.json()['secret']}"}
        self.count = 0

    def __call__(self, n: int, *, at: datetime, tokens: int = 100, **fields: Any) -> None:
        events = []
        for _ in range(n):
            self.count += 1
            events.append(
                {
                    "id": f"evt-{self.count}",
                    "ts": at.isoformat(),
                    "provider": "openai",
                    "model": "gpt-4o-mini",
                    "tokens_in": tokens,
                    "tokens_out": tokens,
                    **fields,
                }
            )
        response = self.client.post("/v1/ingest", json={"events": events}, headers=self.headers)
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == n, response.text


@pytest.fixture
def ingest(client: Any, world: World) -> Ingest:  # noqa: F811
    return Ingest(client, world)
