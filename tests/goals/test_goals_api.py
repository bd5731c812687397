"""Goals: CRUD and validation, exact progress from activities logged through the API,
achievement once (with one notification and one email), tenancy and erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ecotrack.core.events import publish
from ecotrack.core.jobs import EmbeddedRunner
from ecotrack.email.service import email_service
from ecotrack.goals.models import Goal
from ecotrack.notifications.models import Notification
from tests.goals.helpers import ago, annual_goal, log, today
from tests.principals import auth_headers, make_user

GOALS = "/api/v1/goals"


@pytest.fixture
def user(session):  # type: ignore[no-untyped-def]
    return make_user(session)


@pytest.fixture
def headers(session, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return auth_headers(session, user)


def goal_count(session, user_id: int) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.execute(
        select(func.count()).select_from(Goal).where(Goal.user_id == user_id)
    ).scalar_one()


def notifications_of(session, user_id: int) -> list[Notification]:  # type: ignore[no-untyped-def]
    """The user's goal notifications (other domains, e.g. badges, may notify too)."""
    session.expire_all()
    return list(
        session.execute(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.kind == "goal.achieved")
            .order_by(Notification.id)
        ).scalars()
    )


def test_annual_goal_progress_is_exact(client, headers) -> None:
    car = log(client, headers, on=ago(2), activity="car", amount=500, options={"fuel": "petrol"})
    bus = log(client, headers, on=ago(5), activity="bus", amount=40)
    log(client, headers, on=ago(20), activity="bus", amount=40)  # before the goal: not counted
    response = client.post(GOALS, headers=headers, json=annual_goal())
    assert response.status_code == 201, response.text
    goal = response.json()
    emitted = car + bus
    assert goal["kind"] == "annual"
    assert goal["status"] == "active"
    assert goal["is_achieved"] is False
    assert goal["achieved_at"] is None
    progress = goal["progress"]
    assert progress == {
        "as_of": today().isoformat(),
        "days_elapsed": 10,
        "total_days": 365,
        "emitted_kg": round(emitted, 3),
        "pace_kg_per_year": round(emitted / 10 * 365, 3),
        "target_kg_per_year": 6000.0,
        "baseline_kg_per_year": None,
        "reduction_achieved_percent": None,
        "budget_kg": 6000.0,
        "budget_used_percent": round(emitted / 6000 * 100, 2),
        "on_track": emitted / 10 * 365 <= 6000,
        "window_start": None,
        "window_kg_per_year": None,
        "window_active_days": 0,
    }
    # The same numbers on a later read, and in the list.
    assert client.get(f"{GOALS}/{goal['id']}", headers=headers).json()["progress"] == progress
    listed = client.get(GOALS, headers=headers).json()
    assert listed["total"] == 1
    assert listed["items"][0]["progress"] == progress


def test_logging_updates_progress_in_the_same_request_cycle(client, headers) -> None:
    goal = client.post(GOALS, headers=headers, json=annual_goal()).json()
    assert goal["progress"]["emitted_kg"] == 0.0
    car = log(client, headers, on=today(), activity="car", amount=500, options={"fuel": "petrol"})
    again = client.get(f"{GOALS}/{goal['id']}", headers=headers).json()
    assert again["progress"]["emitted_kg"] == round(car, 3)


def test_category_goal_counts_only_its_category(client, headers) -> None:
    car = log(client, headers, on=ago(1), activity="car", amount=100, options={"fuel": "diesel"})
    log(client, headers, on=ago(1), activity="electricity", amount=300, unit="kWh")
    body = annual_goal(kind="category", category="transportation", target_kg_per_year=1500)
    goal = client.post(GOALS, headers=headers, json=body).json()
    assert goal["progress"]["emitted_kg"] == round(car, 3)
    assert goal["progress"]["pace_kg_per_year"] == round(car / 10 * 365, 3)
    assert goal["progress"]["budget_kg"] == 1500.0


def test_reduction_goal_target_comes_from_the_baseline(client, headers) -> None:
    base_a = log(
        client, headers, on=ago(60), activity="car", amount=300, options={"fuel": "petrol"}
    )
    base_b = log(client, headers, on=ago(45), activity="electricity", amount=200, unit="kWh")
    now = log(client, headers, on=ago(3), activity="bus", amount=25)
    body = {
        "name": "Cut 25 %",
        "kind": "reduction",
        "reduction_percent": 25,
        "baseline_start": ago(69).isoformat(),
        "baseline_end": ago(40).isoformat(),  # 30 days
        "start_on": ago(9).isoformat(),
        "target_date": (ago(9) + timedelta(days=179)).isoformat(),  # 180 days
    }
    response = client.post(GOALS, headers=headers, json=body)
    assert response.status_code == 201, response.text
    progress = response.json()["progress"]
    baseline = (base_a + base_b) / 30 * 365
    target = baseline * 0.75
    pace = now / 10 * 365
    assert progress["baseline_kg_per_year"] == round(baseline, 3)
    assert progress["target_kg_per_year"] == round(target, 3)
    assert progress["pace_kg_per_year"] == round(pace, 3)
    assert progress["reduction_achieved_percent"] == round((baseline - pace) / baseline * 100, 2)
    assert progress["budget_kg"] == round(target * 180 / 365, 3)
    assert progress["on_track"] is (pace <= target)


