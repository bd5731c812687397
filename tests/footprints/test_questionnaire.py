"""GET /footprints/questionnaire: questions, units, choices and sourced defaults by country."""

from __future__ import annotations

from typing import Any

from ecotrack.footprints import questions as q

URL = "/api/v1/footprints/questionnaire"


def _by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {question["id"]: question for question in body["questions"]}


def test_questionnaire_gives_the_model_and_every_question(client) -> None:
    r = client.get(URL, params={"country": "gb"})
    assert r.status_code == 200
    body = r.json()
    assert body["model"] == "ecotrack-household"
    assert body["model_version"] == "1.0.0"
    assert body["country"] == "GB"
    assert body["categories"] == [
        "electricity",
        "transportation",
        "heating",
        "waste",
        "lifestyle",
        "other",
    ]
    assert [x["id"] for x in body["questions"]] == [x.id for x in q.QUESTIONS]
    assert len(body["questions"]) == 17
    questions = _by_id(body)
    electricity = questions["electricity_kwh_per_year"]
    assert electricity["unit"] == "kWh"
    assert electricity["default"] == 2700
    assert electricity["default_unit"] == "kWh"
    assert electricity["default_basis"]["kind"] == "published"
    assert "Ofgem" in electricity["default_basis"]["source"]
    assert electricity["allocation"] == "household"
    assert electricity["category"] == "electricity"
    assert questions["diet"]["choices"] == list(q.DIETS)
    assert questions["diet"]["default"] == "medium_meat"
    assert questions["heating_amount_per_year"]["unit_field"] == "heating_unit"
    assert questions["household_size"]["category"] is None
    for question in body["questions"]:
        assert question["default_basis"]["kind"] in {"published", "proxy", "assumption"}
        assert question["default_basis"]["source"]


def test_defaults_follow_the_country(client) -> None:
    us = _by_id(client.get(URL, params={"country": "US"}).json())
    assert us["electricity_kwh_per_year"]["default"] == 10715
    assert "EIA" in us["electricity_kwh_per_year"]["default_basis"]["source"]
    assert us["heating_amount_per_year"]["default"] == 66
    assert us["heating_amount_per_year"]["default_unit"] == "Mcf"

    fr = _by_id(client.get(URL, params={"country": "FR"}).json())
    assert fr["electricity_kwh_per_year"]["default"] == 2700
    assert fr["electricity_kwh_per_year"]["default_basis"]["kind"] == "proxy"

    generic = client.get(URL).json()
    assert generic["country"] is None
    assert _by_id(generic)["household_size"]["default_basis"]["kind"] == "proxy"


def test_unknown_country_is_a_field_error(client) -> None:
    r = client.get(URL, params={"country": "ZZ"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert [e["loc"] for e in r.json()["errors"]] == [["query", "country"]]

    r = client.get(URL, params={"country": "GBR"})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["errors"]] == [["query", "country"]]
