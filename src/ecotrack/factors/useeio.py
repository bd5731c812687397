"""US EPA Supply Chain GHG Emission Factors v1.3.0 (USEEIO), by 2017 NAICS-6 code.

Source: U.S. EPA Office of Research and Development, DOI 10.23719/1531143 (public domain; see
`sources.USEEIO_130`). Spend-based, cradle-to-shelf factors in kg CO2e per 2022 US dollar at
purchaser price, AR5 GWPs.

Ids: `useeio:1.3.0:<naics>` = "Supply Chain Emission Factors with Margins" (use for purchaser-
price spend); `useeio:1.3.0:<naics>:without-margins` = cradle to factory gate. `per_unit` is
`USD` (2022 dollars: deflate/inflate other years first). `gases` holds co2/ch4/n2o in kg CO2e
per USD from the by-gas file (kg of gas x AR5 GWP: CH4 28, N2O 265); the other 15 gases are not
split out, and the by-gas values are rounded to 3 s.f. so they need not sum to the total.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal

from ._data import dec, read_rows, read_text
from .sources import USEEIO_130
from .types import Factor
from .units import KG_CO2E

FOLDER = "useeio_v1_3_0"
CO2E_FILE = "SupplyChainGHGEmissionFactors_v1.3.0_NAICS_CO2e_USD2022.csv"
BYGHG_FILE = "SupplyChainGHGEmissionFactors_v1.3.0_NAICS_byGHG_USD2022.csv"
_GASES = {
    "Carbon dioxide": ("co2", "CO2"),
    "Methane": ("ch4", "CH4"),
    "Nitrous oxide": ("n2o", "N2O"),
}
WITH, WITHOUT = "with-margins", "without-margins"


@dataclass(frozen=True, slots=True)
class UseeioRow:
    naics: str
    title: str
    without_margins: str
    margins: str
    with_margins: str
    useeio_code: str


def factor_id(naics: str, margins: bool = True) -> str:
    return f"{USEEIO_130.id}:{naics}" + ("" if margins else f":{WITHOUT}")


def load(gwp: dict[str, Decimal]) -> tuple[dict[str, UseeioRow], list[Factor]]:
    """Parse both USEEIO files. `gwp` maps CO2/CH4/N2O to the AR5 GWP100 used for the split."""
    header, rows = read_rows(FOLDER, CO2E_FILE)
    col = {name: i for i, name in enumerate(header)}
    table: dict[str, UseeioRow] = {}
    for r in rows:
        table[r[col["2017 NAICS Code"]]] = UseeioRow(
            naics=r[col["2017 NAICS Code"]],
            title=r[col["2017 NAICS Title"]],
            without_margins=r[col["Supply Chain Emission Factors without Margins"]],
            margins=r[col["Margins of Supply Chain Emission Factors"]],
            with_margins=r[col["Supply Chain Emission Factors with Margins"]],
            useeio_code=r[col["Reference USEEIO Code"]],
        )
    # Only 3 of the 18 gases are used: drop the other lines before CSV parsing (speed).
    lines = read_text(FOLDER, BYGHG_FILE).splitlines()
    kept = [lines[0], *(ln for ln in lines[1:] if any(g in ln for g in _GASES))]
    reader = csv.reader(kept)
    header, rows = next(reader), [r for r in reader if r]
    col = {name: i for i, name in enumerate(header)}
    i_code, i_gas, i_unit = col["2017 NAICS Code"], col["GHG"], col["Unit"]
    i_with = col["Supply Chain Emission Factors with Margins"]
    i_without = col["Supply Chain Emission Factors without Margins"]
    split: dict[tuple[str, bool], list[tuple[str, float]]] = {}
    for r in rows:
        gas = _GASES.get(r[i_gas])
        if gas is None:
            continue
        if not r[i_unit].startswith("kg/"):
            raise ValueError(f"USEEIO by-GHG unit for {r[i_gas]} is {r[i_unit]!r}, expected kg/USD")
        key, gwp_id = gas
        for margins, cell in ((True, r[i_with]), (False, r[i_without])):
            split.setdefault((r[i_code], margins), []).append((key, float(dec(cell) * gwp[gwp_id])))
    order = {"co2": 0, "ch4": 1, "n2o": 2}
    factors: list[Factor] = []
    for row in table.values():
        for margins, cell, label in (
            (True, row.with_margins, "with margins (purchaser price, cradle to shelf)"),
            (False, row.without_margins, "without margins (cradle to factory gate)"),
        ):
            gases = tuple(sorted(split.get((row.naics, margins), []), key=lambda g: order[g[0]]))
            factors.append(
                Factor(
                    id=factor_id(row.naics, margins),
                    source_id=USEEIO_130.id,
                    name=f"{row.title} (NAICS {row.naics})"
                    + ("" if margins else " > without margins"),
                    value=float(cell),
                    unit=KG_CO2E,
                    per_unit="USD",
                    region="US",
                    year=2022,
                    gwp_set="AR5",
                    scope="Scope 3",
                    gases=gases,
                    reference=(
                        f"USEEIO v1.3.0 Supply Chain GHG Emission Factors, NAICS {row.naics}, "
                        f"{label}; kg CO2e per 2022 USD purchaser price; "
                        f"USEEIO code {row.useeio_code}"
                    ),
                    tags=(
                        "spend",
                        "useeio",
                        f"naics:{row.naics}",
                        row.useeio_code.lower(),
                        WITH if margins else WITHOUT,
                    ),
                )
            )
    return table, factors
