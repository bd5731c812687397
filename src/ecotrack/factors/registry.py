"""The factor registry: one index over every shipped dataset, loaded lazily and thread-safely.

    from ecotrack.factors import get_registry
    reg = get_registry()
    reg.get("desnz:2024:7_400_4000_5_1")                  # Factor (O(1) dict lookup)
    reg.grid_intensity("US-CA", 2030)                     # Resolved(ember US 2024, warnings)
    reg.egrid("CAMX"); reg.epa(1, "natural-gas", "scf"); reg.useeio("111110")
    reg.search("natural gas", source="desnz", year=2024, activity="natural_gas")

Datasets (see `sources.py` for licences and attribution): DESNZ 2023/2024/2025 (`desnz.py`),
EPA GHG Emission Factors Hub 2025 and eGRID2023 (`epa.py`), Ember and OWID grid intensity
(`grid.py`), USEEIO v1.3.0 (`useeio.py`), Cloud Carbon Footprint (`ccf.py`), IPCC GWP100,
ISO 3166 and OurAirports (`reference.py`). Each dataset is parsed once, on first use, under its
own lock (generic machinery in `index.py`). Other modules add datasets with `register_provider`;
`get_registry()` registers EcoLogits electricity mixes from `ecotrack.factors.llm`.
"""

from __future__ import annotations

import difflib
import importlib
import threading
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from . import ccf, desnz, grid
from . import useeio as useeio_data
from ._data import slug
from .epa import EgridRow, EpaHub
from .epa import load as load_epa
from .errors import FactorNotFound, ReferenceNotFound
from .index import FactorIndex, ProviderLoader
from .overrides import FactorView, Override, OverrideSet
from .reference import Airport, Countries, Country, GwpTable, load_airports
from .sources import ALL_SOURCES, CCF_2024, DESNZ, EMBER_2025, EPA_HUB_2025, OWID_2026, USEEIO_130
from .types import Factor, Resolved, Source

#: Modules that add datasets: (module, dataset key, sources function, factors function). A module
#: may instead define `register_factors(registry)`, which is called if present.
PLUGIN_MODULES: tuple[tuple[str, str, str, str], ...] = (
    ("ecotrack.factors.llm", "ecologits", "llm_sources", "llm_factors"),
)
_GRID_SOURCES = {"ember": "ember", EMBER_2025.id: "ember", "owid": "owid", OWID_2026.id: "owid"}
_EGRID = "egrid:2023"


