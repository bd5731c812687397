"""Points for real reductions against the user's own baseline; implausible cuts held for review."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.gamification.awards import today
from ecotrack.gamification.models import LeaderboardScore
from ecotrack.gamification.rules import week_start
from ecotrack.gamification.service import iso_week
from tests.gamification.conftest import Person, awards, log, new_person

LAST_WEEK = week_start(today()) - timedelta(days=7)


def monday(weeks_before_last: int) -> date:
    return LAST_WEEK - timedelta(weeks=weeks_before_last)


def log_week(client: Any, who: Person, start: date, kwh: float, days: int = 4) -> None:
    for i in range(days):
        log(client, who, amount=kwh, on=start + timedelta(days=i))


def week_score(session: Session, user_id: int) -> float | None:
    session.expire_all()
    row = session.get(LeaderboardScore, ("week", LAST_WEEK, "reduction_pct", user_id))
    return None if row is None else row.score


def test_a_20_percent_cut_earns_capped_points_a_badge_and_a_board_score(
    client, session: Session, person: Person
) -> None:
    for k in (3, 2, 1):
        log_week(client, person, monday(k), 10)
    log_week(client, person, LAST_WEEK, 8)
    rows = awards(session, person.id, "weekly_reduction")
    assert [(a.ref, a.points, a.status) for a in rows] == [(iso_week(LAST_WEEK), 100, "awarded")]
    assert rows[0].detail["reduction_pct"] == 20.0
    assert rows[0].detail["logged_days"] == 4
    assert rows[0].detail["baseline_weeks"] == 3
    assert week_score(session, person.id) == 20.0
    body = client.get("/api/v1/me/gamification", headers=person.headers).json()
    assert "reduction_10" in {b["key"] for b in body["badges"]}
    # More entries for last week: the award stays as it was (once per week)
    log(client, person, amount=8, on=LAST_WEEK + timedelta(days=5))
    assert len(awards(session, person.id, "weekly_reduction")) == 1


def test_no_reduction_points_without_a_baseline_or_without_a_cut(
    client, session: Session, person: Person, other: Person
) -> None:
    log_week(client, person, monday(1), 10)  # one baseline week: not enough
    log_week(client, person, LAST_WEEK, 5)
    assert awards(session, person.id, "weekly_reduction") == []
    assert week_score(session, person.id) is None
    for k in (2, 1):
        log_week(client, other, monday(k), 10)
    log_week(client, other, LAST_WEEK, 10.2)  # 2 % more: a score, no points
    assert awards(session, other.id, "weekly_reduction") == []
    assert week_score(session, other.id) == -2.0


def test_a_week_with_too_few_logged_days_does_not_count(
    client, session: Session, person: Person
) -> None:
    for k in (2, 1):
        log_week(client, person, monday(k), 10)
    log_week(client, person, LAST_WEEK, 1, days=3)
    assert awards(session, person.id, "weekly_reduction") == []
    assert week_score(session, person.id) is None


def test_an_implausible_cut_is_held_for_review_then_approved(
    client, session: Session, person: Person
) -> None:
    admin = new_person(session, admin=True)
    for k in (2, 1):
        log_week(client, person, monday(k), 10)
    log_week(client, person, LAST_WEEK, 2)  # an 80 % cut
    [held] = awards(session, person.id, "weekly_reduction")
    assert (held.points, held.status, held.detail["reduction_pct"]) == (100, "review", 80.0)
    before = client.get("/api/v1/me/gamification", headers=person.headers).json()
    assert before["held_points"] == 100
    assert "reduction_10" not in {b["key"] for b in before["badges"]}
    assert week_score(session, person.id) is None  # not on the board either

    queue = client.get("/api/v1/admin/gamification/reviews", headers=admin.headers).json()
    assert [(r["id"], r["user_id"], r["status"]) for r in queue["items"]] == [
        (held.id, person.id, "review")
    ]
    assert queue["total"] == 1
    ok = client.post(f"/api/v1/admin/gamification/reviews/{held.id}/approve", headers=admin.headers)
    assert ok.status_code == 200, ok.text
    assert (ok.json()["status"], ok.json()["reviewed_by_id"]) == ("awarded", admin.id)
    after = client.get("/api/v1/me/gamification", headers=person.headers).json()
    assert after["points"] == before["points"] + 100
    assert after["held_points"] == 0
    assert "reduction_10" in {b["key"] for b in after["badges"]}
    assert week_score(session, person.id) == 80.0
    again = client.post(
        f"/api/v1/admin/gamification/reviews/{held.id}/approve", headers=admin.headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "award-not-under-review")
    missing = client.post("/api/v1/admin/gamification/reviews/999999/reject", headers=admin.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "award-not-found")


def test_a_rejected_award_never_counts(client, session: Session, person: Person) -> None:
    admin = new_person(session, admin=True)
    for k in (2, 1):
        log_week(client, person, monday(k), 10)
    log_week(client, person, LAST_WEEK, 1)
    [held] = awards(session, person.id, "weekly_reduction")
    points = client.get("/api/v1/me/gamification", headers=person.headers).json()["points"]
    response = client.post(
        f"/api/v1/admin/gamification/reviews/{held.id}/reject", headers=admin.headers
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    body = client.get("/api/v1/me/gamification", headers=person.headers).json()
    assert (body["points"], body["held_points"]) == (points, 0)
    assert week_score(session, person.id) is None
    queue = client.get("/api/v1/admin/gamification/reviews", headers=admin.headers).json()
    assert queue["total"] == 0


def test_car_free_week_badge(client, session: Session, person: Person, other: Person) -> None:
    log(client, other, activity="car", amount=5, unit="km", on=LAST_WEEK + timedelta(days=4))
    for i in range(4):
        log(client, person, activity="bus", amount=5, unit="km", on=LAST_WEEK + timedelta(days=i))
        log(client, other, activity="bus", amount=5, unit="km", on=LAST_WEEK + timedelta(days=i))
    mine = client.get("/api/v1/me/gamification", headers=person.headers).json()
    theirs = client.get("/api/v1/me/gamification", headers=other.headers).json()
    assert "car_free_week" in {b["key"] for b in mine["badges"]}
    assert "car_free_week" not in {b["key"] for b in theirs["badges"]}
