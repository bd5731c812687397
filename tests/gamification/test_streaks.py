"""Daily streaks with freezes: the pure replay and the live profile."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from ecotrack.gamification.rules import replay_streak
from tests.gamification.conftest import Person, days_ago, log

D0 = date(2026, 3, 1)


def span(first: int, last: int) -> list[date]:
    return [D0 + timedelta(days=i) for i in range(first, last + 1)]


def test_no_days_no_streak() -> None:
    state = replay_streak([], D0)
    assert (state.streak, state.best, state.freezes, state.last_day) == (0, 0, 0, None)


def test_today_not_logged_yet_keeps_the_streak() -> None:
    state = replay_streak(span(0, 2), D0 + timedelta(days=3))
    assert (state.streak, state.freezes, state.last_day) == (3, 0, D0 + timedelta(days=2))


def test_a_missed_day_without_a_freeze_ends_the_streak() -> None:
    state = replay_streak([*span(0, 2), *span(4, 5)], D0 + timedelta(days=5))
    assert (state.streak, state.best, state.freezes_used) == (2, 3, 0)


def test_a_freeze_earned_after_7_days_covers_one_missed_day() -> None:
    # 7 active days earn a freeze, day 7 is missed (freeze used), days 8-10 continue the run.
    state = replay_streak([*span(0, 6), *span(8, 10)], D0 + timedelta(days=10))
    assert (state.streak, state.best, state.freezes, state.freezes_used) == (10, 10, 0, 1)


def test_freezes_are_capped_at_two_and_a_third_miss_breaks() -> None:
    active = span(0, 20)  # 21 days: 3 freezes earned, 2 kept
    state = replay_streak(active, D0 + timedelta(days=20))
    assert (state.streak, state.freezes) == (21, 2)
    # days 21, 22 missed: both freezes used; day 23 missed: the run ends
    state = replay_streak([*active, D0 + timedelta(days=24)], D0 + timedelta(days=24))
    assert (state.streak, state.best, state.freezes, state.freezes_used) == (1, 21, 0, 2)


def test_future_days_are_ignored() -> None:
    state = replay_streak(span(0, 5), D0 + timedelta(days=2))
    assert state.streak == 3


def test_the_profile_streak_survives_a_missed_day_with_a_freeze(
    client, session: Session, person: Person
) -> None:
    # 7 active days (10..4 days ago) earn a freeze; 3 days ago is missed; 2, 1 and 0 active.
    for n in [*range(10, 3, -1), 2, 1, 0]:
        log(client, person, amount=1, on=days_ago(n))
    body = client.get("/api/v1/me/gamification", headers=person.headers).json()
    assert body["streak_days"] == 10
    assert body["best_streak"] == 10
    assert body["freezes"] == 0
    assert body["freezes_used"] == 1
    assert body["streak_last_day"] == days_ago(0).isoformat()
    assert {b["key"] for b in body["badges"]} == {"first_log", "streak_7"}


def test_the_profile_streak_breaks_without_a_freeze(
    client, session: Session, person: Person
) -> None:
    for n in (5, 4, 2, 1):
        log(client, person, amount=1, on=days_ago(n))
    body = client.get("/api/v1/me/gamification", headers=person.headers).json()
    assert (body["streak_days"], body["best_streak"], body["freezes_used"]) == (2, 2, 0)
    assert "streak_7" not in {b["key"] for b in body["badges"]}
