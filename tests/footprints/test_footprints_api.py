"""POST /footprints, GET /me/footprints, GET /footprints/{id}: results, privacy and limits."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from ecotrack.calc import EstimateRequest, estimate
from ecotrack.core import events, ratelimit
from ecotrack.footprints import service as footprints_service_module
from ecotrack.footprints.models import FootprintResult
from ecotrack.footprints.service import ANONYMOUS_LIMIT_PER_MINUTE
from tests.footprints.helpers import count_rows, newest_row
from tests.principals import auth_headers, make_user

URL = "/api/v1/footprints"
CATEGORIES = {"electricity", "transportation", "heating", "waste", "lifestyle", "other"}
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"
ALL_ANSWERS: dict[str, Any] = {
    "household_size": 2,
    "electricity_kwh_per_year": 3100,
    "green_electricity_percent": 25,
    "heating_fuel": "natural_gas",
    "heating_amount_per_year": 9000,
    "heating_unit": "kWh",
    "car_km_per_year": 6000,
    "car_fuel": "diesel",
    "car_size": "small",
    "car_occupancy": 2,
    "short_haul_return_flights_per_year": 1,
    "long_haul_return_flights_per_year": 1,
    "bus_km_per_week": 10,
    "rail_km_per_week": 40,
    "diet": "vegetarian",
    "residual_waste_kg_per_week": 6,
    "clothing_spend_usd_per_year": 600,
    "electronics_spend_usd_per_year": 300,
}


def kg(activity: str, amount: float, unit: str, region: str | None, **options: Any) -> float:
    return estimate(EstimateRequest(activity, amount, unit, region=region, options=options)).co2e_kg


def submit(client, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return client.post(URL, json=body, headers={"User-Agent": UA, **(headers or {})})


# --- the must-show: anonymous, six categories, confidence, model version, nothing identifying


def test_anonymous_questionnaire_answers_and_stores_nothing_identifying(client, session) -> None:
    before = count_rows(session)
    body = {"country": "GB", "answers": {"household_size": 3, "car_km_per_year": 5000}}
    r = submit(client, body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert set(out["categories"]) == CATEGORIES
    assert out["total_kg"] == pytest.approx(sum(out["categories"].values()), rel=1e-12)
    assert out["total_kg"] > 0
    assert 0 < out["confidence"] < 1
    assert out["model"] == "ecotrack-household"
    assert out["model_version"] == "1.0.0"
    assert out["id"] is None
    assert out["created_at"] is None
    assert out["input"] == body
    assert out["answered"] == ["car_km_per_year", "household_size"]
    assert out["defaulted"]["electricity_kwh_per_year"] == 2700
    assert "car_fuel" in out["defaulted"]
    # every line cites the engine's factor
    assert {line["key"] for line in out["lines"]} == {"electricity", "heating", "car", "diet"}
    for line in out["lines"]:
        assert line["factor"]["id"]
        assert line["factor"]["edition"]
        assert any(line["factor"]["id"] in text for text in out["explanation"])

    assert count_rows(session) == before + 1
    row = newest_row(session)
    assert row.user_id is None
    assert row.country == "GB"
    assert row.answers == {"household_size": 3, "car_km_per_year": 5000}
    assert row.user_agent == UA[:32]
    assert row.client_hash is not None
    assert re.fullmatch(r"[0-9a-f]{8}", row.client_hash)
    stored = json.dumps(
        {c.name: getattr(row, c.name) for c in FootprintResult.__table__.columns}, default=str
    )
    assert "testclient" not in stored  # the TestClient's client address
    assert UA not in stored
    assert "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit" not in stored


def test_signed_in_results_are_stored_listed_and_private(client, session) -> None:
    alice = make_user(session)
    bob = make_user(session)
    alice_h, bob_h = auth_headers(session, alice), auth_headers(session, bob)

    r = submit(client, {"country": "US", "answers": ALL_ANSWERS}, alice_h)
    assert r.status_code == 200, r.text
    out = r.json()
    assert isinstance(out["id"], int)
    assert out["created_at"] is not None
    row = newest_row(session)
    assert (row.id, row.user_id, row.client_hash, row.user_agent) == (
        out["id"],
        alice.id,
        None,
        None,
    )

    listed = client.get("/api/v1/me/footprints", headers=alice_h)
    assert listed.status_code == 200
    page = listed.json()
    assert page["total"] == 1
    assert page["items"][0]["id"] == out["id"]
    assert page["items"][0]["total_kg"] == out["total_kg"]
    assert page["items"][0]["categories"] == out["categories"]

    one = client.get(f"{URL}/{out['id']}", headers=alice_h)
    assert one.status_code == 200
    assert one.json() == out

    # another person's result, and an anonymous one, are not found
    assert client.get(f"{URL}/{out['id']}", headers=bob_h).status_code == 404
    assert client.get(f"{URL}/{out['id']}", headers=bob_h).json()["code"] == "footprint-not-found"
    assert client.get("/api/v1/me/footprints", headers=bob_h).json()["total"] == 0
    submit(client, {"answers": {}})
    anonymous_id = newest_row(session).id
    assert client.get(f"{URL}/{anonymous_id}", headers=alice_h).status_code == 404
    assert client.get(f"{URL}/{out['id']}").status_code == 401


def test_paging_lists_newest_first(client, session) -> None:
    user = make_user(session)
    headers = auth_headers(session, user)
    ids = [
        submit(client, {"answers": {"household_size": n}}, headers).json()["id"] for n in (1, 2, 3)
    ]
    page = client.get("/api/v1/me/footprints", params={"limit": 2}, headers=headers).json()
    assert page["total"] == 3
    assert [i["id"] for i in page["items"]] == [ids[2], ids[1]]
    page = client.get(
        "/api/v1/me/footprints", params={"limit": 2, "offset": 2}, headers=headers
    ).json()
    assert [i["id"] for i in page["items"]] == [ids[0]]


# --- confidence -------------------------------------------------------------------------------


def test_confidence_grows_from_defaults_to_answers(client) -> None:
    none = submit(client, {"country": "GB", "answers": {}}).json()
    assert none["confidence"] == 0.0
    assert none["answered"] == []

    everything = submit(client, {"country": "GB", "answers": ALL_ANSWERS}).json()
    assert everything["confidence"] == 1.0
    assert everything["defaulted"] == {}

    # one answer equal to its default: same kg, but the confidence rises by the documented formula
    one = submit(client, {"country": "GB", "answers": {"electricity_kwh_per_year": 2700}}).json()
    assert one["total_kg"] == none["total_kg"]
    lines = {line["key"]: line["co2e_kg"] for line in one["lines"]}
    e, h, d = lines["electricity"], lines["heating"], lines["diet"]
    expected = 0.5 * (e / 3) / (e + h + d) + 0.5 * (1 / 17)
    assert one["confidence"] == pytest.approx(expected, rel=1e-12)
    assert none["confidence"] < one["confidence"] < everything["confidence"]


def test_no_car_makes_car_details_irrelevant(client) -> None:
    out = submit(client, {"country": "GB", "answers": {"car_km_per_year": 0}}).json()
    assert out["answered"] == ["car_fuel", "car_km_per_year", "car_occupancy", "car_size"]
    assert "car_fuel" not in out["defaulted"]
    assert out["categories"]["transportation"] == 0.0


# --- per-person allocation and exactness ------------------------------------------------------


def test_household_answers_are_divided_by_household_size(client) -> None:
    base = {
        "electricity_kwh_per_year": 4000,
        "heating_fuel": "natural_gas",
        "heating_amount_per_year": 12000,
        "residual_waste_kg_per_week": 10,
        "car_km_per_year": 8000,
    }
    one = submit(client, {"country": "GB", "answers": {**base, "household_size": 1}}).json()
    four = submit(client, {"country": "GB", "answers": {**base, "household_size": 4}}).json()
    for category in ("electricity", "heating", "waste"):
        assert four["categories"][category] == pytest.approx(
            one["categories"][category] / 4, rel=1e-12
        )
    # personal answers are not shared
    assert four["categories"]["transportation"] == one["categories"]["transportation"]
    assert four["categories"]["lifestyle"] == one["categories"]["lifestyle"]
    assert four["categories"]["electricity"] == kg("electricity", 1000, "kWh", "GB")
    assert four["categories"]["waste"] == kg(
        "waste", 10 * 52 / 4, "kg", "GB", type="household_residual"
    )
    electricity = next(line for line in four["lines"] if line["key"] == "electricity")
    assert electricity["amount"] == 1000
    assert electricity["steps"][0] == "÷ 4 people in the household"


def test_each_category_is_the_engines_estimate_for_the_same_inputs(client) -> None:
    out = submit(client, {"country": "US", "answers": ALL_ANSWERS}).json()
    c = out["categories"]
    assert c["electricity"] == kg("electricity", 1550, "kWh", "US", renewable_share=0.25)
    assert c["heating"] == kg("natural_gas", 4500, "kWh", "US")
    assert c["transportation"] == (
        kg("car", 6000, "km", "US", fuel="diesel", size="small", passengers=2)
        + kg("flight", 1500, "passenger_km", "US", haul="short", round_trip=True)
        + kg("flight", 7000, "passenger_km", "US", haul="long", round_trip=True)
        + kg("bus", 520, "km", "US")
        + kg("rail", 2080, "km", "US", type="national")
    )
    assert c["lifestyle"] == kg("diet", 1, "person_year", "US", diet="vegetarian")
    assert c["waste"] == kg("waste", 156, "kg", "US", type="household_residual")
    assert c["other"] == kg("spend", 600, "USD", "US", sector="315210") + kg(
        "spend", 300, "USD", "US", sector="334111"
    )
    assert out["total_kg"] == sum(c.values())
    car = next(line for line in out["lines"] if line["key"] == "car")
    assert car["factor"]["id"].startswith("desnz:")
    assert car["options"] == {"fuel": "diesel", "size": "small", "passengers": 2}


def test_heating_units_follow_the_fuel(client) -> None:
    answers = {"heating_fuel": "heating_oil", "heating_amount_per_year": 1200, "heating_unit": "L"}
    out = submit(client, {"country": "GB", "answers": {**answers, "household_size": 2}}).json()
    assert out["categories"]["heating"] == kg("heating_oil", 600, "L", "GB")
    out = submit(
        client, {"country": "GB", "answers": {"heating_fuel": "electricity", "household_size": 1}}
    ).json()
    assert out["categories"]["heating"] == 0.0
    assert "heating_amount_per_year" in out["answered"]


# --- comparison -------------------------------------------------------------------------------


def test_comparison_with_country_average_and_target(client) -> None:
    out = submit(client, {"country": "GB", "answers": {}}).json()
    comparison = out["comparison"]
    assert comparison["country"] == "GB"
    assert comparison["average_per_capita_kg"] == pytest.approx(7630.6796, rel=1e-12)
    assert comparison["average_year"] == 2021
    assert "CO2 only" in comparison["average_basis"]
    assert comparison["ratio_to_average"] == pytest.approx(
        out["total_kg"] / comparison["average_per_capita_kg"], rel=1e-12
    )
    assert [(t["year"], t["per_capita_kg"]) for t in comparison["targets"]] == [
        (2030, 2500.0),
        (2040, 1400.0),
        (2050, 700.0),
    ]
    assert "1.5-Degree Lifestyles" in comparison["target_source"]

    norway = submit(client, {"country": "NO", "answers": {}}).json()
    assert norway["comparison"]["country"] == "WORLD"
    assert norway["comparison"]["average_per_capita_kg"] == pytest.approx(4654.8448, rel=1e-12)
    assert any("no per-capita average is shipped for NO" in w for w in norway["warnings"])


def test_signed_in_user_without_country_gets_the_profile_country(client, session) -> None:
    from ecotrack.identity.schemas import UserUpdate
    from ecotrack.identity.service import identity_service

    user = make_user(session)
    identity_service.update_profile(session, user_id=user.id, user_in=UserUpdate(country="FR"))
    session.flush()
    out = submit(client, {"answers": {}}, auth_headers(session, user)).json()
    assert out["country"] == "FR"
    assert out["comparison"]["country"] == "FR"


# --- validation -------------------------------------------------------------------------------


def test_invalid_answers_are_field_errors_and_store_nothing(client, session) -> None:
    before = count_rows(session)
    r = submit(
        client,
        {"answers": {"household_size": 0, "diet": "carnivore", "bogus": 1, "bus_km_per_week": -1}},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    locs = sorted(tuple(e["loc"]) for e in r.json()["errors"])
    assert locs == [
        ("body", "answers", "bogus"),
        ("body", "answers", "bus_km_per_week"),
        ("body", "answers", "diet"),
        ("body", "answers", "household_size"),
    ]

    r = submit(client, {"country": "ZZ", "answers": {}})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["errors"]] == [["body", "country"]]

    # a unit the engine does not sell coal in
    r = submit(
        client,
        {
            "answers": {
                "heating_fuel": "coal",
                "heating_amount_per_year": 100,
                "heating_unit": "L",
            }
        },
    )
    assert r.status_code == 422
    assert r.json()["code"] == "validation-failed"
    assert [e["loc"] for e in r.json()["errors"]] == [["body", "answers", "heating_unit"]]
    assert count_rows(session) == before


# --- rate limit -------------------------------------------------------------------------------


def test_anonymous_callers_are_rate_limited_per_ip(client, session, monkeypatch) -> None:
    # one fixed instant, so the minute window cannot roll over in the middle of the test
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_030.0))
    before = count_rows(session)
    for _ in range(ANONYMOUS_LIMIT_PER_MINUTE):
        assert submit(client, {"answers": {}}).status_code == 200
    r = submit(client, {"answers": {}})
    assert r.status_code == 429
    assert r.json()["code"] == "rate-limited"
    assert int(r.headers["Retry-After"]) >= 1
    assert count_rows(session) == before + ANONYMOUS_LIMIT_PER_MINUTE
    # signed-in users are not held by the anonymous limit
    user = make_user(session)
    assert submit(client, {"answers": {}}, auth_headers(session, user)).status_code == 200


# --- erasure ----------------------------------------------------------------------------------


def test_user_erased_deletes_only_that_users_results(client, session) -> None:
    alice, bob = make_user(session), make_user(session)
    for user in (alice, bob):
        assert submit(client, {"answers": {}}, auth_headers(session, user)).status_code == 200
    submit(client, {"answers": {}})  # anonymous
    session.expire_all()
    # The domain reacts to the privacy event through its subscription (the handler is called
    # directly: publishing runs every domain's handlers, which other tests cover).
    handler = footprints_service_module._on_user_erased
    assert handler in events.handlers("user.erased")
    handler(session, user_id=alice.id)
    session.flush()
    owners = sorted(
        (r.user_id or 0)
        for r in session.execute(select(FootprintResult)).scalars()
        if r.user_id in (alice.id, bob.id, None)
    )
    assert alice.id not in owners
    assert owners.count(bob.id) == 1
    assert 0 in owners


def test_anonymous_results_are_pruned_after_the_retention_and_users_results_kept(
    client, session, settings
) -> None:
    from datetime import timedelta

    from ecotrack.core.db import utcnow
    from ecotrack.footprints.service import footprints_service

    user = make_user(session, "keeps-history@example.org")
    body = {"country": "GB", "answers": {"household_size": 2}}
    assert submit(client, body).status_code == 200  # anonymous
    assert submit(client, body, headers=auth_headers(session, user)).status_code == 200
    session.expire_all()
    rows = session.execute(select(FootprintResult)).scalars().all()
    anonymous = [r for r in rows if r.user_id is None]
    mine = [r for r in rows if r.user_id == user.id]
    assert anonymous
    assert mine
    retention = settings.footprints_anonymous_retention_days
    old = utcnow() - timedelta(days=retention + 1)
    for row in (anonymous[-1], mine[-1]):
        row.created_at = old
    session.flush()
    assert footprints_service.prune_anonymous(session, now=utcnow(), settings=settings) == 1
    session.expire_all()
    assert session.get(FootprintResult, anonymous[-1].id) is None
    assert session.get(FootprintResult, mine[-1].id) is not None  # a user's history stays
