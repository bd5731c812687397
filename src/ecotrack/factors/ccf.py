"""Cloud Carbon Footprint (CCF): application constants, use/embodied coefficients, grid factors.

Source: Cloud Carbon Footprint project, Apache-2.0 (see `sources.CCF_2024`).

- **Chosen constant set: the CCF application constants of 2024-03-25**
  (`ccf_provider_constants.csv`: min/max watts per vCPU by processor, averages/medians, PUE,
  memory, networking and storage coefficients, replication factors, server lifespan).
  `CcfData.constant(...)` / `.watts(...)`.
- The newer `ccf-coefficients` use coefficients (2026-04-24) differ for some architectures; they
  are exposed separately (`CcfData.use_coefficients`), not used by default.
- Embodied emissions per instance type (kg CO2e per server) from `ccf-coefficients`.
- Grid factors per cloud region (`ccf:2024:<provider>:<region>`, converted exactly from metric
  t CO2e/kWh to kg CO2e/kWh). They are old (mostly 2019-2021); prefer Ember/eGRID for new work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ._data import read_dicts, slug
from .errors import ReferenceNotFound
from .sources import CCF_2024
from .types import Factor
from .units import KG_CO2E

FOLDER = "ccf"
PROVIDERS = {"aws": "AWS", "azure": "Azure", "gcp": "GCP", "alibaba": "Alibaba"}

#: Location / country labels used by the CCF grid files -> ISO 3166 alpha-2.
_LOCATION_ISO2 = {
    "United States": "US", "Iowa": "US", "Virginia": "US", "Georgia": "US", "Illinois": "US",
    "Texas": "US", "Wyoming": "US", "California": "US", "Washington": "US", "Arizona": "US",
    "South Carolina": "US", "Northern Virginia": "US", "Oregon": "US", "Los Angeles": "US",
    "Salt Lake City": "US", "Las Vegas": "US", "South Africa": "ZA", "Hong Kong": "HK",
    "India": "IN", "Pune": "IN", "Chennai": "IN", "Mumbai": "IN", "Japan": "JP",
    "South Korea": "KR", "Singapore": "SG", "Australia": "AU", "Canada": "CA", "China": "CN",
    "Germany": "DE", "Frankfurt": "DE", "Ireland": "IE", "England": "GB", "London": "GB",
    "Cardiff": "GB", "Italy": "IT", "France": "FR", "Paris": "FR", "Sweden": "SE", "Gavle": "SE",
    "Bahrain": "BH", "Brazil": "BR", "Netherlands": "NL", "Finland": "FI", "Helsinki": "FI",
    "Belgium": "BE", "Brussels": "BE", "Taiwan": "TW", "Indonesia": "ID", "Switzerland": "CH",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CcfUseCoefficients:
    """ccf-coefficients (2026) use coefficients for one CPU micro-architecture."""

    architecture: str
    min_watts: float  # W per vCPU at idle
    max_watts: float  # W per vCPU at 100 %
    gb_per_chip: float


def _provider(name: str) -> str:
    key = name.strip().lower()
    if key not in PROVIDERS:
        raise ReferenceNotFound(f"Unknown cloud provider {name!r}; use one of {sorted(PROVIDERS)}")
    return key


def _arch(name: str) -> str:
    n = " ".join(name.split()).casefold()
    for prefix in ("amd ", "aws ", "intel "):
        n = n.removeprefix(prefix)
    return n


@dataclass(slots=True)
class CcfData:
    constants: dict[tuple[str, str, str], tuple[float, str]] = field(default_factory=dict)
    use: dict[tuple[str, str], CcfUseCoefficients] = field(default_factory=dict)
    embodied: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    embodied_mean: dict[tuple[str, str], float] = field(default_factory=dict)
    factors: list[Factor] = field(default_factory=list)

    def constant(self, provider: str, constant: str, key: str | None = None) -> float:
        """A 2024 CCF application constant, e.g. `("AWS", "PUE_AVG")` or
        `("GCP", "MAX_WATTS_BY_COMPUTE_PROCESSOR", "Cascade Lake")`."""
        p = _provider(provider)
        k = (p, constant.strip().upper(), _arch(key) if key else "")
        if k not in self.constants:
            options = sorted(c[2] or c[1] for c in self.constants if c[0] == p and c[1] == k[1])
            raise ReferenceNotFound(
                f"No CCF constant {constant!r}{f' [{key}]' if key else ''} for {PROVIDERS[p]}"
                + (f"; keys: {options}" if options else "")
            )
        return self.constants[k][0]

    def watts(self, provider: str, architecture: str) -> tuple[float, float]:
        """(min, max) watts per vCPU for a processor, from the 2024 application constants."""
        return (
            self.constant(provider, "MIN_WATTS_BY_COMPUTE_PROCESSOR", architecture),
            self.constant(provider, "MAX_WATTS_BY_COMPUTE_PROCESSOR", architecture),
        )

    def use_coefficients(self, provider: str, architecture: str) -> CcfUseCoefficients:
        p = _provider(provider)
        try:
            return self.use[(p, _arch(architecture))]
        except KeyError:
            known = sorted(c.architecture for (q, _), c in self.use.items() if q == p)
            raise ReferenceNotFound(
                f"No ccf-coefficients use data for {architecture!r} on {PROVIDERS[p]}; "
                f"known: {known}"
            ) from None

    def embodied_total(
        self, provider: str, instance_type: str, microarchitecture: str | None = None
    ) -> float:
        """Embodied kg CO2e per server for an instance type (GCP: mean over architectures)."""
        p = _provider(provider)
        t = instance_type.strip().casefold()
        by_arch = self.embodied.get((p, t))
        if by_arch is None:
            raise ReferenceNotFound(f"No CCF embodied data for {PROVIDERS[p]} {instance_type!r}")
        if microarchitecture is not None:
            try:
                return by_arch[_arch(microarchitecture)]
            except KeyError:
                raise ReferenceNotFound(
                    f"No CCF embodied data for {instance_type} on {microarchitecture!r}; "
                    f"known: {sorted(by_arch)}"
                ) from None
        if (p, t) in self.embodied_mean:
            return self.embodied_mean[(p, t)]
        totals = set(by_arch.values())
        if len(totals) == 1:
            return totals.pop()
        raise ReferenceNotFound(
            f"{instance_type} has several embodied totals by architecture {sorted(by_arch)}; "
            "pass microarchitecture="
        )


def load() -> CcfData:
    data = CcfData()
    for r in read_dicts(FOLDER, "ccf_provider_constants.csv"):
        k = (_provider(r["provider"]), r["constant"].upper(), _arch(r["key"]) if r["key"] else "")
        data.constants[k] = (float(r["value"]), r["unit"])
    for p in ("aws", "azure", "gcp"):
        for r in read_dicts(FOLDER, f"ccf_coefficients-{p}-use.csv"):
            c = CcfUseCoefficients(
                architecture=r["Architecture"],
                min_watts=float(r["Min Watts"]),
                max_watts=float(r["Max Watts"]),
                gb_per_chip=float(r["GB/Chip"]),
            )
            data.use[(p, _arch(c.architecture))] = c
        for r in read_dicts(FOLDER, f"ccf_coefficients-{p}-embodied.csv"):
            arch = _arch(r.get("microarchitecture", "") or "unknown")
            data.embodied.setdefault((p, r["type"].casefold()), {})[arch] = float(r["total"])
    for r in read_dicts(FOLDER, "ccf_coefficients-gcp-embodied-mean.csv"):
        data.embodied_mean[("gcp", r["type"].casefold())] = float(r["total_mean"])
    for p in ("aws", "azure", "gcp"):
        for r in read_dicts(FOLDER, f"ccf_grid-emissions-factors-{p}.csv"):
            where = r.get("Country") or r.get("Location") or ""
            cell = r["CO2e (metric ton/kWh)"]
            data.factors.append(
                Factor(
                    id=f"{CCF_2024.id}:{p}:{slug(r['Region'])}",
                    source_id=CCF_2024.id,
                    name=f"Cloud grid emission factor > {PROVIDERS[p]} > {r['Region']} ({where})",
                    value=float(Decimal(cell).scaleb(3)),
                    unit=KG_CO2E,
                    per_unit="kWh",
                    region=_LOCATION_ISO2[where],
                    year=CCF_2024.year or 2024,
                    scope="Scope 2",
                    reference=(
                        f"CCF grid-emissions-factors-{p}.csv, region {r['Region']}: "
                        f"{cell} metric t CO2e/kWh (source: {r['Source']})"
                    ),
                    tags=("cloud_compute", "electricity", "grid", p, slug(r["Region"])),
                )
            )
    return data