class FactorRegistry(FactorIndex):
    """All factors and reference tables. Use `get_registry()` for the process-wide instance."""

    def __init__(self) -> None:
        super().__init__(ALL_SOURCES)
        for year in desnz.YEARS:
            self._add_bundle(
                f"desnz:{year}", ("desnz",), (f"desnz:{year}:",), self._desnz_loader(year)
            )
        self._add_bundle(
            EPA_HUB_2025.id, ("epa", "egrid"), ("epa-hub:2025:", "egrid:2023:"), self._load_epa
        )
        for name, src in (("ember", EMBER_2025), ("owid", OWID_2026)):
            self._add_bundle(src.id, (name,), (f"{src.id}:",), self._grid_loader(name, src))
        self._add_bundle(USEEIO_130.id, ("useeio",), ("useeio:1.3.0:",), self._load_useeio)
        self._add_bundle(CCF_2024.id, ("ccf",), ("ccf:2024:",), self._load_ccf)

    def _desnz_loader(self, year: int) -> ProviderLoader:
        return lambda: ((DESNZ[year],), self.desnz_table(year).factors)

    def _grid_loader(self, name: str, src: Source) -> ProviderLoader:
        return lambda: ((src,), self._grid(name).factors)

    def _load_epa(self) -> tuple[Iterable[Source], Iterable[Factor]]:
        return (self._sources[EPA_HUB_2025.id], self._sources[_EGRID]), self._epa().factors

    def _load_useeio(self) -> tuple[Iterable[Source], Iterable[Factor]]:
        return (USEEIO_130,), self._useeio()[1]

    def _load_ccf(self) -> tuple[Iterable[Source], Iterable[Factor]]:
        return (CCF_2024,), self._ccf().factors

    def _useeio(self) -> tuple[dict[str, useeio_data.UseeioRow], list[Factor]]:
        def build() -> tuple[dict[str, useeio_data.UseeioRow], list[Factor]]:
            gwp = self._gwp_table()
            return useeio_data.load({g: gwp.decimal(g, "AR5") for g in ("CO2", "CH4", "N2O")})

        return self._once("useeio", build)

    def desnz_table(self, year: int) -> desnz.DesnzTable:
        """The parsed DESNZ flat file for `year` (rows, factors, key index)."""
        return self._once(f"desnz:{year}", lambda: desnz.load(year))

    def _epa(self) -> EpaHub:
        return self._once("epa", load_epa)

    def _grid(self, name: str) -> grid.GridTable:
        return self._once(name, grid.load_ember if name == "ember" else grid.load_owid)

    def _ccf(self) -> ccf.CcfData:
        return self._once("ccf", ccf.load)

    def _gwp_table(self) -> GwpTable:
        return self._once("gwp", GwpTable)

    def _countries(self) -> Countries:
        return self._once("countries", Countries)

    def _airports(self) -> dict[str, Airport]:
        return self._once("airports", load_airports)

    def load_all(self) -> None:
        """Load every dataset now (e.g. at service start-up) instead of on first use."""
        super().load_all()
        self._countries()
        self._airports()
        self._gwp_table()

    def _norm_region(self, region: str) -> str:
        r = region.strip().upper()
        if r.isalpha() and len(r) in (2, 3):
            return self._countries().alpha2(r) or r
        return r

    # -- DESNZ ---------------------------------------------------------------------------

    def desnz_lookup(
        self,
        year: int,
        *,
        level1: str,
        level2: str | None = None,
        level3: str | None = None,
        level4: str | None = None,
        column_text: str | None = None,
        uom: str,
        ghg: str = "kg CO2e",
    ) -> Factor:
        """DESNZ/Defra flat-file factor by exact Level 1-4 / Column Text / UOM / GHG/Unit.

        `None` means the cell is empty. Raises `FactorNotFound` listing close rows.
        """
        row = self.desnz_table(year).lookup(
            level1=level1,
            level2=level2,
            level3=level3,
            level4=level4,
            column_text=column_text,
            uom=uom,
            ghg=ghg,
        )
        return self.get(row.factor_id)

    def desnz_rows(self, year: int) -> Iterator[desnz.DesnzRow]:
        """Every row of the DESNZ flat file for `year`, verbatim (also rows without a value)."""
        return iter(self.desnz_table(year).rows)

    # -- EPA Hub / eGRID -------------------------------------------------------------------

    def epa(self, table: int | str, key: str, variant: str | None = None) -> Factor:
        """EPA GHG Emission Factors Hub 2025 factor: `epa(1, "Natural Gas", "scf")`,
        `epa(9, "Mixed MSW", "landfilled")`, `epa(10, "Bus")`, `epa(6, "CAMX")`.

        `key`/`variant` are labels or id slugs (`epa(1, "natural-gas:mmbtu")` also works). When
        `variant` is omitted and the key has exactly one variant, that one is returned.
        """
        n = str(table).strip().lower().removeprefix("table").removeprefix("t").strip().lstrip("0")
        if n == "6":
            return self.egrid(key, non_baseload=(variant or "").lower().startswith("non"))
        prefix = f"{EPA_HUB_2025.id}:t{n}:"
        parts = [slug(p) for p in key.split(":")] + ([slug(variant)] if variant else [])
        fid = prefix + ":".join(parts)
        self._ensure(self._bundle(EPA_HUB_2025.id))
        if fid in self._factors:
            return self._factors[fid]
        table_ids = [i for i in self._factors if i.startswith(prefix)]
        if not table_ids:
            raise FactorNotFound(f"No EPA Hub 2025 table {table!r} (tables 1-10 hold factors)")
        under = [i for i in table_ids if i.startswith(fid + ":")]
        if len(under) == 1:
            return self._factors[under[0]]
        close = tuple(under) or tuple(difflib.get_close_matches(fid, table_ids, n=6, cutoff=0.6))
        raise FactorNotFound(
            f"No EPA Hub factor {fid!r}" + (f"; candidates: {', '.join(close)}" if close else ""),
            close,
        )

    def egrid(self, subregion: str = "US", *, non_baseload: bool = False) -> Factor:
        """eGRID2023 (EPA Hub 2025 Table 6) total-output factor for a subregion or `US` average."""
        sub = subregion.strip().upper().removeprefix("US-")
        if sub in ("US AVERAGE", "USA", ""):
            sub = "US"
        rows = self._epa().egrid_rows
        if sub not in rows:
            raise FactorNotFound(f"No eGRID2023 subregion {subregion!r}; known: {sorted(rows)}")
        return self.get(f"{_EGRID}:{sub}" + (":non-baseload" if non_baseload else ""))

    def egrid_grid_loss(self, subregion: str = "US") -> float | None:
        """eGRID2023 grid gross loss fraction (T&D; Scope 3 cat. 3 only). `None` for PRMS."""
        return self._epa().egrid_rows[self.egrid(subregion).id.split(":")[2]].grid_gross_loss

    def egrid_row(self, subregion: str = "US") -> EgridRow:
        """The published Table 6 row (lb/MWh strings) behind `egrid(subregion)`."""
        return self._epa().egrid_rows[self.egrid(subregion).id.split(":")[2]]

    # -- grid intensity --------------------------------------------------------------------

    def grid_intensity(
        self, region: str, year: int | None = None, source: str = "ember"
    ) -> Resolved:
        """Electricity kg CO2e/kWh for a region and year, with fallbacks explained in warnings.

        `source`: `ember` (default, lifecycle, May 2025), `owid` (lifecycle, ~April 2026) or
        `egrid` (US only, eGRID2023 total output, Scope 2). Region: alpha-2/alpha-3 (any case),
        aggregate key (`WORLD`, `EU`, ...) or sub-national `US-CA`/`GB-SCT` (-> country);
        unknown -> `WORLD`. Year: missing -> nearest earlier, else earliest later; None -> latest.
        """
        if source.strip().lower() in ("egrid", _EGRID):
            return self._egrid_intensity(region, year)
        try:
            name = _GRID_SOURCES[source.strip().lower()]
        except KeyError:
            raise FactorNotFound(
                f"Unknown grid source {source!r}; use ember, owid or egrid"
            ) from None
        table = self._grid(name)
        self._ensure(self._bundle(table.source.id))
        return grid.resolve(table, region, year, self._countries().alpha2)

    def _egrid_intensity(self, region: str, year: int | None) -> Resolved:
        warnings: list[str] = []
        r = region.strip().upper()
        country, _, sub = r.partition("-")
        if self._countries().alpha2(country) != "US":
            raise FactorNotFound(f"eGRID covers the United States only, not {region!r}")
        rows = self._epa().egrid_rows
        if sub and sub not in rows:
            warnings.append(
                f"{r} is not an eGRID subregion (use acronyms such as CAMX, ERCT); "
                "using the eGRID2023 US average."
            )
        if year is not None and year != 2023:
            warnings.append(f"Only eGRID2023 is available; using 2023 data for {year}.")
        factor = self.egrid(sub if sub in rows else "US")
        return Resolved(factor=factor, warnings=tuple(warnings))

    def grid_years(self, region: str, source: str = "ember") -> list[int]:
        """Years with data for an exact area key (`GB`, `WORLD`, ...) in Ember or OWID."""
        table = self._grid(_GRID_SOURCES[source.strip().lower()])
        key = self._countries().alpha2(region) or region.strip().upper()
        return sorted(table.series.get(key, {}))

    # -- USEEIO ----------------------------------------------------------------------------

    def useeio(self, naics_code: str | int, margins: bool = True) -> Factor:
        """USEEIO v1.3.0 kg CO2e per 2022 USD (purchaser price) for a 2017 NAICS-6 code."""
        code = str(naics_code).strip()
        try:
            return self.get(useeio_data.factor_id(code, margins))
        except FactorNotFound:
            rows = self._useeio()[0]
            hits = [f"{c} {r.title}" for c, r in rows.items() if code and c.startswith(code)][:10]
            hint = f"; NAICS-6 codes under {code}: {'; '.join(hits)}" if hits else ""
            raise FactorNotFound(f"No USEEIO v1.3.0 factor for NAICS {code!r}{hint}") from None

    def useeio_search(self, text: str, limit: int = 20) -> list[Factor]:
        """USEEIO v1.3.0 with-margins factors whose title/code matches all tokens of `text`."""
        page, _ = self.search(text, source="useeio", activity=useeio_data.WITH, limit=limit)
        return page

    # -- reference tables ------------------------------------------------------------------

    def airport(self, iata: str) -> Airport:
        """OurAirports airport by IATA code (case-insensitive)."""
        try:
            return self._airports()[iata.strip().upper()]
        except KeyError:
            raise ReferenceNotFound(f"Unknown IATA airport code {iata!r}") from None

    def country(self, code: str) -> Country:
        """ISO 3166-1 country by alpha-2 or alpha-3 (`NA` is Namibia; `XK` Kosovo; `UK` -> GB)."""
        return self._countries().get(code)

    def to_alpha2(self, code: str) -> str:
        """ISO alpha-2 for an alpha-2/alpha-3 code or country name; raises `ReferenceNotFound`."""
        return self._countries().get(code).alpha2

    def gwp(self, gas: str, gwp_set: str = "AR5") -> float:
        """IPCC GWP100 by gas id (`CO2`, `CH4`, `CH4_fossil`, `N2O`, `HFC-134a`, `SF6`, ...).

        For AR5 only, refrigerant blends (`R-410A`, ...) come from EPA Hub 2025 Table 12.
        """
        try:
            return self._gwp_table().get(gas, gwp_set)
        except ReferenceNotFound:
            blends: dict[str, Decimal] = self._epa().refrigerant_blends
            if gwp_set.strip().upper() == "AR5" and gas.strip().upper() in blends:
                return float(blends[gas.strip().upper()])
            raise

    # -- Cloud Carbon Footprint ------------------------------------------------------------

    def ccf_constant(self, provider: str, constant: str, key: str | None = None) -> float:
        """Cloud Carbon Footprint 2024 application constant (the chosen set), e.g. PUE_AVG."""
        return self._ccf().constant(provider, constant, key)

    def ccf_watts(self, provider: str, architecture: str) -> tuple[float, float]:
        """CCF 2024 (min, max) watts per vCPU for a processor micro-architecture."""
        return self._ccf().watts(provider, architecture)

    def ccf_use_coefficients(self, provider: str, architecture: str) -> ccf.CcfUseCoefficients:
        """ccf-coefficients 2026 use coefficients (alternative to the 2024 constants)."""
        return self._ccf().use_coefficients(provider, architecture)

    def ccf_embodied(
        self, provider: str, instance_type: str, microarchitecture: str | None = None
    ) -> float:
        """CCF embodied kg CO2e per server for a cloud instance type."""
        return self._ccf().embodied_total(provider, instance_type, microarchitecture)

    def ccf_grid(self, provider: str, region: str) -> Factor:
        """CCF grid factor (kg CO2e/kWh) for a cloud region, e.g. `("aws", "us-east-1")`."""
        return self.get(f"{CCF_2024.id}:{provider.strip().lower()}:{slug(region)}")

    # -- overrides -------------------------------------------------------------------------

    def with_overrides(
        self, overrides: OverrideSet | Iterable[Override], org: str = "org"
    ) -> FactorView:
        """A view that consults an organisation's overrides before the library."""
        ov = overrides if isinstance(overrides, OverrideSet) else OverrideSet(org, overrides)
        return FactorView(self, ov)


