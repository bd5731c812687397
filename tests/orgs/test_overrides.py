"""Factor overrides and custom models: validation, roles, and what the engine receives."""

from __future__ import annotations

import pytest

from ecotrack.factors import get_registry
from ecotrack.factors.llm import CustomModel, ModelCatalogue
from ecotrack.factors.overrides import OverrideSet
from ecotrack.orgs.service import orgs_service
from tests.orgs.conftest import World

API = "/api/v1"
GAS = "desnz:2024:1_100_1004_6_1"
ELECTRICITY = {
    "name": "PPA mix",
    "activity": "electricity",
    "region": "gb",
    "year": 2024,
    "value": 0.05,
    "per_unit": "kWh",
    "source": "Supplier fuel mix disclosure 2024",
}
MODEL = {
    "provider": "acme-cloud",
    "name": "acme-llm-70b",
    "params_total_b": 70,
    "params_active_b": {"min": 12, "max": 14},
    "tps": 45,
    "pue": 1.2,
    "wue_onsite": {"min": 0.2, "max": 0.4},
    "zone": "FRA",
}


def _url(world: World, kind: str) -> str:
    return f"{API}/orgs/{world.a.id}/{kind}"


# --- factor overrides -----------------------------------------------------------------------


def test_override_crud(client, world: World) -> None:
    h = world.headers("org_admin")
    r = client.post(_url(world, "factor-overrides"), json=ELECTRICITY, headers=h)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["factor_id"] == f"org:org-a:{created['id']}"
    assert (created["region"], created["unit"], created["replaces"]) == ("GB", "kg CO2e", None)
    url = f"{_url(world, 'factor-overrides')}/{created['id']}"
    assert client.get(url, headers=world.headers("viewer")).json() == created
    r = client.patch(url, json={"value": 0.04, "notes": "updated"}, headers=h)
    assert r.status_code == 200
    assert (r.json()["value"], r.json()["notes"]) == (0.04, "updated")
    listing = client.get(_url(world, "factor-overrides"), headers=world.headers("viewer")).json()
    assert [o["value"] for o in listing["items"]] == [0.04]
    filtered = client.get(
        _url(world, "factor-overrides"),
        params={"activity": "natural_gas"},
        headers=world.headers("viewer"),
    ).json()
    assert filtered["total"] == 0
    assert client.delete(url, headers=h).status_code == 204
    assert client.get(url, headers=h).status_code == 404


def test_members_and_viewers_cannot_change_overrides(client, world: World) -> None:
    for who in ("member", "viewer"):
        r = client.post(
            _url(world, "factor-overrides"), json=ELECTRICITY, headers=world.headers(who)
        )
        assert r.status_code == 403
    assert (
        client.get(_url(world, "factor-overrides"), headers=world.headers("member")).json()["total"]
        == 0
    )


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"activity": None}, ["body"]),
        ({"value": -1}, ["body", "value"]),
        ({"value": True}, ["body", "value"]),
        ({"value": "0.1"}, ["body", "value"]),
        ({"per_unit": "furlongs_per_fortnight"}, ["body", "per_unit"]),
        ({"per_unit": ""}, ["body", "per_unit"]),
        ({"unit": "kg CH4"}, ["body", "unit"]),
        ({"year": 1800}, ["body", "year"]),
        ({"region": "not a region"}, ["body", "region"]),
        ({"activity": "Electricity!"}, ["body", "activity"]),
        ({"replaces": "desnz:2024:does_not_exist"}, ["body", "replaces"]),
        ({"replaces": "org:org-b:1"}, ["body", "replaces"]),
        ({"org_id": 2}, ["body", "org_id"]),
    ],
)
def test_override_validation_is_422_with_field_errors(client, world: World, change, loc) -> None:
    body = {**ELECTRICITY, **change}
    r = client.post(_url(world, "factor-overrides"), json=body, headers=world.headers("owner"))
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation-failed"
    assert any(e["loc"][: len(loc)] == loc for e in r.json()["errors"]), r.json()
    assert (
        client.get(_url(world, "factor-overrides"), headers=world.headers("owner")).json()["total"]
        == 0
    )


def test_patch_keeps_the_override_valid(client, world: World) -> None:
    h = world.headers("owner")
    created = client.post(_url(world, "factor-overrides"), json=ELECTRICITY, headers=h).json()
    url = f"{_url(world, 'factor-overrides')}/{created['id']}"
    assert client.patch(url, json={"activity": None}, headers=h).status_code == 422
    assert client.patch(url, json={"value": None}, headers=h).status_code == 422
    assert client.get(url, headers=h).json()["activity"] == "electricity"


