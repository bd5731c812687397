from __future__ import annotations


def test_activity_types_describe_units_and_options(client) -> None:
    types = {t["name"]: t for t in client.get("/api/v1/activity-types").json()}
    for name in ("electricity", "natural_gas", "car", "flight", "llm_inference", "spend"):
        assert name in types
    assert "kWh" in types["electricity"]["units"]
    assert {o["name"] for o in types["flight"]["options"]} >= {"from", "to", "cabin"}


def test_factor_search_pages_and_filters(client) -> None:
    query = {"q": "natural gas", "source": "desnz", "year": 2024, "limit": 5}
    first = client.get("/api/v1/factors", params=query).json()
    assert first["total"] > 5
    assert len(first["items"]) == 5
    assert all(f["source_id"] == "desnz:2024" for f in first["items"])
    second = client.get("/api/v1/factors", params={**query, "offset": 5}).json()
    assert {f["id"] for f in first["items"]}.isdisjoint({f["id"] for f in second["items"]})
    assert second["total"] == first["total"]


def test_factor_by_id_and_404(client) -> None:
    factor = client.get("/api/v1/factors/desnz:2024:7_400_4000_5_1").json()
    assert factor["value"] == 0.20705
    assert factor["region"] == "GB"
    missing = client.get("/api/v1/factors/desnz:2024:does-not-exist")
    assert missing.status_code == 404
    assert missing.json()["code"] == "factor-not-found"


def test_factor_sources_carry_licences_and_attribution(client) -> None:
    sources = {s["id"]: s for s in client.get("/api/v1/factor-sources").json()}
    assert sources["desnz:2024"]["licence"] == "OGL-UK-3.0"
    ember = next(s for s in sources.values() if s["dataset"] == "ember")
    assert ember["licence"] == "CC-BY-4.0"
    assert "Ember" in ember["attribution"]
    assert any(s["dataset"] == "ecologits" and s["licence"] == "MPL-2.0" for s in sources.values())