_registry: FactorRegistry | None = None
_pending: FactorRegistry | None = None
_registry_lock = threading.RLock()


def _load_plugin(
    reg: FactorRegistry, name: str, dataset: str, sources_fn: str, factors_fn: str
) -> None:
    try:
        module: Any = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return
        raise
    hook = getattr(module, "register_factors", None)
    if callable(hook):
        hook(reg)
        return
    sources, factors = getattr(module, sources_fn, None), getattr(module, factors_fn, None)
    if callable(sources) and callable(factors):
        reg.register_provider(dataset, lambda: (sources(), factors()))


def get_registry() -> FactorRegistry:
    """The process-wide registry (lazy, thread-safe). On first call it registers the datasets
    of `PLUGIN_MODULES` that exist, e.g. EcoLogits electricity mixes from
    `ecotrack.factors.llm` (`llm_sources()` / `llm_factors()` or `register_factors(registry)`).
    """
    global _registry, _pending
    if _registry is not None:
        return _registry
    with _registry_lock:
        if _registry is not None:
            return _registry
        if _pending is not None:  # re-entrant call from a plugin hook
            return _pending
        _pending = reg = FactorRegistry()
        try:
            for name, dataset, sources_fn, factors_fn in PLUGIN_MODULES:
                _load_plugin(reg, name, dataset, sources_fn, factors_fn)
            _registry = reg
        finally:
            _pending = None
        return reg
