"""GET /api/v1/recommendations over real activities; implement and dismiss; ownership."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from ecotrack.calc import EstimateRequest, estimate
from ecotrack.core.db import utcnow
from ecotrack.recommendations.models import Recommendation
from tests.principals import auth_headers, make_user

URL = "/api/v1/recommendations"


def log(client: Any, headers: dict[str, str], **activity: Any) -> None:
    response = client.post("/api/v1/activities", headers=headers, json=activity)
    assert response.status_code == 201, response.text


@pytest.fixture
def person(session, client):  # type: ignore[no-untyped-def]  # noqa: ARG001 - app first
    user = make_user(session)
    user.country = "FR"
    session.commit()
    return user, auth_headers(session, user)


def by_action(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["action"]: item for item in body["items"]}


def test_savings_are_engine_differences_over_the_annualised_activities(client, person) -> None:
    user, headers = person
    today = utcnow().date()
    log(
        client,
        headers,
        activity="car",
        amount=500,
        unit="km",
        occurred_on=str(today - timedelta(days=100)),
        options={"fuel": "petrol"},
    )
    log(
        client,
        headers,
        activity="car",
        amount=300,
        unit="km",
        occurred_on=str(today),
        options={"fuel": "petrol"},
    )
    log(
        client,
        headers,
        activity="electricity",
        amount=800,
        unit="kWh",
        occurred_on=str(today - timedelta(days=50)),
    )

    response = client.get(URL, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    factor = 365 / 101  # first activity 100 days ago: a 101-day span scaled to a year
    assert body["basis"] == "activities"
    assert body["annualisation_factor"] == pytest.approx(factor, rel=1e-12)
    assert body["period_end"] == str(today)
    assert body["period_start"] == str(today - timedelta(days=364))
    assert (body["ranked_by"], body["llm_status"]) == ("rules", "disabled")
    items = by_action(body)
    assert set(items) == {
        "car_to_bev",
        "car_to_rail",
        "car_sharing",
        "eco_driving",
        "active_travel",
        "car_to_bus",
        "green_tariff",
        "cut_electricity",
        "led_lighting",
    }
    km, kwh = 800 * factor, 800 * factor
    now = estimate(EstimateRequest("car", km, "km", region="FR", options={"fuel": "petrol"}))
    bev = estimate(
        EstimateRequest("car", km, "km", region="FR", options={"fuel": "battery_electric"})
    )
    ev = items["car_to_bev"]
    assert ev["savings_kg_per_year"] == pytest.approx(now.co2e_kg - bev.co2e_kg, rel=1e-12)
    assert ev["factor_ids"] == [now.plan.factor.id, bev.plan.factor.id]
    assert ev["terms"][0]["current"]["co2e_kg"] == pytest.approx(now.co2e_kg, rel=1e-12)
    assert ev["terms"][0]["alternative"]["factor_id"] == bev.plan.factor.id
    assert ev["priority"] == ("high" if ev["savings_kg_per_year"] >= 500 else "medium")
    assert (ev["status"], ev["basis"], ev["difficulty"], ev["cost"]) == (
        "open",
        "activities",
        "hard",
        "high",
    )
    grid = estimate(EstimateRequest("electricity", kwh, "kWh", region="FR"))
    cut = estimate(EstimateRequest("electricity", kwh * 0.9, "kWh", region="FR"))
    assert items["cut_electricity"]["savings_kg_per_year"] == pytest.approx(
        grid.co2e_kg - cut.co2e_kg, rel=1e-12
    )
    assert grid.plan.factor.id.startswith("ember:")  # the profile's country picks the grid
    savings = [i["savings_kg_per_year"] for i in body["items"]]
    assert savings == sorted(savings, reverse=True)
    assert body["implemented_savings_kg_per_year"] == 0.0


def test_a_user_without_data_gets_generic_labelled_recommendations(client, person) -> None:
    _, headers = person
    body = client.get(URL, headers=headers).json()
    assert body["basis"] == "country_defaults"
    assert body["basis_label"].startswith("generic: United Kingdom typical values")
    actions = set(by_action(body))
    assert "car_to_bev" not in actions
    assert "fewer_flights" not in actions
    assert {"heat_pump", "lower_heating_1c", "cut_electricity", "meat_free_days"} <= actions
    assert all(item["basis"] == "country_defaults" for item in body["items"])


def test_implement_and_dismiss_are_persisted_and_dismissed_ones_stay_hidden(
    client, session, person
) -> None:
    user, headers = person
    log(
        client,
        headers,
        activity="electricity",
        amount=300,
        unit="kWh",
        occurred_on=str(utcnow().date()),
    )
    items = by_action(client.get(URL, headers=headers).json())
    green, cut = items["green_tariff"], items["cut_electricity"]

    done = client.post(f"{URL}/{green['id']}/implement", headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "implemented"
    assert done.json()["savings_claimed_kg_per_year"] == green["savings_kg_per_year"]
    implemented_at = done.json()["implemented_at"]
    again = client.post(f"{URL}/{green['id']}/implement", headers=headers).json()
    assert again["implemented_at"] == implemented_at  # idempotent

    gone = client.post(f"{URL}/{cut['id']}/dismiss", headers=headers)
    assert gone.status_code == 200
    assert gone.json()["status"] == "dismissed"

    body = client.get(URL, headers=headers).json()
    assert set(by_action(body)) == {"led_lighting"}
    assert body["implemented_savings_kg_per_year"] == green["savings_kg_per_year"]
    implemented = client.get(URL, params={"status": "implemented"}, headers=headers).json()
    assert [i["action"] for i in implemented["items"]] == ["green_tariff"]
    dismissed = client.get(URL, params={"status": "dismissed"}, headers=headers).json()
    assert [i["action"] for i in dismissed["items"]] == ["cut_electricity"]
    everything = client.get(URL, params={"status": "all"}, headers=headers).json()
    assert [i["action"] for i in everything["items"]] == [
        "led_lighting",
        "green_tariff",
        "cut_electricity",
    ]

    refused = client.post(f"{URL}/{green['id']}/dismiss", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "recommendation-implemented"
    row = session.get(Recommendation, green["id"])
    session.refresh(row)
    assert (row.status, row.dismissed_at) == ("implemented", None)


def test_another_users_recommendation_is_not_found(client, session, person) -> None:
    _, headers = person
    item = client.get(URL, headers=headers).json()["items"][0]
    stranger = make_user(session)
    stranger_headers = auth_headers(session, stranger)
    for verb in ("implement", "dismiss"):
        response = client.post(f"{URL}/{item['id']}/{verb}", headers=stranger_headers)
        assert response.status_code == 404
        assert response.json()["code"] == "recommendation-not-found"
    row = session.get(Recommendation, item["id"])
    session.refresh(row)
    assert (row.status, row.implemented_at, row.dismissed_at) == ("open", None, None)


def test_rows_are_one_per_action_and_erased_with_the_user(client, session, person) -> None:
    user, headers = person
    client.get(URL, headers=headers)
    client.get(URL, headers=headers)
    count = (
        select(func.count()).select_from(Recommendation).where(Recommendation.user_id == user.id)
    )
    n = session.execute(count).scalar_one()
    assert n == len(client.get(URL, headers=headers).json()["items"]) > 0
    from ecotrack.core.events import publish

    publish(session, "user.erased", user_id=user.id)
    assert session.execute(count).scalar_one() == 0
