"""Logging, reading, editing and deleting activities over HTTP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from ecotrack.activities.models import Activity, ActivityRevision
from ecotrack.activities.service import today_utc
from tests.activities.conftest import assert_rollup_matches, by_name

PETROL_FACTOR = "desnz:2025:25_301_3070_4_1"  # DESNZ 2025, average petrol car, 0.16272 kg/km


def car_trip(day: date, km: float = 500, fuel: str = "petrol") -> dict:
    return {
        "activity": "car",
        "amount": km,
        "unit": "km",
        "occurred_on": day.isoformat(),
        "options": {"fuel": fuel},
        "note": "coast",
    }


def test_a_500_km_petrol_trip_shows_everywhere_in_the_same_cycle(client, session, person) -> None:
    today = today_utc()
    created = client.post("/api/v1/activities", json=car_trip(today), headers=person.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["co2e_kg"] == pytest.approx(81.36)
    assert body["category"] == "transportation"
    assert body["factor"]["id"] == PETROL_FACTOR
    assert body["factor"]["dataset"] == "desnz"
    assert body["edition"] == body["factor"]["edition"] == "2025 v1.0"
    assert body["explanation"][0]["text"].startswith("500 km × 0.16272 kg CO2e/km")
    assert body["range"]["low"] == pytest.approx(65.088)
    assert body["range"]["high"] == pytest.approx(97.632)
    assert set(body["gases"]) == {"co2", "ch4", "n2o"}
    assert body["previous"] is None
    assert body["amount_normalised"] == 500.0
    assert body["unit_normalised"] == "km"

    summary = client.get("/api/v1/me/summary", headers=person.headers).json()
    for period in ("week", "month", "year"):
        assert summary[period]["total_kg"] == pytest.approx(81.36)
        assert summary[period]["by_category"]["transportation"] == pytest.approx(81.36)
        assert summary[period]["count"] == 1
        assert summary[period]["trend"] == "new"
        assert summary[period]["change_pct"] is None

    history = client.get("/api/v1/me/history", headers=person.headers).json()
    assert len(history["points"]) == 30
    assert history["points"][-1]["start"] == today.isoformat()
    assert history["points"][-1]["total_kg"] == pytest.approx(81.36)
    assert history["total_kg"] == pytest.approx(81.36)

    stats = client.get("/api/v1/me/stats", headers=person.headers).json()
    assert stats["count"] == 1
    assert stats["total_kg"] == pytest.approx(81.36)
    assert stats["min_kg"] == stats["max_kg"] == pytest.approx(81.36)
    assert stats["first_on"] == stats["latest_on"] == today.isoformat()
    assert stats["latest_calculated_at"] is not None
    assert_rollup_matches(session, person.id)


def test_get_and_list_with_filters_and_paging(client, person) -> None:
    day = date(2026, 3, 10)
    ids = []
    for i, body in enumerate(
        [
            car_trip(day),
            {"activity": "electricity", "amount": 100, "unit": "kWh", "occurred_on": "2026-03-11",
             "region": "GB"},
            car_trip(day + timedelta(days=5), km=10),
        ]
    ):  # fmt: skip
        response = client.post("/api/v1/activities", json=body, headers=person.headers)
        assert response.status_code == 201, (i, response.text)
        ids.append(response.json()["id"])

    one = client.get(f"/api/v1/activities/{ids[1]}", headers=person.headers)
    assert one.status_code == 200
    assert one.json()["category"] == "electricity"
    assert one.json()["region"] == "GB"

    everything = client.get("/api/v1/activities", headers=person.headers).json()
    assert everything["total"] == 3
    assert [a["id"] for a in everything["items"]] == [ids[2], ids[1], ids[0]]  # newest day first

    cars = client.get(
        "/api/v1/activities", params={"category": "transportation"}, headers=person.headers
    ).json()
    assert [a["id"] for a in cars["items"]] == [ids[2], ids[0]]
    ranged = client.get(
        "/api/v1/activities",
        params={"from": "2026-03-11", "to": "2026-03-14"},
        headers=person.headers,
    ).json()
    assert [a["id"] for a in ranged["items"]] == [ids[1]]
    by_activity = client.get(
        "/api/v1/activities", params={"activity": "electricity"}, headers=person.headers
    ).json()
    assert by_activity["total"] == 1
    page = client.get(
        "/api/v1/activities", params={"limit": 1, "offset": 1}, headers=person.headers
    ).json()
    assert page == {**page, "total": 3, "limit": 1, "offset": 1}
    assert [a["id"] for a in page["items"]] == [ids[1]]


def test_editing_recomputes_and_keeps_the_previous_value(client, session, person) -> None:
    day = date(2026, 5, 4)
    created = client.post("/api/v1/activities", json=car_trip(day), headers=person.headers).json()
    moved = day + timedelta(days=3)
    response = client.patch(
        f"/api/v1/activities/{created['id']}",
        json={"amount": 250, "occurred_on": moved.isoformat()},
        headers=person.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["co2e_kg"] == pytest.approx(40.68)
    assert body["occurred_on"] == moved.isoformat()
    assert body["previous"] == {
        "co2e_kg": pytest.approx(81.36),
        "factor_id": PETROL_FACTOR,
        "edition": "2025 v1.0",
    }
    revisions = (
        session.execute(
            select(ActivityRevision).where(ActivityRevision.activity_id == created["id"])
        )
        .scalars()
        .all()
    )
    assert [(r.reason, r.amount, r.occurred_on) for r in revisions] == [("edit", 500.0, day)]
    assert_rollup_matches(session, person.id)

    diesel = client.patch(
        f"/api/v1/activities/{created['id']}",
        json={"options": {"fuel": "diesel"}},
        headers=person.headers,
    ).json()
    assert diesel["factor"]["id"] != PETROL_FACTOR
    assert diesel["previous"]["co2e_kg"] == pytest.approx(40.68)

    note_only = client.patch(
        f"/api/v1/activities/{created['id']}", json={"note": "renamed"}, headers=person.headers
    ).json()
    assert note_only["note"] == "renamed"
    assert note_only["co2e_kg"] == diesel["co2e_kg"]
    count = session.execute(
        select(func.count())
        .select_from(ActivityRevision)
        .where(ActivityRevision.activity_id == created["id"])
    ).scalar_one()
    assert count == 2  # the note did not recompute anything
    assert_rollup_matches(session, person.id)


def test_invalid_edit_changes_nothing(client, session, person) -> None:
    created = client.post(
        "/api/v1/activities", json=car_trip(date(2026, 5, 4)), headers=person.headers
    ).json()
    response = client.patch(
        f"/api/v1/activities/{created['id']}", json={"unit": "kWh"}, headers=person.headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unit-not-accepted"
    again = client.get(f"/api/v1/activities/{created['id']}", headers=person.headers).json()
    assert again == created
    assert session.execute(select(func.count()).select_from(ActivityRevision)).scalar_one() == 0


def test_delete_removes_the_row_and_its_rollup(client, session, person) -> None:
    day = date(2026, 2, 2)
    keep = client.post("/api/v1/activities", json=car_trip(day, km=1), headers=person.headers)
    gone = client.post("/api/v1/activities", json=car_trip(day), headers=person.headers)
    response = client.delete(f"/api/v1/activities/{gone.json()['id']}", headers=person.headers)
    assert response.status_code == 204
    assert (
        client.get(f"/api/v1/activities/{gone.json()['id']}", headers=person.headers).status_code
        == 404
    )
    stats = client.get("/api/v1/me/stats", headers=person.headers).json()
    assert stats["count"] == 1
    assert stats["total_kg"] == pytest.approx(keep.json()["co2e_kg"])
    assert_rollup_matches(session, person.id)


@pytest.mark.parametrize(
    ("body", "code", "loc"),
    [
        ({"activity": "teleport", "amount": 1, "unit": "km"}, "unknown-activity", "activity"),
        ({"activity": "car", "amount": 1, "unit": "kWh"}, "unit-not-accepted", "unit"),
        ({"activity": "car", "amount": 1, "unit": "km", "options": {"fuel": "steam"}},
         "invalid-option", "options"),
    ],
)  # fmt: skip
def test_the_engine_refusals_are_422_with_field_errors(client, session, person, body, code, loc):
    response = client.post(
        "/api/v1/activities", json={**body, "occurred_on": "2026-01-01"}, headers=person.headers
    )
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == code
    assert problem["errors"][0]["loc"][:2] == ["body", loc]
    if code == "unit-not-accepted":
        assert "accepted units: km, mile" in problem["errors"][0]["msg"]
    assert session.execute(select(func.count()).select_from(Activity)).scalar_one() == 0


def test_negative_amount_and_future_date_are_refused(client, session, person) -> None:
    negative = client.post(
        "/api/v1/activities", json=car_trip(date(2026, 1, 1), km=-5), headers=person.headers
    )
    assert negative.status_code == 422
    assert negative.json()["errors"][0]["loc"][:2] == ["body", "amount"]
    future = client.post(
        "/api/v1/activities",
        json=car_trip(today_utc() + timedelta(days=3)),
        headers=person.headers,
    )
    assert future.status_code == 422
    assert future.json()["code"] == "invalid-date"
    missing = client.post(
        "/api/v1/activities", json={"activity": "car", "amount": 1}, headers=person.headers
    )
    assert missing.status_code == 422
    assert {tuple(e["loc"]) for e in missing.json()["errors"]} == {
        ("body", "unit"),
        ("body", "occurred_on"),
    }
    assert session.execute(select(func.count()).select_from(Activity)).scalar_one() == 0


def test_another_users_activity_is_404_and_untouched(client, session, person, other) -> None:
    mine = client.post(
        "/api/v1/activities", json=car_trip(date(2026, 1, 1)), headers=person.headers
    ).json()
    url = f"/api/v1/activities/{mine['id']}"
    assert client.get(url, headers=other.headers).status_code == 404
    response = client.patch(url, json={"amount": 1}, headers=other.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "activity-not-found"
    assert client.delete(url, headers=other.headers).status_code == 404
    assert client.get("/api/v1/activities", headers=other.headers).json()["total"] == 0
    assert client.get("/api/v1/me/stats", headers=other.headers).json()["count"] == 0
    assert client.get(url, headers=person.headers).json() == mine
    assert client.get(url).status_code == 401


def test_region_defaults_to_the_profile_country(client, session, person) -> None:
    person.user.country = "FR"
    session.commit()
    body = {"activity": "electricity", "amount": 100, "unit": "kWh", "occurred_on": "2026-01-01"}
    created = client.post("/api/v1/activities", json=body, headers=person.headers).json()
    assert created["region"] == "FR"
    assert created["factor"]["region"] == "FR"


def test_events_carry_the_documented_payloads(client, person, published) -> None:
    day = date(2026, 4, 1)
    created = client.post("/api/v1/activities", json=car_trip(day), headers=person.headers).json()
    events = by_name(published)
    assert events["activity.logged"] == [
        {
            "user_id": person.id,
            "activity_id": created["id"],
            "activity": "car",
            "category": "transportation",
            "occurred_on": day,
            "co2e_kg": pytest.approx(81.36),
        }
    ]
    assert events["activity.changed"] == [{"user_id": person.id, "days": [day]}]
    published.clear()
    moved = date(2026, 3, 30)
    client.patch(
        f"/api/v1/activities/{created['id']}",
        json={"occurred_on": moved.isoformat()},
        headers=person.headers,
    )
    assert published == [("activity.changed", {"user_id": person.id, "days": [moved, day]})]
    published.clear()
    client.delete(f"/api/v1/activities/{created['id']}", headers=person.headers)
    assert published == [("activity.changed", {"user_id": person.id, "days": [moved]})]
