"""Activities test helpers: a signed-in person, events captured as they are published, and the
rollup-equals-rows check every write test ends with."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecotrack.activities.models import Activity, ActivityDaily
from ecotrack.core import events
from tests.principals import auth_headers, make_user


@dataclass
class Person:
    user: Any
    headers: dict[str, str]

    @property
    def id(self) -> int:
        return int(self.user.id)


@pytest.fixture
def person(session: Session, client: Any) -> Person:  # noqa: ARG001 - the app must exist first
    user = make_user(session)
    return Person(user=user, headers=auth_headers(session, user))


@pytest.fixture
def other(session: Session, client: Any) -> Person:  # noqa: ARG001
    user = make_user(session)
    return Person(user=user, headers=auth_headers(session, user))


@pytest.fixture
def published() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every `activity.*` event published during the test, in order: (name, payload)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    added = []
    for name in ("activity.logged", "activity.changed"):

        def handler(_session: Session, _name: str = name, **payload: Any) -> None:
            seen.append((_name, payload))

        events.subscribe(name)(handler)
        added.append((name, handler))
    yield seen
    for name, handler in added:
        events._HANDLERS[name].remove(handler)


def rollup_of(session: Session, user_id: int) -> dict[tuple[date, str], tuple[float, int]]:
    rows = session.execute(
        select(
            ActivityDaily.day, ActivityDaily.category, ActivityDaily.co2e_kg, ActivityDaily.count
        ).where(ActivityDaily.user_id == user_id)
    ).all()
    return {(d, c): (kg, n) for d, c, kg, n in rows}


def rows_sum(session: Session, user_id: int) -> dict[tuple[date, str], tuple[float, int]]:
    rows = session.execute(
        select(Activity.occurred_on, Activity.category, func.sum(Activity.co2e_kg), func.count())
        .where(Activity.user_id == user_id)
        .group_by(Activity.occurred_on, Activity.category)
    ).all()
    return {(d, c): (kg, n) for d, c, kg, n in rows}


def assert_rollup_matches(session: Session, user_id: int) -> None:
    session.expire_all()
    rollup = rollup_of(session, user_id)
    raw = rows_sum(session, user_id)
    assert set(rollup) == set(raw)
    for key, (kg, n) in raw.items():
        assert rollup[key][1] == n
        assert rollup[key][0] == pytest.approx(kg, rel=1e-12, abs=1e-12)


def by_name(published: list[tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name, payload in published:
        out[name].append(payload)
    return out
