"""Enrichment: energy, water and CO2e (each min/max) for a batch of events, vectorised.

The engine is `ecotrack.calc.llm_batch.estimate_llm_batch` (EcoLogits 0.11.3 method, or the
extended one with `ECOTRACK_USAGE_METHOD=extended`) on a catalogue that includes the
organisation's custom models (their PUE, WUE and zone included). The grid intensity is the
EcoLogits electricity mix of the zone used (factor `ecologits:0.11.3:mix:<ZONE>`) unless the
organisation overrides it: an override that `replaces` that factor id, or an `electricity`
override for the zone's country (alpha-2) and the event's year (a yearless one applies to every
year). Then the usage part of the CO2e is `energy × override value` and the embodied part is
kept; the override's id is recorded instead of the mix's. An event whose model (or provider) is
not registered keeps NULL figures and its status says why.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ecotrack.calc.llm_batch import estimate_llm_batch
from ecotrack.factors.llm import ModelCatalogue
from ecotrack.factors.overrides import OverrideSet

STATUS_OK = "ok"
# The enrichment columns of an event whose impact is unknown (its status says why).
_UNKNOWN: dict[str, Any] = dict.fromkeys(
    ("methodology", "zone_used", "grid_factor_id", "model_source", "energy_kwh_min",
     "energy_kwh_max", "water_l_min", "water_l_max", "co2e_kg_min", "co2e_kg_max"),
)  # fmt: skip
MIX_FACTOR = "ecologits:0.11.3:mix:{zone}"
BUILTIN_MODEL_SOURCE = "ecologits:0.11.3"

# Locations in the Cloud Carbon Footprint region tables that are not country names.
_LOCATIONS = {
    "Arizona": "US", "California": "US", "Georgia": "US", "Illinois": "US", "Iowa": "US",
    "Las Vegas": "US", "Los Angeles": "US", "Northern Virginia": "US", "Oregon": "US",
    "Salt Lake City": "US", "South Carolina": "US", "Texas": "US", "Virginia": "US",
    "Washington": "US", "United States": "US", "London": "GB", "Cardiff": "GB",
    "England": "GB", "Frankfurt": "DE", "Paris": "FR", "Mumbai": "IN", "Pune": "IN",
    "Chennai": "IN", "Gavle": "SE", "Helsinki": "FI", "Brussels": "BE", "Hong Kong": "HK",
    "South Korea": "KR", "Taiwan": "TW",
}  # fmt: skip


@lru_cache(maxsize=1)
def cloud_regions() -> dict[str, str]:
    """Cloud region (AWS, GCP, Azure; lower-case) -> ISO alpha-2 country, from the Cloud Carbon
    Footprint grid tables shipped with the factors."""
    base = resources.files("ecotrack.factors") / "data"
    names: dict[str, str] = {}
    with (base / "iso3166" / "iso3166_countries.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            names[row["name"]] = row["alpha2"]
            names[row["cldr_short_name"]] = row["alpha2"]
    out: dict[str, str] = {}
    for cloud in ("aws", "gcp", "azure"):
        path = base / "ccf" / f"ccf_grid-emissions-factors-{cloud}.csv"
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                place = (row.get("Country") or row.get("Location") or "").strip()
                code = _LOCATIONS.get(place) or names.get(place)
                if code:
                    out[row["Region"].strip().lower()] = code
    return out


def zone_for_region(region: str) -> str | None:
    return cloud_regions().get(region.strip().lower())


def catalogue_for(custom_models: Sequence[Any]) -> ModelCatalogue:
    cat = ModelCatalogue.builtin()
    return cat.with_custom_models(custom_models) if custom_models else cat


def _grid_override(
    overrides: OverrideSet | None, zone: str, year: int, a3_to_a2: dict[str, str]
) -> tuple[str, float] | None:
    if overrides is None or not overrides.overrides:
        return None
    replaced = overrides.by_replaced.get(MIX_FACTOR.format(zone=zone))
    if replaced is not None:
        return replaced.id, replaced.value
    country = a3_to_a2.get(zone)
    if country is None:
        return None
    found = overrides.for_activity("electricity", country, year, regional_only=True)
    return (found.id, found.value) if found is not None else None


def enrich(
    rows: list[dict[str, Any]],
    *,
    catalogue: ModelCatalogue,
    overrides: OverrideSet | None,
    method: str,
    custom_source: str,
) -> None:
    """Add the enrichment columns to each row (a dict of `usage_event` columns), in place.

    Rows need `provider`, `model`, `tokens_in`, `tokens_out`, `latency_ms`, `zone_req` (the zone
    to use or None for the model's default) and `ts`.
    """
    n = len(rows)
    if n == 0:
        return
    latency = [r["latency_ms"] / 1000.0 if r["latency_ms"] is not None else math.nan for r in rows]
    res = estimate_llm_batch(
        {
            "provider": [r["provider"] for r in rows],
            "model": [r["model"] for r in rows],
            "output_tokens": np.fromiter((r["tokens_out"] for r in rows), np.float64, n),
            "input_tokens": np.fromiter((r["tokens_in"] for r in rows), np.float64, n),
            "latency_s": np.asarray(latency, dtype=np.float64),
            "zone": [r["zone_req"] for r in rows],
        },
        method=method,
        catalogue=catalogue,
    )
    e_lo, e_hi = res.energy_kwh.min, res.energy_kwh.max
    g_lo, g_hi = res.gwp_kg.min.copy(), res.gwp_kg.max.copy()
    zones = res.zone.tolist()
    mix_ids = {z: MIX_FACTOR.format(zone=z) for z in set(zones) if z}
    factor_ids: list[str | None] = [mix_ids.get(z) for z in zones]
    if overrides is not None and overrides.overrides:
        a3_to_a2 = catalogue.alpha3_to_alpha2()
        pairs: dict[tuple[str, int], tuple[str, float] | None] = {}
        for i, z in enumerate(zones):
            if z is None:
                continue
            key = (z, rows[i]["ts"].year)
            if key not in pairs:
                pairs[key] = _grid_override(overrides, z, key[1], a3_to_a2)
            hit = pairs[key]
            if hit is not None:
                factor_ids[i] = hit[0]
                g_lo[i] = e_lo[i] * hit[1] + res.embodied_gwp_kg.min[i]
                g_hi[i] = e_hi[i] * hit[1] + res.embodied_gwp_kg.max[i]
    ok = res.ok.tolist()
    codes = res.error_code.tolist()
    sources = [
        custom_source if res.model_warnings[mi][1] else BUILTIN_MODEL_SOURCE
        for mi in res.model_index.tolist()
    ]
    methodology = res.methodology
    # One pass, every column unpacked by zip (a loop over a dict of columns per row cost
    # about twice as much).
    for row, good, code, zone, factor_id, source, el, eh, wl, wh, cl, ch in zip(
        rows,
        ok,
        codes,
        zones,
        factor_ids,
        sources,
        e_lo.tolist(),
        e_hi.tolist(),
        res.water_l.min.tolist(),
        res.water_l.max.tolist(),
        g_lo.tolist(),
        g_hi.tolist(),
        strict=True,
    ):
        if good:
            row["status"] = STATUS_OK
            row["methodology"] = methodology
            row["zone_used"] = zone
            row["grid_factor_id"] = factor_id
            row["model_source"] = source
            row["energy_kwh_min"] = el
            row["energy_kwh_max"] = eh
            row["water_l_min"] = wl
            row["water_l_max"] = wh
            row["co2e_kg_min"] = cl
            row["co2e_kg_max"] = ch
        else:
            row.update(_UNKNOWN)
            row["status"] = code or "invalid"
