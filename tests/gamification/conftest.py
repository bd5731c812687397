"""Gamification test helpers: people, logging through the real activities API, event capture."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecotrack.core import events
from ecotrack.gamification.awards import today
from ecotrack.gamification.models import PointAward
from tests.principals import auth_headers, make_user

PUBLISHED = ("badge.earned", "level.reached", "challenge.completed", "leaderboard.changed")


@dataclass
class Person:
    user: Any
    headers: dict[str, str]

    @property
    def id(self) -> int:
        return int(self.user.id)


def new_person(session: Session, **kwargs: Any) -> Person:
    user = make_user(session, **kwargs)
    return Person(user=user, headers=auth_headers(session, user))


@pytest.fixture
def person(session: Session, client: Any) -> Person:  # noqa: ARG001 - the app must exist first
    return new_person(session)


@pytest.fixture
def other(session: Session, client: Any) -> Person:  # noqa: ARG001
    return new_person(session)


def days_ago(n: int) -> date:
    return today() - timedelta(days=n)


def log(
    client: Any,
    who: Person,
    *,
    activity: str = "electricity",
    amount: float = 10,
    unit: str = "kWh",
    on: date | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = {
        "activity": activity,
        "amount": amount,
        "unit": unit,
        "occurred_on": (on or today()).isoformat(),
        "options": options or {},
    }
    response = client.post("/api/v1/activities", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def awards(session: Session, user_id: int, reason: str | None = None) -> list[PointAward]:
    session.expire_all()
    stmt = select(PointAward).where(PointAward.user_id == user_id).order_by(PointAward.id)
    if reason is not None:
        stmt = stmt.where(PointAward.reason == reason)
    return list(session.execute(stmt).scalars())


@pytest.fixture
def published() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Events gamification publishes during the test, in order: (name, payload)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    added = []
    for name in PUBLISHED:

        def handler(_session: Session, _name: str = name, **payload: Any) -> None:
            seen.append((_name, payload))

        events.subscribe(name)(handler)
        added.append((name, handler))
    yield seen
    for name, handler in added:
        events._HANDLERS[name].remove(handler)
