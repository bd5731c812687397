"""Value types of the factor library: a dataset edition (`Source`) and one factor (`Factor`).

These are the contract between `ecotrack.factors` (which loads published datasets) and
`ecotrack.calc` (which multiplies by them). They are immutable, hashable and cheap to copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Source:
    """One edition of one published dataset.

    `id` is `<dataset>:<edition>`, for example `desnz:2024`, `epa-hub:2025`, `ember:2025`.
    """

    id: str
    dataset: str  # key used in requests: desnz, epa, ember, owid, useeio, ecologits, ccf, ipcc
    name: str  # human name: "UK Government GHG Conversion Factors for Company Reporting"
    publisher: str
    edition: str  # "2024 v1.1", "2025", "May 2025"
    year: int | None
    licence: str  # SPDX-like id: OGL-UK-3.0, CC-BY-4.0, Public-Domain-US-Gov, MPL-2.0, Apache-2.0
    attribution: str  # the text the licence asks for
    url: str
    gwp_set: str | None = None  # AR4, AR5, AR6 where the dataset states one
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """Relative uncertainty as fractions: low = value * (1 - minus), high = value * (1 + plus)."""

    minus: float
    plus: float
    basis: str  # where the figure comes from


@dataclass(frozen=True, slots=True)
class Factor:
    """One emission (or intensity) factor: `value` `unit` per one `per_unit`.

    `id` is stable: `<dataset>:<edition>:<row key>`, for example `desnz:2024:12345` (the DESNZ
    flat-file row ID), `ember:2025:GB:2024`, `epa-hub:2025:table1:Natural Gas`.
    `unit` is the numerator (normally `kg CO2e`), `per_unit` a pint-parsable denominator
    (`kWh`, `km`, `passenger_km`, `L`, `USD`, ...). `gases` maps co2/ch4/n2o to kg CO2e per unit
    where the source splits them.
    """

    id: str
    source_id: str
    name: str  # readable path, e.g. "Fuels > Gaseous fuels > Natural gas > kWh (Gross CV)"
    value: float
    unit: str
    per_unit: str
    region: str  # ISO 3166 alpha-2, "US-<eGRID subregion>", or "WORLD"
    year: int
    gwp_set: str | None = None
    scope: str | None = None  # "Scope 1", "Scope 2", "Scope 3", "Outside of Scopes"
    gases: tuple[tuple[str, float], ...] = ()
    uncertainty: Uncertainty | None = None
    reference: str = ""  # table / row / column in the source
    tags: tuple[str, ...] = field(default=())  # search keywords, activity hints

    @property
    def gas_split(self) -> dict[str, float]:
        return dict(self.gases)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A factor picked by a lookup, with what the resolver had to do to find it."""

    factor: Factor
    warnings: tuple[str, ...] = ()