def test_one_override_per_replaced_factor(client, world: World) -> None:
    h = world.headers("owner")
    body = {"replaces": GAS, "value": 0.18, "per_unit": "kWh"}
    assert client.post(_url(world, "factor-overrides"), json=body, headers=h).status_code == 201
    r = client.post(_url(world, "factor-overrides"), json=body, headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "override-exists"
    other = client.post(
        f"{API}/orgs/{world.b.id}/factor-overrides",
        json=body,
        headers=world.headers("other_org_user"),
    )
    assert other.status_code == 201


def test_the_engine_gets_an_override_set(client, world: World, session) -> None:
    h = world.headers("owner")
    grid = client.post(_url(world, "factor-overrides"), json=ELECTRICITY, headers=h).json()
    gas = client.post(
        _url(world, "factor-overrides"),
        json={"replaces": GAS, "value": 0.18, "per_unit": "kWh", "notes": "metered"},
        headers=h,
    ).json()
    overrides = orgs_service.factor_overrides_for(session, org_id=world.a.id)
    assert isinstance(overrides, OverrideSet)
    assert overrides.org == "org-a"
    view = get_registry().with_overrides(overrides)
    resolved = view.grid_intensity("GB", 2024)
    assert resolved.factor.id == grid["factor_id"]
    assert resolved.factor.value == 0.05
    assert view.get(GAS).id == gas["factor_id"]
    assert view.get(GAS).value == 0.18
    assert view.grid_intensity("FR", 2024).factor.source_id != "org:org-a"
    empty = orgs_service.factor_overrides_for(session, org_id=world.b.id)
    assert empty.overrides == ()


# --- custom models --------------------------------------------------------------------------


def test_custom_model_crud(client, world: World) -> None:
    h = world.headers("org_admin")
    r = client.post(_url(world, "custom-models"), json=MODEL, headers=h)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["params_total_b"] == 70
    assert created["params_active_b"] == {"min": 12, "max": 14}
    assert created["wue_onsite"] == {"min": 0.2, "max": 0.4}
    assert created["zone"] == "FRA"
    url = f"{_url(world, 'custom-models')}/{created['id']}"
    assert client.get(url, headers=world.headers("viewer")).json() == created
    r = client.patch(url, json={"params_active_b": 13, "ttft_s": 0.4}, headers=h)
    assert r.status_code == 200
    assert (r.json()["params_active_b"], r.json()["ttft_s"]) == (13, 0.4)
    assert client.get(_url(world, "custom-models"), headers=h).json()["total"] == 1
    assert client.delete(url, headers=h).status_code == 204
    assert client.get(url, headers=h).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"params_total_b": 0}, "params_total_b"),
        ({"params_total_b": -3}, "params_total_b"),
        ({"params_total_b": True}, "params_total_b"),
        ({"params_active_b": 80}, None),
        ({"params_active_b": {"min": 14, "max": 12}}, "params_active_b"),
        ({"params_active_b": {"min": 1}}, "params_active_b"),
        ({"pue": 0.9}, None),
        ({"wue_onsite": -1}, None),
        ({"tps": 0}, "tps"),
        ({"ttft_s": -1}, "ttft_s"),
        ({"zone": "XYZ"}, "zone"),
        ({"zone": "F"}, "zone"),
        ({"zone": None}, "zone"),
        ({"provider": ""}, "provider"),
        ({"name": "x" * 201}, "name"),
        ({"colour": "green"}, "colour"),
    ],
)
def test_custom_model_validation_is_422(client, world: World, change, field) -> None:
    body = {**MODEL, **change}
    r = client.post(_url(world, "custom-models"), json=body, headers=world.headers("owner"))
    assert r.status_code == 422, r.text
    if field is not None:
        assert any(field in e["loc"] for e in r.json()["errors"]), r.json()


def test_known_providers_need_no_datacentre_figures(client, world: World) -> None:
    body = {"provider": "openai", "name": "in-house-ft", "params_total_b": 8}
    r = client.post(_url(world, "custom-models"), json=body, headers=world.headers("owner"))
    assert r.status_code == 201, r.text
    dup = client.post(_url(world, "custom-models"), json=body, headers=world.headers("owner"))
    assert dup.status_code == 409
    assert dup.json()["code"] == "custom-model-exists"


def test_the_engine_gets_custom_models(client, world: World, session) -> None:
    from ecotrack.calc.llm import estimate_llm

    client.post(_url(world, "custom-models"), json=MODEL, headers=world.headers("owner"))
    models = orgs_service.custom_models_for(session, org_id=world.a.id)
    assert models == [
        CustomModel(
            provider="acme-cloud",
            name="acme-llm-70b",
            params_total_b=70.0,
            params_active_b=(12.0, 14.0),
            tps=45.0,
            pue=1.2,
            wue_onsite=(0.2, 0.4),
            zone="FRA",
        )
    ]
    catalogue = ModelCatalogue.builtin().with_custom_models(models)
    impacts = estimate_llm(
        provider="acme-cloud", model="acme-llm-70b", output_tokens=500, catalogue=catalogue
    )
    assert impacts.energy_kwh.min > 0
    assert orgs_service.custom_models_for(session, org_id=world.b.id) == []


def test_custom_model_notes_are_kept(client, world: World) -> None:
    body = {"provider": "openai", "name": "noted", "params_total_b": 3, "notes": "fine-tuned"}
    r = client.post(_url(world, "custom-models"), json=body, headers=world.headers("owner"))
    assert r.status_code == 201, r.text
    assert r.json()["notes"] == "fine-tuned"
