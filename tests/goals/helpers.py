"""Helpers for the goals and notifications tests: log activities through the API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any


def today() -> date:
    return datetime.now(UTC).date()


def ago(days: int) -> date:
    return today() - timedelta(days=days)


def log(
    client: Any,
    headers: dict[str, str],
    *,
    on: date,
    activity: str = "bus",
    amount: float = 10,
    unit: str = "km",
    options: dict[str, Any] | None = None,
) -> float:
    """Log one activity through the API; returns its kg CO2e as the engine computed it."""
    response = client.post(
        "/api/v1/activities",
        headers=headers,
        json={
            "activity": activity,
            "amount": amount,
            "unit": unit,
            "occurred_on": on.isoformat(),
            "options": options or {},
        },
    )
    assert response.status_code == 201, response.text
    kg: float = response.json()["co2e_kg"]
    return kg


def annual_goal(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Under 6 t",
        "kind": "annual",
        "target_kg_per_year": 6000,
        "start_on": ago(9).isoformat(),
        "target_date": (ago(9) + timedelta(days=364)).isoformat(),
    }
    body.update(extra)
    return body