def test_reduction_goal_with_an_empty_baseline_is_refused(client, headers, session, user) -> None:
    body = {
        "name": "Cut",
        "kind": "reduction",
        "reduction_percent": 10,
        "baseline_start": ago(100).isoformat(),
        "baseline_end": ago(50).isoformat(),
        "start_on": ago(1).isoformat(),
        "target_date": (today() + timedelta(days=100)).isoformat(),
    }
    response = client.post(GOALS, headers=headers, json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "empty-baseline"
    assert goal_count(session, user.id) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target_kg_per_year": None}, "needs target_kg_per_year"),
        ({"category": "waste"}, "does not take category"),
        ({"reduction_percent": 10}, "does not take reduction_percent"),
        ({"kind": "category"}, "needs category"),
        ({"kind": "reduction", "target_kg_per_year": None}, "needs baseline_end"),
        ({"target_date": "2000-01-01"}, "target_date must be after start_on"),
        ({"target_kg_per_year": 0}, "greater than 0"),
        ({"target_kg_per_year": -5}, "greater than 0"),
        ({"category": "food", "kind": "category"}, "Input should be"),
        ({"owner_id": 3}, "Extra inputs are not permitted"),
        ({"name": ""}, "at least 1 character"),
    ],
)
def test_invalid_goals_are_refused(client, headers, session, user, change, message) -> None:
    body = {k: v for k, v in {**annual_goal(), **change}.items() if v is not None}
    response = client.post(GOALS, headers=headers, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation-failed"
    assert message in response.text
    assert goal_count(session, user.id) == 0


def test_baseline_must_end_before_the_goal_starts(client, headers) -> None:
    body = {
        "name": "Cut",
        "kind": "reduction",
        "reduction_percent": 10,
        "baseline_start": ago(30).isoformat(),
        "baseline_end": ago(1).isoformat(),
        "start_on": ago(5).isoformat(),
        "target_date": (today() + timedelta(days=30)).isoformat(),
    }
    response = client.post(GOALS, headers=headers, json=body)
    assert response.status_code == 422
    assert "the baseline period must end before start_on" in response.text


def test_update_and_delete(client, headers, session, user) -> None:
    goal = client.post(GOALS, headers=headers, json=annual_goal()).json()
    url = f"{GOALS}/{goal['id']}"
    response = client.patch(
        url, headers=headers, json={"name": "Under 5 t", "target_kg_per_year": 5000}
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Under 5 t"
    assert response.json()["progress"]["target_kg_per_year"] == 5000.0
    # An update that would break the goal is refused and changes nothing.
    bad = client.patch(url, headers=headers, json={"target_date": goal["start_on"]})
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid-goal"
    assert client.patch(url, headers=headers, json={"kind": "reduction"}).status_code == 422
    unchanged = client.get(url, headers=headers).json()
    assert (unchanged["name"], unchanged["target_date"], unchanged["kind"]) == (
        "Under 5 t",
        goal["target_date"],
        "annual",
    )
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404
    assert goal_count(session, user.id) == 0


def test_another_users_goal_is_a_404(client, headers, session) -> None:
    goal = client.post(GOALS, headers=headers, json=annual_goal()).json()
    other = auth_headers(session, make_user(session))
    url = f"{GOALS}/{goal['id']}"
    for method, body in (("GET", None), ("PATCH", {"name": "Mine now"}), ("DELETE", None)):
        response = client.request(method, url, headers=other, json=body)
        assert response.status_code == 404, method
        assert response.json()["code"] == "goal-not-found"
    assert client.get(GOALS, headers=other).json()["total"] == 0
    assert client.get(url, headers=headers).json()["name"] == goal["name"]


def achievable_goal(**extra):  # type: ignore[no-untyped-def]
    values = {
        "start_on": ago(40).isoformat(),
        "target_date": (today() + timedelta(days=100)).isoformat(),
        "target_kg_per_year": 5000,
    }
    return annual_goal(**{**values, **extra})


def test_goal_is_achieved_once_with_one_notification_and_one_email(
    client, headers, session, user
) -> None:
    goal = client.post(GOALS, headers=headers, json=achievable_goal(name="Low year")).json()
    url = f"{GOALS}/{goal['id']}"
    kgs = [log(client, headers, on=ago(d), activity="bus", amount=10) for d in (25, 15, 5)]
    # Three active days in the window: not yet (at least four are needed).
    assert client.get(url, headers=headers).json()["is_achieved"] is False
    assert notifications_of(session, user.id) == []
    kgs.append(log(client, headers, on=ago(1), activity="bus", amount=10))
    reached = client.get(url, headers=headers).json()
    assert reached["is_achieved"] is True
    assert reached["status"] == "achieved"
    assert reached["achieved_at"] is not None
    assert reached["progress"]["window_active_days"] == 4
    assert reached["progress"]["window_start"] == ago(29).isoformat()
    assert reached["progress"]["window_kg_per_year"] == round(sum(kgs) / 30 * 365, 3)
    # More logging does not announce it again.
    log(client, headers, on=ago(2), activity="bus", amount=10)
    assert client.get(url, headers=headers).json()["achieved_at"] == reached["achieved_at"]
    notes = notifications_of(session, user.id)
    assert [(n.kind, n.title, n.data, n.emailed) for n in notes] == [
        ("goal.achieved", "Goal reached: Low year", {"goal_id": goal["id"]}, True)
    ]
    listed = client.get("/api/v1/notifications", headers=headers).json()
    assert [i["id"] for i in listed["items"] if i["kind"] == "goal.achieved"] == [notes[0].id]
    mails = email_service.messages_to(session, to=user.email)
    assert [(m.subject, m.status) for m in mails] == [("Goal reached: Low year", "pending")]
    while EmbeddedRunner().run_one():
        pass
    session.expire_all()
    assert [m.status for m in email_service.messages_to(session, to=user.email)] == ["sent"]
    # An achieved goal keeps its definition.
    conflict = client.patch(url, headers=headers, json={"target_kg_per_year": 10})
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "goal-achieved"
    assert client.patch(url, headers=headers, json={"name": "Done"}).status_code == 200


def test_goal_above_target_is_not_achieved(client, headers, session, user) -> None:
    goal = client.post(GOALS, headers=headers, json=achievable_goal(target_kg_per_year=1)).json()
    for d in (25, 15, 5, 1):
        log(client, headers, on=ago(d), activity="bus", amount=10)
    got = client.get(f"{GOALS}/{goal['id']}", headers=headers).json()
    assert got["is_achieved"] is False
    assert got["progress"]["window_active_days"] == 4
    assert notifications_of(session, user.id) == []


def test_goal_created_when_already_reached_is_achieved_at_once(
    client, headers, session, user
) -> None:
    for d in (25, 15, 5, 1):
        log(client, headers, on=ago(d), activity="bus", amount=10)
    response = client.post(GOALS, headers=headers, json=achievable_goal())
    assert response.json()["is_achieved"] is True
    assert [n.kind for n in notifications_of(session, user.id)] == ["goal.achieved"]


def test_no_email_when_the_user_opted_out(client, headers, session, user) -> None:
    prefs = client.patch(
        "/api/v1/notifications/preferences", headers=headers, json={"email_goal_achieved": False}
    )
    assert prefs.json() == {"email_goal_achieved": False, "email_challenge_completed": True}
    for d in (25, 15, 5, 1):
        log(client, headers, on=ago(d), activity="bus", amount=10)
    assert client.post(GOALS, headers=headers, json=achievable_goal()).json()["is_achieved"]
    assert [(n.kind, n.emailed) for n in notifications_of(session, user.id)] == [
        ("goal.achieved", False)
    ]
    assert email_service.messages_to(session, to=user.email) == []


def test_erased_users_goals_and_notifications_are_gone(client, headers, session, user) -> None:
    other = make_user(session)
    other_headers = auth_headers(session, other)
    for who in (headers, other_headers):
        for d in (25, 15, 5, 1):
            log(client, who, on=ago(d), activity="bus", amount=10)
        assert client.post(GOALS, headers=who, json=achievable_goal()).status_code == 201
    assert goal_count(session, user.id) == 1
    assert len(notifications_of(session, user.id)) == 1
    publish(session, "user.erased", user_id=user.id)
    session.commit()
    assert goal_count(session, user.id) == 0
    assert notifications_of(session, user.id) == []
    assert goal_count(session, other.id) == 1
    assert len(notifications_of(session, other.id)) == 1
