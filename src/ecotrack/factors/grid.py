"""Country grid carbon intensity by year: Ember (May 2025) and Our World in Data (about April 2026).

Sources: Ember Yearly Electricity Data (`ember:2025`) and the OWID "Carbon intensity of
electricity" chart (`owid:2026-04`), both CC BY 4.0 (see `sources.py`). Values are **lifecycle**
gCO2e per kWh generated, converted exactly to kg CO2e/kWh (g / 1000, one float rounding). They
are not Scope 2 location-based factors; prefer DESNZ (GB) or eGRID (US) for those.

Ids: `ember:2025:<KEY>:<year>` / `owid:2026-04:<KEY>:<year>`, where KEY is the ISO alpha-2 code
for countries (`XK` = Kosovo) or an upper-case aggregate key: Ember `WORLD`, `EU`, `OECD`, `G7`,
`G20`, `ASEAN`, `AFRICA`, `ASIA`, `EUROPE`, `NORTH_AMERICA`, `LATIN_AMERICA_AND_CARIBBEAN`,
`MIDDLE_EAST`, `OCEANIA`; OWID `WORLD`, `EU` (European Union 27), `EUROPE`, `AFRICA`, `ASIA`,
`NORTH_AMERICA`, `SOUTH_AMERICA`, `OCEANIA`, income groups (`HIGH_INCOME_COUNTRIES`, ...), and
the Ember-defined aggregates OWID republishes (`ASEAN`, `G7`, ...; `_EMBER` suffix where the
name clashes with an OWID aggregate, e.g. `EU_EMBER`, `EUROPE_EMBER`).

Resolution (`resolve`): region (alpha-2, alpha-3 or aggregate key, any case) -> sub-national
codes like `US-CA` / `GB-SCT` fall back to the country -> unknown or missing areas fall back to
`WORLD`; a missing year falls back to the nearest earlier year, else the earliest later one;
`year=None` means the latest year. Every fallback adds a human-readable warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from ._data import key_slug, read_dicts
from .errors import FactorNotFound
from .sources import EMBER_2025, OWID_2026
from .types import Factor, Resolved, Source
from .units import KG_CO2E

WORLD = "WORLD"
_OWID_CODES = {"OWID_WRL": "WORLD", "OWID_EU27": "EU"}


@dataclass(slots=True)
class GridTable:
    """Yearly intensity factors of one source, keyed by area key then year."""

    source: Source
    label: str  # "Ember", "OWID"
    series: dict[str, dict[int, Factor]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    aggregates: set[str] = field(default_factory=set)

    @property
    def factors(self) -> list[Factor]:
        return [f for years in self.series.values() for f in years.values()]

    def add(
        self, key: str, name: str, year: int, grams: str, *, aggregate: bool, extra: str
    ) -> None:
        years = self.series.setdefault(key, {})
        if year in years:
            raise ValueError(f"Duplicate {self.label} value for {key} {year}")
        self.names[key] = name
        if aggregate:
            self.aggregates.add(key)
        years[year] = Factor(
            id=f"{self.source.id}:{key}:{year}",
            source_id=self.source.id,
            name=f"Electricity grid carbon intensity (lifecycle, {self.label}) > {name} {year}",
            value=float(Decimal(grams).scaleb(-3)),
            unit=KG_CO2E,
            per_unit="kWh",
            region=key,
            year=year,
            reference=(
                f"{self.label} {self.source.edition}: {name} {year} = {grams} gCO2e/kWh "
                "(lifecycle, per kWh generated; excludes imports and T&D losses)"
            ),
            tags=tuple(
                sorted({"electricity", "grid", "lifecycle", self.source.dataset, *extra.split()})
            ),
        )


def load_ember() -> GridTable:
    """Ember yearly country overview -> `ember:2025:<KEY>:<year>` factors."""
    table = GridTable(EMBER_2025, "Ember")
    for r in read_dicts("ember", "ember_grid_carbon_intensity_yearly.csv"):
        cell = r["emissions_intensity_gco2_per_kwh"]
        if not cell:
            continue
        aggregate = r["is_aggregate"].lower() == "true"
        key = key_slug(r["country_or_region"]) if aggregate else r["iso2"]
        extra = f"{r['iso3'].lower()} {r['iso2'].lower()}" if not aggregate else "aggregate"
        table.add(
            key, r["country_or_region"], int(r["year"]), cell, aggregate=aggregate, extra=extra
        )
    return table


def load_owid() -> GridTable:
    """OWID carbon intensity of electricity -> `owid:2026-04:<KEY>:<year>` factors."""
    rows = read_dicts("owid", "owid_carbon_intensity_electricity.csv")
    owid_keys: dict[str, str] = {}
    for r in rows:  # OWID's own aggregates first: they get the plain keys
        code = r["owid_code"]
        if not r["iso2"] and code.startswith("OWID_"):
            owid_keys[r["entity"]] = _OWID_CODES.get(code) or key_slug(r["entity"])
    taken = set(owid_keys.values())
    table = GridTable(OWID_2026, "OWID")
    for r in rows:
        cell = r["carbon_intensity_gco2e_per_kwh"]
        if not cell:
            continue
        entity = r["entity"]
        if r["iso2"]:
            key, aggregate = r["iso2"], False
        elif entity in owid_keys:
            key, aggregate = owid_keys[entity], True
        else:
            base = key_slug(entity.removesuffix(" (Ember)"))
            key, aggregate = (f"{base}_EMBER" if base in taken else base), True
        extra = r["owid_code"].lower() if not aggregate else "aggregate"
        table.add(key, entity, int(r["year"]), cell, aggregate=aggregate, extra=extra)
    return table


def pick_year(years: dict[int, Factor], year: int | None, what: str, warnings: list[str]) -> Factor:
    """Exact year, else nearest earlier, else earliest later (`None` = latest), with warnings."""
    available = sorted(years)
    if year is None:
        return years[available[-1]]
    if year in years:
        return years[year]
    earlier = [y for y in available if y < year]
    if earlier:
        chosen, how = earlier[-1], "nearest earlier year"
    else:
        chosen, how = available[0], "earliest later year"
    warnings.append(f"No {what} value for {year}; using {chosen} ({how} available).")
    return years[chosen]


def resolve(
    table: GridTable,
    region: str,
    year: int | None,
    to_alpha2: Callable[[str], str | None],
) -> Resolved:
    """Pick the factor for `region`/`year` from `table` with the documented fallbacks."""
    warnings: list[str] = []
    raw = (region or "").strip()
    label = f"{table.label} ({table.source.id})"
    key = _area_key(table, raw, to_alpha2, warnings)
    if key is None or key not in table.series:
        if key is not None:
            warnings.append(f"No {label} data for {key}; using {WORLD} average.")
        elif raw:
            warnings.append(f"Unknown region {raw!r}; using {WORLD} average from {label}.")
        else:
            warnings.append(f"No region given; using {WORLD} average from {label}.")
        key = WORLD
    if key not in table.series:
        raise FactorNotFound(f"{label} has no {WORLD} series")
    factor = pick_year(table.series[key], year, f"{label} {key}", warnings)
    return Resolved(factor=factor, warnings=tuple(warnings))


def _area_key(
    table: GridTable, raw: str, to_alpha2: Callable[[str], str | None], warnings: list[str]
) -> str | None:
    if not raw:
        return None
    up = raw.upper()
    if up.isalpha() and len(up) in (2, 3):  # country codes win: NA is Namibia
        a2 = to_alpha2(up)
        if a2 is not None:
            return a2
    agg = key_slug(raw)
    if agg in table.aggregates:
        return agg
    if agg in {"WORLD", "GLOBAL", "WOR", "WRL"}:
        return WORLD
    if "-" in raw:
        country, _, sub = raw.partition("-")
        a2 = to_alpha2(country)
        if a2 is not None:
            warnings.append(
                f"No sub-national {table.label} data for {raw.upper()}; using the national "
                f"value for {a2}."
            )
            return a2
        return None
    return to_alpha2(raw)
