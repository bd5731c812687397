"""Enrichment at ingest: the engine's figures, zones, overrides, unknown models, re-enrichment."""

from __future__ import annotations

import math

from sqlalchemy import select

from ecotrack.calc.llm import estimate_llm
from ecotrack.core import jobs
from ecotrack.core.jobs import JobRecord
from ecotrack.usage.models import UsageEvent, UsageRollupOrgDaily
from tests.usage.conftest import Org, assert_rollups_equal_raw, event, post


def _row(session, event_id: str) -> UsageEvent:
    session.expire_all()
    return session.execute(select(UsageEvent).where(UsageEvent.event_id == event_id)).scalar_one()


def test_figures_are_the_engines_with_methodology_and_factor_ids(client, org: Org, session) -> None:
    e = event(zone="fr", tokens_in=2000, tokens_out=800, latency_ms=4000.0)
    assert post(client, org, [e]).json()["accepted"] == 1
    row = _row(session, e["id"])
    ref = estimate_llm(
        provider="openai", model="gpt-4o-mini", output_tokens=800, input_tokens=2000,
        latency_s=4.0, zone="FR",
    )  # fmt: skip
    assert row.status == "ok"
    assert row.methodology == "ecologits-0.11.3"
    assert row.zone_used == "FRA"
    assert row.grid_factor_id == "ecologits:0.11.3:mix:FRA"
    assert row.model_source == "ecologits:0.11.3"
    assert (row.energy_kwh_min, row.energy_kwh_max) == (ref.energy_kwh.min, ref.energy_kwh.max)
    assert (row.water_l_min, row.water_l_max) == (ref.water_l.min, ref.water_l.max)
    assert (row.co2e_kg_min, row.co2e_kg_max) == (ref.gwp_kg.min, ref.gwp_kg.max)
    assert row.energy_kwh_min < row.energy_kwh_max


def test_region_maps_to_a_zone_and_no_zone_uses_the_provider_default(
    client, org: Org, session
) -> None:
    in_region = event(region="eu-west-3")  # AWS Paris
    default = event()
    post(client, org, [in_region, default])
    assert _row(session, in_region["id"]).zone_used == "FRA"
    assert _row(session, default["id"]).zone_used == "USA"  # openai's profile
    unknown_region = event(region="mars-north-1")
    post(client, org, [unknown_region])
    assert _row(session, unknown_region["id"]).zone_used == "USA"


def test_an_organisation_override_of_the_grid_mix_is_used_and_recorded(
    client, org: Org, session
) -> None:
    from tests.principals import auth_headers

    owner = auth_headers(session, org.owner)
    created = client.post(
        f"/api/v1/orgs/{org.id}/factor-overrides",
        json={"replaces": "ecologits:0.11.3:mix:FRA", "value": 0.5, "per_unit": "kWh"},
        headers=owner,
    )
    assert created.status_code == 201, created.text
    e = event(zone="FRA")
    post(client, org, [e])
    row = _row(session, e["id"])
    ref = estimate_llm(
        provider="openai", model="gpt-4o-mini", output_tokens=500, input_tokens=120, zone="FRA"
    )
    assert row.grid_factor_id == f"org:{org.slug}:{created.json()['id']}"
    assert row.co2e_kg_min == ref.energy_kwh.min * 0.5 + ref.embodied.gwp_kg.min
    assert row.co2e_kg_max == ref.energy_kwh.max * 0.5 + ref.embodied.gwp_kg.max
    assert (row.energy_kwh_min, row.water_l_max) == (ref.energy_kwh.min, ref.water_l.max)
    other = event(zone="DE")  # not overridden
    post(client, org, [other])
    assert _row(session, other["id"]).grid_factor_id == "ecologits:0.11.3:mix:DEU"


def test_unknown_model_is_kept_flagged_then_reenriched_when_registered(
    client, org: Org, session
) -> None:
    from tests.principals import auth_headers

    unknown = [event(model="acme-llm-1", user="bo") for _ in range(3)]
    known = event(user="bo")
    r = post(client, org, [*unknown, known])
    assert r.json() == {"accepted": 4, "duplicates": 0, "rejected": []}
    row = _row(session, unknown[0]["id"])
    assert row.status == "model-not-registered"
    assert (row.energy_kwh_min, row.co2e_kg_max, row.methodology) == (None, None, None)
    (rollup,) = session.execute(
        select(UsageRollupOrgDaily).where(
            UsageRollupOrgDaily.org_id == org.id, UsageRollupOrgDaily.model == "acme-llm-1"
        )
    ).scalars()
    assert (rollup.calls, rollup.calls_unknown, rollup.energy_kwh) == (3, 3, 0.0)
    assert_rollups_equal_raw(session, org.id)

    created = client.post(
        f"/api/v1/orgs/{org.id}/custom-models",
        json={"provider": "openai", "name": "acme-llm-1", "params_total_b": 7},
        headers=auth_headers(session, org.owner),
    )
    assert created.status_code == 201, created.text
    session.expire_all()
    queued = session.execute(
        select(JobRecord).where(JobRecord.name == "usage.reenrich")
    ).scalar_one()
    assert queued.args == [org.id, "acme-llm-1"]
    assert jobs.run_task("usage.reenrich", list(queued.args), {}) == 3
    row = _row(session, unknown[0]["id"])
    assert row.status == "ok"
    assert row.model_source == f"org:{org.slug}"
    assert row.energy_kwh_min is not None
    assert row.energy_kwh_min > 0
    session.expire_all()
    rollup = session.execute(
        select(UsageRollupOrgDaily).where(
            UsageRollupOrgDaily.org_id == org.id, UsageRollupOrgDaily.model == "acme-llm-1"
        )
    ).scalar_one()
    assert (rollup.calls, rollup.calls_unknown) == (3, 0)
    fixed_sum = sum(_row(session, u["id"]).energy_kwh_min for u in unknown)
    assert math.isclose(rollup.energy_kwh_min, fixed_sum, rel_tol=1e-12)
    assert_rollups_equal_raw(session, org.id)
    # Nothing left to do: running it again changes nothing.
    assert jobs.run_task("usage.reenrich", [org.id, "acme-llm-1"], {}) == 0
