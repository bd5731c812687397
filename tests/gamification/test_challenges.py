"""Challenges: catalogue, join/leave, progress from activities, completion, team challenges."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ecotrack.core.settings import Settings
from ecotrack.orgs.context import Actor, OrgRole
from ecotrack.orgs.schemas import OrgCreate, TeamCreate, TeamMemberAdd
from ecotrack.orgs.service import orgs_service
from tests.gamification.conftest import Person, awards, log, new_person

CAR_FREE, MEAT_FREE, ENERGY, TRANSIT, LOGGER = 1, 2, 3, 4, 5


def join(client: Any, who: Person, challenge_id: int) -> Any:
    return client.post(f"/api/v1/challenges/{challenge_id}/join", headers=who.headers)


def mine(client: Any, who: Person) -> list[dict[str, Any]]:
    response = client.get("/api/v1/me/challenges", headers=who.headers)
    assert response.status_code == 200
    return list(response.json())


def test_the_catalogue(client) -> None:
    body = client.get("/api/v1/challenges").json()
    assert [c["slug"] for c in body] == [
        "car_free_week",
        "meat_free_month",
        "cut_home_energy_10",
        "public_transport_week",
        "daily_logger",
    ]
    one = client.get("/api/v1/challenges/2").json()
    assert (one["name"], one["duration_days"], one["target"]) == ("Meat-free month", 30, 20.0)
    missing = client.get("/api/v1/challenges/99")
    assert (missing.status_code, missing.json()["code"]) == (404, "challenge-not-found")


def test_join_twice_leave_and_leave_again(client, session: Session, person: Person) -> None:
    first = join(client, person, CAR_FREE)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["status"], body["progress"], body["value"]) == ("active", 0.0, 0.0)
    assert (body["starts_on"], body["challenge_name"]) == (body["starts_on"], "Car-free week")
    again = join(client, person, CAR_FREE)
    assert (again.status_code, again.json()["code"]) == (409, "challenge-already-joined")
    left = client.post(f"/api/v1/challenges/{CAR_FREE}/leave", headers=person.headers)
    assert (left.status_code, left.json()["status"]) == (200, "left")
    twice = client.post(f"/api/v1/challenges/{CAR_FREE}/leave", headers=person.headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "challenge-not-joined")
    assert join(client, person, 99).status_code == 404
    assert [p["status"] for p in mine(client, person)] == ["left"]


def test_car_free_progress_then_a_car_trip_fails_it(
    client, session: Session, person: Person
) -> None:
    join(client, person, CAR_FREE)
    log(client, person, activity="bus", amount=3, unit="km")
    [p] = mine(client, person)
    assert (p["status"], p["value"], p["progress"]) == ("active", 1.0, 0.2)
    log(client, person, activity="car", amount=3, unit="km", options={"fuel": "petrol"})
    [p] = mine(client, person)
    assert p["status"] == "failed"
    assert awards(session, person.id, "challenge") == []


def test_public_transport_week_completes_with_points_badge_and_event(
    client, session: Session, person: Person, published
) -> None:
    join(client, person, TRANSIT)
    for _ in range(4):
        log(client, person, activity="rail", amount=20, unit="km")
    [p] = mine(client, person)
    assert (p["status"], p["value"], p["progress"]) == ("active", 4.0, 0.8)
    log(client, person, activity="bus", amount=2, unit="km")
    [p] = mine(client, person)
    assert (p["status"], p["value"], p["progress"]) == ("completed", 5.0, 1.0)
    assert p["completed_at"] is not None
    [award] = awards(session, person.id, "challenge")
    assert (award.ref, award.points, award.status) == (str(p["id"]), 40, "awarded")
    assert (
        "challenge.completed",
        {"user_id": person.id, "challenge_id": TRANSIT, "name": "Public transport week"},
    ) in published
    body = client.get("/api/v1/me/gamification", headers=person.headers).json()
    assert "challenger" in {b["key"] for b in body["badges"]}
    log(client, person, activity="bus", amount=2, unit="km")  # nothing more to win
    assert len(awards(session, person.id, "challenge")) == 1


def test_meat_free_month_counts_vegetarian_days_and_fails_on_meat(
    client, session: Session, person: Person, other: Person
) -> None:
    join(client, person, MEAT_FREE)
    log(client, person, activity="diet", amount=1, unit="person_day", options={"diet": "vegan"})
    [p] = mine(client, person)
    assert (p["status"], p["value"], p["progress"]) == ("active", 1.0, 0.05)
    join(client, other, MEAT_FREE)
    log(client, other, activity="diet", amount=1, unit="person_day", options={"diet": "high_meat"})
    [q] = mine(client, other)
    assert q["status"] == "failed"


def test_daily_logger_counts_logged_days(client, session: Session, person: Person) -> None:
    join(client, person, LOGGER)
    log(client, person, amount=1)
    log(client, person, amount=2)
    [p] = mine(client, person)
    assert (p["status"], p["value"], p["progress"]) == ("active", 1.0, 0.0714)


def _org_with_team(session: Session, settings: Settings, owner: Person, members: list[Person]):  # type: ignore[no-untyped-def]
    org = orgs_service.create_org(
        session,
        actor=Actor(user_id=owner.id),
        owner_id=owner.id,
        org_in=OrgCreate(name="Green Co", slug="green-co"),
        settings=settings,
    )
    for m in members:
        orgs_service.add_member(
            session, actor=Actor(user_id=None), org_id=org.id, user_id=m.id, role=OrgRole.MEMBER
        )
    ctx = orgs_service.access(
        session, org_id=org.id, user_id=owner.id, email=owner.user.email, role=OrgRole.OWNER
    )
    team = orgs_service.create_team(session, ctx=ctx, team_in=TeamCreate(name="Ops"))
    for m in members:
        orgs_service.add_team_member(
            session, ctx=ctx, team_id=team.id, member_in=TeamMemberAdd(user_id=m.id)
        )
    session.commit()
    return org, team


def test_a_team_challenge_enrols_the_team_and_pools_progress(
    client, session: Session, settings: Settings, person: Person, other: Person
) -> None:
    owner = new_person(session)
    outsider = new_person(session)
    org, team = _org_with_team(session, settings, owner, [person, other])
    path = f"/api/v1/orgs/{org.id}/teams/{team.id}/challenges"
    denied = client.post(path, json={"challenge_id": TRANSIT}, headers=person.headers)
    assert (denied.status_code, denied.json()["code"]) == (403, "org-role-required")
    hidden = client.post(path, json={"challenge_id": TRANSIT}, headers=outsider.headers)
    assert hidden.status_code == 404
    assert client.get(path, headers=outsider.headers).status_code == 404

    started = client.post(path, json={"challenge_id": TRANSIT}, headers=owner.headers)
    assert started.status_code == 201, started.text
    body = started.json()
    assert (body["status"], body["progress"]) == ("active", 0.0)
    assert sorted(m["user_id"] for m in body["members"]) == sorted([person.id, other.id])
    dup = client.post(path, json={"challenge_id": TRANSIT}, headers=owner.headers)
    assert (dup.status_code, dup.json()["code"]) == (409, "team-challenge-running")

    for _ in range(5):
        log(client, person, activity="bus", amount=2, unit="km")
    [team_row] = client.get(path, headers=person.headers).json()
    assert (team_row["status"], team_row["progress"]) == ("active", 0.5)
    for _ in range(5):
        log(client, other, activity="rail", amount=2, unit="km")
    [team_row] = client.get(path, headers=other.headers).json()
    assert (team_row["status"], team_row["progress"]) == ("completed", 1.0)
    assert [m["status"] for m in team_row["members"]] == ["completed", "completed"]
    assert [p["team_challenge_id"] for p in mine(client, person)] == [team_row["id"]]
