"""Erasure and export of a person's activities; the demo seeder."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ecotrack.activities.demo import DEMO_EMAIL, seed, year_of_activities
from ecotrack.activities.models import Activity, ActivityDaily, ActivityRevision
from ecotrack.activities.service import activities_service
from ecotrack.core import events
from ecotrack.identity.service import identity_service
from ecotrack.privacy.service import privacy_service


def _count(session, model, user_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(model).where(model.user_id == user_id)
    ).scalar_one()


def _log_two(client, person) -> int:
    body = {"activity": "car", "amount": 10, "unit": "km", "occurred_on": "2026-01-02"}
    first = client.post("/api/v1/activities", json=body, headers=person.headers).json()
    client.patch(f"/api/v1/activities/{first['id']}", json={"amount": 20}, headers=person.headers)
    client.post("/api/v1/activities", json=body, headers=person.headers)
    return int(first["id"])


def test_user_erased_deletes_only_that_persons_rows(client, session, person, other) -> None:
    _log_two(client, person)
    _log_two(client, other)
    events.publish(session, "user.erased", user_id=person.id)
    session.commit()
    for model in (Activity, ActivityDaily, ActivityRevision):
        assert _count(session, model, person.id) == 0
    assert (_count(session, Activity, other.id), _count(session, ActivityRevision, other.id)) == (
        2,
        1,
    )
    assert _count(session, ActivityDaily, other.id) == 1


def test_the_privacy_export_holds_the_activities(client, session, person) -> None:
    first = _log_two(client, person)
    files = privacy_service.collect(session, user_id=person.id)
    exported = files["activities/activities.json"]
    assert [a["id"] for a in exported] == [first, first + 1]
    assert exported[0]["amount"] == 20
    assert exported[0]["previous_co2e_kg"] is not None
    assert exported[0]["factor_id"].startswith("desnz:")


def test_the_demo_seeder_logs_a_year_once(db, settings, session) -> None:
    items = year_of_activities(date(2026, 11, 30))
    assert len(items) > 700
    assert {i["activity"] for i in items} >= {"car", "rail", "diet", "electricity", "natural_gas"}
    lines = list(seed(settings))
    assert lines[0].startswith(f"activities: created {DEMO_EMAIL}")
    assert lines[1].startswith(f"activities: logged {len(items)} activities")
    user = identity_service.get_user_by_email(session, email=DEMO_EMAIL)
    stats_count = _count(session, Activity, user.id)
    assert stats_count == len(items)
    assert list(seed(settings)) == [
        f"activities: {DEMO_EMAIL} already has activities; left as they are"
    ]
    assert _count(session, Activity, user.id) == stats_count
    days = activities_service.activity_days(
        session, user_id=user.id, start=date(2000, 1, 1), end=date(2100, 1, 1)
    )
    assert len(days) == 365
