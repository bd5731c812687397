"""Flights from airport pairs: great-circle distance (DESNZ factors include their 8 % uplift),
DESNZ band selection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecotrack.calc import CalcError, EstimateRequest, estimate
from ecotrack.calc.activities_transport import SHORT_HAUL_MAX_KM, haversine_km
from tests.calc.conftest import csv_dicts, desnz_value

AIRPORTS = {r["iata_code"]: r for r in csv_dicts("ourairports", "ourairports_airports_iata.csv")}
R = 6371.0088  # mean Earth radius (IUGG), km


def reference_km(a: str, b: str) -> float:
    """Independent great-circle distance: vector (chord) method on the unit sphere, numpy."""

    def vec(code: str) -> np.ndarray:
        lat, lon = (
            math.radians(float(AIRPORTS[code]["latitude_deg"])),
            math.radians(float(AIRPORTS[code]["longitude_deg"])),
        )
        return np.array(
            [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)]
        )

    u, v = vec(a), vec(b)
    return float(R * math.atan2(np.linalg.norm(np.cross(u, v)), float(np.dot(u, v))))


def flight(**options: object):  # type: ignore[no-untyped-def]
    return estimate(EstimateRequest("flight", 1, "passenger", year=2024, options=options))


def test_lhr_jfk_great_circle_within_1_km() -> None:
    ref = reference_km("LHR", "JFK")
    assert 5500 < ref < 5600
    lhr, jfk = AIRPORTS["LHR"], AIRPORTS["JFK"]
    ours = haversine_km(
        float(lhr["latitude_deg"]),
        float(lhr["longitude_deg"]),
        float(jfk["latitude_deg"]),
        float(jfk["longitude_deg"]),
    )
    assert abs(ours - ref) < 1.0
    r = flight(**{"from": "LHR", "to": "JFK", "cabin": "economy"})
    fid, value = desnz_value(
        2024,
        level1="Business travel- air",
        level3="Long-haul, to/from UK",
        level4="Economy class",
        column_text="With RF",
    )
    assert r.factor.id == fid
    assert r.amount_normalised == pytest.approx(ref, abs=1.0)  # no uplift on top of DESNZ's
    assert r.co2e_kg == pytest.approx(ref * value, rel=2e-4)
    assert r.unit_normalised == "passenger_km"


@pytest.mark.parametrize(
    ("dep", "arr", "level3"),
    [
        ("EDI", "LHR", "Domestic, to/from UK"),
        ("LHR", "CDG", "Short-haul, to/from UK"),
        ("LHR", "ATH", "Short-haul, to/from UK"),
        ("LHR", "JFK", "Long-haul, to/from UK"),
        ("SIN", "MAN", "Long-haul, to/from UK"),
        ("JFK", "LAX", "International, to/from non-UK"),
        ("CDG", "FRA", "International, to/from non-UK"),
    ],
)
def test_band_selection(dep: str, arr: str, level3: str) -> None:
    fid, _ = desnz_value(
        2024,
        level1="Business travel- air",
        level3=level3,
        level4="Average passenger",
        column_text="With RF",
    )
    assert flight(**{"from": dep, "to": arr}).factor.id == fid


def test_short_long_threshold_is_3700_km_great_circle() -> None:
    assert SHORT_HAUL_MAX_KM == 3700.0
    # LHR-TLV is ~3,580 km (short), LHR-DXB ~5,480 km (long)
    assert reference_km("LHR", "TLV") < 3700 < reference_km("LHR", "DXB")
    assert "Short-haul" in flight(**{"from": "LHR", "to": "TLV"}).factor.name
    assert "Long-haul" in flight(**{"from": "LHR", "to": "DXB"}).factor.name


def test_round_trip_passengers_and_uplift() -> None:
    one = flight(**{"from": "LHR", "to": "CDG"})
    rt = flight(**{"from": "LHR", "to": "CDG", "round_trip": True})
    assert rt.co2e_kg == pytest.approx(2 * one.co2e_kg, rel=1e-15)
    three = estimate(
        EstimateRequest("flight", 3, "passenger", year=2024, options={"from": "LHR", "to": "CDG"})
    )
    assert three.co2e_kg == pytest.approx(3 * one.co2e_kg, rel=1e-15)
    uplifted = flight(**{"from": "LHR", "to": "CDG", "distance_uplift": 0.08})
    assert uplifted.co2e_kg == pytest.approx(1.08 * one.co2e_kg, rel=1e-12)
    assert any("8 % distance uplift" in s.text for s in uplifted.explanation)
    assert not any("uplift (options" in s.text for s in one.explanation)


def test_explicit_haul_overrides_with_warning() -> None:
    r = flight(**{"from": "LHR", "to": "CDG", "haul": "long"})
    assert "Long-haul" in r.factor.name
    assert any("overrides" in w for w in r.warnings)


@pytest.mark.parametrize(
    ("options", "unit", "code", "loc"),
    [
        ({"from": "LHR", "to": "XQZ"}, "passenger", "invalid-option", ["options", "to"]),
        ({"from": "L1R", "to": "JFK"}, "passenger", "invalid-option", ["options", "from"]),
        ({"from": "LHR"}, "passenger", "invalid-option", ["options", "to"]),
        ({"from": "LHR", "to": "JFK"}, "km", "unit-not-accepted", ["unit"]),
        ({}, "km", "invalid-option", ["options", "haul"]),
        ({"haul": "orbital"}, "km", "invalid-option", ["options", "haul"]),
        ({"haul": "long"}, "passenger", "unit-not-accepted", ["unit"]),
        ({"haul": "long", "cabin": "cargo"}, "km", "invalid-option", ["options", "cabin"]),
    ],
)
def test_flight_errors(options: dict, unit: str, code: str, loc: list[str]) -> None:
    with pytest.raises(CalcError) as exc:
        estimate(EstimateRequest("flight", 1, unit, options=options))
    assert exc.value.code == code
    assert exc.value.errors[0]["loc"] == loc
