"""POST /estimates and /estimates/batch: exact values, provenance, explanations and errors."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

import ecotrack.factors

DATA = Path(ecotrack.factors.__file__).parent / "data"


def desnz_value(year: int, row_id: str) -> float:
    """The factor as the published flat file states it (read here, independently of the code)."""
    path = next((DATA / "desnz").glob(f"*{year}*.csv"))
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["ID"] == row_id:
                return float(row[f"GHG Conversion Factor {year}"])
    raise KeyError(row_id)


ELECTRICITY_GB = {
    "activity": "electricity",
    "amount": 3000,
    "unit": "kWh",
    "region": "GB",
    "year": 2024,
    "source": "desnz",
}


def test_estimate_electricity_gb_2024_is_the_desnz_row(client) -> None:
    body = client.post("/api/v1/estimates", json=ELECTRICITY_GB).json()
    factor = body["factor"]
    assert factor["id"] == "desnz:2024:7_400_4000_5_1"
    assert factor["value"] == desnz_value(2024, "7_400_4000_5_1")
    assert body["co2e_kg"] == pytest.approx(3000 * factor["value"], rel=1e-12)
    assert factor["dataset"] == "desnz"
    assert factor["edition"].startswith("2024")
    assert factor["licence"] == "OGL-UK-3.0"
    assert "Open Government Licence" in factor["attribution"]
    assert body["range"]["low"] <= body["co2e_kg"] <= body["range"]["high"]
    assert sum(body["gases"].values()) == pytest.approx(body["co2e_kg"], rel=1e-3)
    assert any("desnz:2024:7_400_4000_5_1" in step["text"] for step in body["explanation"])


def test_unit_not_accepted_lists_the_accepted_units(client) -> None:
    response = client.post("/api/v1/estimates", json={**ELECTRICITY_GB, "unit": "km"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "unit-not-accepted"
    assert body["errors"][0]["loc"] == ["body", "unit"]
    assert "kWh" in body["errors"][0]["msg"]


@pytest.mark.parametrize(
    ("payload", "code", "loc"),
    [
        ({**ELECTRICITY_GB, "amount": -1}, "invalid-amount", ["body", "amount"]),
        ({**ELECTRICITY_GB, "activity": "teleport"}, "unknown-activity", ["body", "activity"]),
        ({**ELECTRICITY_GB, "extra": 1}, "validation-failed", ["body", "extra"]),
        ({**ELECTRICITY_GB, "amount": "lots"}, "validation-failed", ["body", "amount"]),
    ],
)
def test_bad_estimates_are_422_with_field_errors(client, payload, code, loc) -> None:
    response = client.post("/api/v1/estimates", json=payload)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code
    assert loc in [e["loc"] for e in body["errors"]]


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_amounts_are_422(client, literal) -> None:
    raw = b'{"activity":"electricity","amount":' + literal + b',"unit":"kWh","region":"GB"}'
    response = client.post(
        "/api/v1/estimates", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert ["body", "amount"] in [e["loc"] for e in response.json()["errors"]]


def test_batch_answers_in_order_with_per_item_errors(client) -> None:
    items = [
        ELECTRICITY_GB,
        {"activity": "teleport", "amount": 1, "unit": "kWh"},
        {**ELECTRICITY_GB, "amount": -5},
        {**ELECTRICITY_GB, "amount": "x"},
        {**ELECTRICITY_GB, "colour": "green"},
        {"activity": "natural_gas", "amount": 100, "unit": "kWh", "region": "GB", "year": 2024},
        "not an object",
    ]
    body = client.post("/api/v1/estimates/batch", json={"items": items}).json()
    assert [r["index"] for r in body["results"]] == list(range(len(items)))
    assert [r["ok"] for r in body["results"]] == [True, False, False, False, False, True, False]
    codes = [r["error"]["code"] for r in body["results"] if not r["ok"]]
    assert codes == [
        "unknown-activity",
        "invalid-amount",
        "invalid-amount",
        "invalid-item",
        "invalid-item",
    ]
    assert (body["count"], body["succeeded"], body["failed"]) == (7, 2, 5)
    singles = [client.post("/api/v1/estimates", json=items[i]).json() for i in (0, 5)]
    assert [body["results"][0]["co2e_kg"], body["results"][5]["co2e_kg"]] == [
        s["co2e_kg"] for s in singles
    ]
    assert body["results"][0]["factor_id"] == singles[0]["factor"]["id"]
    assert body["total_co2e_kg"] == pytest.approx(sum(s["co2e_kg"] for s in singles))


def test_batch_with_explain_returns_full_results(client) -> None:
    body = client.post(
        "/api/v1/estimates/batch", json={"items": [ELECTRICITY_GB], "explain": True}
    ).json()
    single = client.post("/api/v1/estimates", json=ELECTRICITY_GB).json()
    assert body["results"][0]["result"] == single


def test_batch_limits(client) -> None:
    empty = client.post("/api/v1/estimates/batch", json={"items": []})
    assert empty.status_code == 422
    too_many = client.post(
        "/api/v1/estimates/batch",
        json={"items": [{"activity": "electricity", "amount": 1, "unit": "kWh"}] * 10_001},
    )
    assert too_many.status_code in (413, 422)  # 10,001 small items may still fit in 2 MiB
    assert too_many.headers["content-type"] == "application/problem+json"


def test_batch_of_10000_mixed_items_matches_scalar_sums(client) -> None:
    kinds = [
        {"activity": "electricity", "unit": "kWh", "region": "FR"},
        {"activity": "car", "unit": "km", "region": "GB", "options": {"fuel": "diesel"}},
        {"activity": "rail", "unit": "passenger_km", "options": {"type": "national"}},
    ]
    items = [{**kinds[i % 3], "amount": float(i % 97)} for i in range(10_000)]
    body = client.post("/api/v1/estimates/batch", json={"items": items}).json()
    assert body["succeeded"] == 10_000
    per_kind = [client.post("/api/v1/estimates", json={**k, "amount": 1}).json() for k in kinds]
    expected = sum(per_kind[i % 3]["co2e_kg"] * (i % 97) for i in range(10_000))
    assert math.isclose(body["total_co2e_kg"], expected, rel_tol=1e-9)
