"""Points for logging: once per event, capped per day, only for recent activities; levels."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ecotrack.core.events import publish
from ecotrack.gamification.awards import award_service, today
from ecotrack.gamification.rules import level_for
from tests.gamification.conftest import Person, awards, days_ago, log


def me(client: Any, who: Person) -> dict[str, Any]:
    response = client.get("/api/v1/me/gamification", headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_new_account_has_nothing(client, person: Person) -> None:
    body = me(client, person)
    assert body["points"] == 0
    assert body["level"] == 1
    assert body["next_level"] == 2
    assert body["next_level_points"] == 100
    assert body["points_to_next_level"] == 100
    assert body["streak_days"] == 0
    assert body["freezes"] == 0
    assert body["badges"] == []
    assert body["recent_awards"] == []
    assert body["leaderboard_opt_in"] is False


def test_a_500_km_petrol_trip_earns_points_in_the_same_request_cycle(
    client, session: Session, person: Person, published
) -> None:
    activity = log(
        client, person, activity="car", amount=500, unit="km", options={"fuel": "petrol"}
    )
    body = me(client, person)
    assert body["points"] == 10
    assert body["streak_days"] == 1
    assert [b["key"] for b in body["badges"]] == ["first_log"]
    assert [(a["reason"], a["ref"], a["points"], a["status"]) for a in body["recent_awards"]] == [
        ("log", str(activity["id"]), 10, "awarded")
    ]
    assert ("badge.earned", {"user_id": person.id, "badge": "first_log", "name": "First step"}) in (
        published
    )


def test_points_are_awarded_once_even_if_the_handler_runs_twice(
    client, session: Session, person: Person
) -> None:
    activity = log(client, person)
    payload = {
        "user_id": person.id,
        "activity_id": activity["id"],
        "activity": "electricity",
        "category": "electricity",
        "occurred_on": today(),
        "co2e_kg": activity["co2e_kg"],
    }
    publish(session, "activity.logged", **payload)
    publish(session, "activity.logged", **payload)
    session.commit()
    rows = awards(session, person.id)
    assert [(a.reason, a.ref, a.points) for a in rows] == [("log", str(activity["id"]), 10)]
    assert me(client, person)["points"] == 10


def test_logging_points_are_capped_at_50_a_day(client, session: Session, person: Person) -> None:
    for _ in range(7):
        log(client, person, amount=1)
    rows = awards(session, person.id, "log")
    assert [a.points for a in rows] == [10, 10, 10, 10, 10]
    assert me(client, person)["points"] == 50


def test_backdated_activities_earn_no_logging_points(
    client, session: Session, person: Person
) -> None:
    log(client, person, on=days_ago(7))
    log(client, person, on=days_ago(30))
    assert awards(session, person.id, "log") == []
    body = me(client, person)
    assert body["points"] == 0
    assert [b["key"] for b in body["badges"]] == ["first_log"]  # a first log is a first log
    log(client, person, on=days_ago(6))
    assert me(client, person)["points"] == 10


def test_levels_follow_the_thresholds_and_publish_level_reached(
    client, session: Session, person: Person, published
) -> None:
    assert level_for(0) == (1, 0, 100)
    assert level_for(99) == (1, 0, 100)
    assert level_for(100) == (2, 100, 250)
    assert level_for(12000) == (10, 12000, None)
    award_service.award(
        session, user_id=person.id, reason="test", ref="a", points=260, awarded_on=today()
    )
    session.commit()
    body = me(client, person)
    assert (body["points"], body["level"], body["next_level_points"]) == (260, 3, 500)
    assert body["points_to_next_level"] == 240
    assert ("level.reached", {"user_id": person.id, "level": 3}) in published
    award_service.award(
        session, user_id=person.id, reason="test", ref="b", points=740, awarded_on=today()
    )
    session.commit()
    body = me(client, person)
    assert (body["points"], body["level"]) == (1000, 5)
    assert "level_5" in [b["key"] for b in body["badges"]]


def test_rules_are_published(client) -> None:
    body = client.get("/api/v1/gamification/rules").json()
    assert body["log_points"] == 10
    assert body["log_daily_cap"] == 50
    assert body["reduction_review_pct"] == 50.0
    assert body["levels"][:3] == [
        {"level": 1, "points": 0},
        {"level": 2, "points": 100},
        {"level": 3, "points": 250},
    ]
    assert {b["key"] for b in body["badges"]} >= {"first_log", "streak_7", "car_free_week"}
