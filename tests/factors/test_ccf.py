"""Cloud Carbon Footprint: 2024 constants (chosen set), coefficients, grid factors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecotrack.factors import ReferenceNotFound
from ecotrack.factors.registry import FactorRegistry

from ._util import read_csv


def test_pue_and_coefficients_from_provenance(reg: FactorRegistry) -> None:
    pue = {"AWS": 1.135, "Azure": 1.185, "GCP": 1.1, "Alibaba": 1.3}  # PROVENANCE §7
    for provider, value in pue.items():
        assert reg.ccf_constant(provider, "PUE_AVG") == value
        assert reg.ccf_constant(provider, "MEMORY_COEFFICIENT") == 0.000392
        assert reg.ccf_constant(provider, "NETWORKING_COEFFICIENT") == 0.001
        assert reg.ccf_constant(provider, "SERVER_EXPECTED_LIFESPAN") == 35040
    assert reg.ccf_constant("gcp", "pue_trailing_twelve_month", "us-east4") == 1.08
    with pytest.raises(ReferenceNotFound):
        reg.ccf_constant("aws", "NOPE")
    with pytest.raises(ReferenceNotFound):
        reg.ccf_constant("ibm", "PUE_AVG")


def test_watts_2024_constants_are_the_chosen_set(reg: FactorRegistry) -> None:
    # PROVENANCE §7: GCP Cascade Lake max is 3.97 in the 2024 app constants, 3.75 in 2026.
    assert reg.ccf_watts("GCP", "Cascade Lake") == (0.64, 3.97)
    assert round(reg.ccf_use_coefficients("GCP", "Cascade Lake").max_watts, 2) == 3.75
    assert reg.ccf_watts("aws", "EPYC 2nd Gen") == reg.ccf_watts("aws", "AMD EPYC 2nd Gen")
    for r in read_csv("ccf", "ccf_provider_constants.csv"):
        if r["constant"] == "MAX_WATTS_BY_COMPUTE_PROCESSOR":
            assert reg.ccf_watts(r["provider"], r["key"])[1] == float(r["value"])


def test_grid_factors_convert_tonnes_to_kg(reg: FactorRegistry) -> None:
    n = 0
    for p in ("aws", "azure", "gcp"):
        for r in read_csv("ccf", f"ccf_grid-emissions-factors-{p}.csv"):
            f = reg.ccf_grid(p, r["Region"])
            assert f.value == float(Decimal(r["CO2e (metric ton/kWh)"]) * 1000)
            assert len(f.region) == 2
            assert f.per_unit == "kWh"
            assert "cloud_compute" in f.tags
            n += 1
    assert n == 73
    assert reg.ccf_grid("azure", "Finland Central").value == 0.077  # corrected upstream cell
    assert reg.ccf_grid("aws", "eu-west-2").region == "GB"


def test_embodied(reg: FactorRegistry) -> None:
    assert reg.ccf_embodied("aws", "a1.medium") == 1022.21
    assert reg.ccf_embodied("gcp", "e2-standard-2") == 1230.46  # mean file
    assert reg.ccf_embodied("gcp", "e2-standard-2", "EPYC 2nd Gen") == 1155.46
    with pytest.raises(ReferenceNotFound):
        reg.ccf_embodied("aws", "nope.large")
