"""Leaderboards: order, ties, the caller's rank, opt-in for the global board, tenancy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecotrack.gamification.awards import award_service, today
from ecotrack.gamification.models import (
    ChallengeParticipant,
    GamificationProfile,
    LeaderboardScore,
    PointAward,
)
from ecotrack.gamification.rules import period_start
from ecotrack.gamification.service import gamification_service
from tests.gamification.conftest import Person, new_person
from tests.gamification.test_challenges import _org_with_team


def opt_in(client: Any, who: Person, granted: bool = True) -> None:
    response = client.put(
        "/api/v1/users/me/consents",
        json={"consents": [{"kind": "leaderboard", "granted": granted}]},
        headers=who.headers,
    )
    assert response.status_code == 200, response.text


def give(session: Session, who: Person, points: int, ref: str = "x") -> None:
    award_service.award(
        session, user_id=who.id, reason="test", ref=ref, points=points, awarded_on=today()
    )
    session.commit()


def board(client: Any, who: Person, **params: Any) -> Any:
    return client.get("/api/v1/leaderboards", params=params, headers=who.headers)


def ranks(body: dict[str, Any]) -> list[tuple[int, int, float]]:
    return [(e["rank"], e["user_id"], e["score"]) for e in body["items"]]


def test_global_board_lists_only_opted_in_users_best_first_with_shared_ranks(
    client, session: Session
) -> None:
    a, b, c, hidden = (new_person(session) for _ in range(4))
    for who in (a, b, c):
        opt_in(client, who)
    give(session, a, 30)
    give(session, b, 50)
    give(session, c, 30)
    give(session, hidden, 500)
    body = board(client, a).json()
    assert (body["scope"], body["period"], body["metric"]) == ("global", "week", "points")
    assert body["period_start"] == period_start("week", today()).isoformat()
    first, second = sorted([a.id, c.id])
    assert ranks(body) == [(1, b.id, 50.0), (2, first, 30.0), (2, second, 30.0)]
    assert body["total"] == 3
    assert (body["me"]["rank"], body["me"]["score"]) == (2, 30.0)
    paged = board(client, a, limit=1, offset=2).json()
    assert ranks(paged) == [(2, second, 30.0)]
    assert board(client, hidden).json()["me"] is None  # not opted in: not on the board
    for period in ("month", "all"):
        assert ranks(board(client, a, period=period).json())[0] == (1, b.id, 50.0)


def test_opting_in_later_shows_past_points_and_withdrawing_hides_them(
    client, session: Session
) -> None:
    a, b = new_person(session), new_person(session)
    opt_in(client, a)
    give(session, a, 10)
    give(session, b, 20)
    assert [e["user_id"] for e in board(client, a).json()["items"]] == [a.id]
    opt_in(client, b)
    assert [e["user_id"] for e in board(client, a).json()["items"]] == [b.id, a.id]
    opt_in(client, b, granted=False)
    body = board(client, a).json()
    assert [e["user_id"] for e in body["items"]] == [a.id]
    assert body["total"] == 1


def test_org_and_team_boards_are_for_members_only(client, session: Session, settings) -> None:  # type: ignore[no-untyped-def]
    owner, m1, m2, outsider = (new_person(session) for _ in range(4))
    org, team = _org_with_team(session, settings, owner, [m1, m2])
    give(session, m1, 5)
    give(session, m2, 15)
    give(session, owner, 1)
    give(session, outsider, 100)
    body = board(client, m1, scope="org", scope_id=org.id).json()
    assert ranks(body) == [(1, m2.id, 15.0), (2, m1.id, 5.0), (3, owner.id, 1.0)]
    assert (body["me"]["rank"], body["total"]) == (2, 3)
    team_body = board(client, owner, scope="team", scope_id=team.id).json()
    assert ranks(team_body) == [(1, m2.id, 15.0), (2, m1.id, 5.0)]
    assert team_body["me"] is None  # the owner is not in the team
    for params in ({"scope": "org", "scope_id": org.id}, {"scope": "team", "scope_id": team.id}):
        response = board(client, outsider, **params)
        assert (response.status_code, response.json()["code"]) == (404, "leaderboard-not-found")
    assert board(client, m1, scope="org").status_code == 422
    assert board(client, m1, scope="global", scope_id=org.id).status_code == 422
    assert board(client, m1, scope="team", scope_id=999999).status_code == 404


def test_reduction_board_defaults_to_last_week(client, session: Session) -> None:
    a = new_person(session)
    body = board(client, a, metric="reduction_pct").json()
    assert body["period_start"] == (period_start("week", today()) - timedelta(days=7)).isoformat()
    assert body["items"] == []


def test_seeding_scores_for_the_benchmark(client, session: Session) -> None:
    people = [new_person(session) for _ in range(3)]
    n = gamification_service.seed_scores(session, user_ids=[p.id for p in people], seed=1)
    session.commit()
    assert n == 18
    body = board(client, people[0], period="all").json()
    assert body["total"] == 3
    scores = [e["score"] for e in body["items"]]
    assert scores == sorted(scores, reverse=True)


def test_erasure_removes_every_gamification_row(client, session: Session) -> None:
    from ecotrack.core.events import publish

    a = new_person(session)
    opt_in(client, a)
    give(session, a, 40)
    assert client.post("/api/v1/challenges/4/join", headers=a.headers).status_code == 201
    publish(session, "user.erased", user_id=a.id)
    session.commit()
    for model in (PointAward, LeaderboardScore, GamificationProfile, ChallengeParticipant):
        count = session.execute(
            select(func.count()).select_from(model).where(model.user_id == a.id)
        ).scalar_one()
        assert count == 0, model
