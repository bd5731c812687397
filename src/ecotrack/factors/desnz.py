"""UK Government GHG Conversion Factors for Company Reporting (DESNZ/Defra), flat files 2023-2025.

Source: DESNZ/Defra "Greenhouse gas reporting: conversion factors" flat file, sheet "Factors by
Category" (OGL v3.0; see `sources.DESNZ`). Every row with a value becomes one `Factor`:

- id `desnz:<year>:<ID>` with the flat-file `ID` verbatim (IDs are only stable within a year);
- `value` is exactly `float(cell)`. The 2023 file stores unrounded values that DESNZ publishes
  rounded to 5 d.p.; `DesnzRow.published` gives that published figure (2024/2025 are stored
  rounded already, so `published == value` there);
- `name` is the non-empty Level 1..4 and Column Text joined with " > "; `per_unit` comes from
  `units.DESNZ_UOM`; the raw UOM and GHG/Unit are kept in `reference`;
- `unit` is "kg CO2e" for totals and per-gas rows, "kWh" for the energy-content rows whose
  GHG/Unit is "kWh (Net CV)" / "kWh (net)" (SECR reporting), which have no GWP set;
- totals (GHG/Unit "kg CO2e") carry `gases` co2/ch4/n2o (kg CO2e per unit) taken from the
  per-gas rows with the same Scope/Level/Column Text/UOM; per-gas rows carry their own gas.

Tags give activity hints (`electricity`, `natural_gas`, `car`, `flight`, `rail`, `bus`, `waste`,
`water`, `hotel_stay`, ...), the row kind (`total`, `co2`, `ch4`, `n2o`, `energy_content`) and
flags such as `wtt`, `with_rf`, `without_rf`, `gross_cv`, `net_cv`.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ._data import read_rows
from .errors import FactorNotFound
from .sources import DESNZ
from .types import Factor
from .units import DESNZ_UOM, KG_CO2E

YEARS: tuple[int, ...] = tuple(sorted(DESNZ))
FOLDER = "desnz"
TOTAL = "kg CO2e"
GAS_UNITS: dict[str, str] = {
    "kg CO2e of CO2 per unit": "co2",
    "kg CO2e of CH4 per unit": "ch4",
    "kg CO2e of N2O per unit": "n2o",
}
ENERGY_UNITS: dict[str, str] = {"kWh (Net CV)": "kWh", "kWh (net)": "kWh"}
_GAS_ORDER = ("co2", "ch4", "n2o")
_FIVE_DP = Decimal("0.00001")


def file_name(year: int) -> str:
    return f"desnz_ghg_conversion_factors_{year}_flat.csv"


@dataclass(frozen=True, slots=True)
class DesnzRow:
    """One flat-file row, cells verbatim (`raw_value` is "" where the workbook has no value)."""

    year: int
    id: str
    scope: str
    level1: str
    level2: str
    level3: str
    level4: str
    column_text: str
    uom: str
    ghg_unit: str
    raw_value: str

    @property
    def value(self) -> float | None:
        return float(self.raw_value) if self.raw_value else None

    @property
    def published(self) -> float | None:
        """The figure as DESNZ publishes it: 2023 stored values rounded half-up to 5 d.p."""
        if not self.raw_value:
            return None
        if self.year == 2023:
            return float(Decimal(self.raw_value).quantize(_FIVE_DP, rounding=ROUND_HALF_UP))
        return float(self.raw_value)

    @property
    def factor_id(self) -> str:
        return f"desnz:{self.year}:{self.id}"

    @property
    def name(self) -> str:
        parts = (self.level1, self.level2, self.level3, self.level4, self.column_text)
        return " > ".join(p for p in parts if p)

    @property
    def key(self) -> tuple[str, str, str, str, str, str, str]:
        """The natural key used by `DesnzTable.lookup` (unique within a year)."""
        return (
            self.level1,
            self.level2,
            self.level3,
            self.level4,
            self.column_text,
            self.uom,
            self.ghg_unit,
        )

    @property
    def group_key(self) -> tuple[str, ...]:
        """What a total row and its per-gas rows share."""
        return (self.scope, *self.key[:6])


@functools.lru_cache(maxsize=4096)
def _level_tags(l1: str, l2: str, l3: str) -> frozenset[str]:
    """Activity hints from Level 1-3 (lower-cased), memoised: many rows share them."""
    tags: set[str] = set()
    if l1.startswith("wtt"):
        tags.add("wtt")
    if l1 in {"uk electricity", "managed assets- electricity", "wtt- uk electricity"}:
        tags.add("electricity")
    if l2 == "t&d- uk electricity":
        tags.update(("electricity", "t_and_d"))
    if l2 == "electricity generated":
        tags.add("electricity")
    if "for evs" in l1:
        tags.add("ev")
    if "natural gas" in l3:
        tags.add("natural_gas")
    if l1 in {"fuels", "wtt- fuels"}:
        tags.add("fuel")
    if "bioenergy" in l1 or l1 == "outside of scopes":
        tags.add("bioenergy")
    if l1 == "outside of scopes":
        tags.add("outside_scopes")
    freight = "freight" in l1
    if freight:
        tags.add("freight")
    for needle, tag in (
        ("cars", "car"),
        ("taxis", "car"),
        ("motorbike", "motorbike"),
        ("taxis", "taxi"),
        ("vans", "van"),
        ("hgv", "hgv"),
        ("cargo ship", "ship"),
        ("sea tanker", "ship"),
        ("ferry", "ferry"),
    ):
        if needle in l2:
            tags.add(tag)
    if l2 in {"bus", "wtt- bus"}:
        tags.add("bus")
    if "rail" in l2:
        tags.add("rail")
    if "flight" in l2:
        tags.add("air_freight" if freight else "flight")
    if "heat" in l1 or "heat & steam" in l2:
        tags.add("heat_steam")
    simple = {
        "hotel stay": "hotel_stay",
        "waste disposal": "waste",
        "material use": "material",
        "homeworking": "homeworking",
        "refrigerant & other": "refrigerant",
    }
    if l1 in simple:
        tags.add(simple[l1])
    if l1.startswith("water"):
        tags.update(("water", "water_supply" if "supply" in l1 else "water_treatment"))
    if l1.startswith("secr"):
        tags.add("secr")
    return frozenset(tags)


@functools.lru_cache(maxsize=1024)
def _tags(l1: str, l2: str, l3: str, column_text: str, uom: str, ghg_unit: str) -> tuple[str, ...]:
    tags = set(_level_tags(l1.lower(), l2.lower(), l3.lower()))
    ct, u = column_text.lower(), uom.lower()
    if ct == "with rf":
        tags.add("with_rf")
    elif ct == "without rf":
        tags.add("without_rf")
    if "gross cv" in u:
        tags.add("gross_cv")
    if "net cv" in u:
        tags.add("net_cv")
    if ghg_unit == TOTAL:
        tags.add("total")
    elif ghg_unit in GAS_UNITS:
        tags.add(GAS_UNITS[ghg_unit])
    else:
        tags.add("energy_content")
    return tuple(sorted(tags))


@dataclass(slots=True)
class DesnzTable:
    """All rows and factors of one DESNZ year, with the natural-key index."""

    year: int
    rows: tuple[DesnzRow, ...]
    factors: list[Factor]
    by_key: dict[tuple[str, ...], DesnzRow] = field(default_factory=dict)

    def lookup(
        self,
        *,
        level1: str,
        level2: str | None = None,
        level3: str | None = None,
        level4: str | None = None,
        column_text: str | None = None,
        uom: str,
        ghg: str = TOTAL,
    ) -> DesnzRow:
        """Exact match on Level 1-4, Column Text, UOM and GHG/Unit (`None` = empty cell).

        Falls back to a case- and whitespace-insensitive comparison; raises `FactorNotFound`
        listing the closest rows otherwise.
        """
        parts = (level1, level2, level3, level4, column_text, uom, ghg)
        key = tuple((p or "").strip() for p in parts)
        row = self.by_key.get(key)
        if row is None:
            folded = tuple(" ".join(p.split()).casefold() for p in key)
            for k, candidate in self.by_key.items():
                if tuple(" ".join(p.split()).casefold() for p in k) == folded:
                    row = candidate
                    break
        if row is None:
            wanted = " | ".join(key)
            pool = [k for k in self.by_key if k[0].casefold() == key[0].casefold()] or list(
                self.by_key
            )
            labels = {" | ".join(k): k for k in pool}
            close = tuple(difflib.get_close_matches(wanted, labels, n=5, cutoff=0.5))
            hint = "; closest: " + " || ".join(close) if close else ""
            raise FactorNotFound(
                f"No DESNZ {self.year} row for [{wanted}] "
                f"(levels | column text | UOM | GHG/Unit){hint}",
                close,
            )
        if not row.raw_value:
            raise FactorNotFound(
                f"DESNZ {self.year} row {row.id} ({row.name}, {row.uom}, {row.ghg_unit}) "
                "has no value in the published file"
            )
        return row


def load(year: int) -> DesnzTable:
    """Parse the DESNZ flat file for `year` (2023, 2024 or 2025) into rows and factors."""
    if year not in DESNZ:
        raise FactorNotFound(f"No DESNZ edition for {year}; available: {list(YEARS)}")
    source = DESNZ[year]
    header, raw = read_rows(FOLDER, file_name(year))
    expected = ["ID", "Scope", "Level 1", "Level 2", "Level 3", "Level 4", "Column Text", "UOM"]
    if header[:8] != expected or header[8] != "GHG/Unit":
        raise ValueError(f"Unexpected DESNZ {year} header: {header}")
    rows = tuple(DesnzRow(year, *cells) for cells in raw)
    keys = [row.key for row in rows]
    split: dict[tuple[str, ...], dict[str, float]] = {}
    for row, key in zip(rows, keys, strict=True):
        gas = GAS_UNITS.get(row.ghg_unit)
        if gas and row.raw_value:
            split.setdefault((row.scope, *key[:6]), {})[gas] = float(row.raw_value)
    factors: list[Factor] = []
    by_key: dict[tuple[str, ...], DesnzRow] = {}
    source_id, gwp_set = source.id, source.gwp_set
    for row, key in zip(rows, keys, strict=True):
        if key in by_key:
            raise ValueError(f"Duplicate DESNZ {year} key {key}")
        by_key[key] = row
        if not row.raw_value:
            continue
        try:
            per_unit = DESNZ_UOM[row.uom]
        except KeyError:
            raise ValueError(f"DESNZ {year} row {row.id}: unmapped UOM {row.uom!r}") from None
        value = float(row.raw_value)
        gases: tuple[tuple[str, float], ...] = ()
        unit, gwp = KG_CO2E, gwp_set
        if row.ghg_unit == TOTAL:
            parts = split.get((row.scope, *key[:6]), {})
            gases = tuple((g, parts[g]) for g in _GAS_ORDER if g in parts)
        elif row.ghg_unit in GAS_UNITS:
            gases = ((GAS_UNITS[row.ghg_unit], value),)
        elif row.ghg_unit in ENERGY_UNITS:
            unit, gwp = ENERGY_UNITS[row.ghg_unit], None
        else:
            raise ValueError(f"DESNZ {year} row {row.id}: unknown GHG/Unit {row.ghg_unit!r}")
        factors.append(
            Factor(
                id=f"desnz:{year}:{row.id}",
                source_id=source_id,
                name=" > ".join(p for p in key[:5] if p),
                value=value,
                unit=unit,
                per_unit=per_unit,
                region="GB",
                year=year,
                gwp_set=gwp,
                scope=row.scope,
                gases=gases,
                reference=(
                    f"DESNZ {year} flat file, ID {row.id}; UOM '{row.uom}'; "
                    f"GHG/Unit '{row.ghg_unit}'"
                ),
                tags=_tags(*key[:3], *key[4:]),
            )
        )
    return DesnzTable(year=year, rows=rows, factors=factors, by_key=by_key)


def iter_rows(table: DesnzTable) -> Iterator[DesnzRow]:
    return iter(table.rows)
