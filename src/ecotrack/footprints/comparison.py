"""What a result is compared with: the country's average and a 1.5 °C-compatible target.

Country averages: per-capita consumption-based CO2 (Global Carbon Budget via Our World in Data,
CO2 only; see data/SOURCE.md). Target: the "lifestyle carbon footprint" targets of the
1.5-Degree Lifestyles reports (IGES, Aalto University and D-mat 2019; restated by the Hot or Cool
Institute 2021): 2.5 t CO2e per person per year by 2030, 1.4 t by 2040 and 0.7 t by 2050.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "consumption_co2_per_capita.csv"

AVERAGE_SOURCE = (
    "Global Carbon Budget, with major processing by Our World in Data: per capita "
    "consumption-based CO2 emissions (https://ourworldindata.org/grapher/consumption-co2-per-"
    "capita), CC BY 4.0"
)
AVERAGE_BASIS = (
    "consumption-based CO2 only (fossil fuels and industry, adjusted for trade); excludes CH4, "
    "N2O, F-gases and land use, so it is lower than a full CO2e footprint; international "
    "aviation and shipping are not allocated to countries"
)
TARGET_SOURCE = (
    "1.5-Degree Lifestyles: Targets and options for reducing lifestyle carbon footprints "
    "(IGES, Aalto University and D-mat, 2019), restated in 1.5-Degree Lifestyles: Towards a Fair "
    "Consumption Space for All (Hot or Cool Institute, 2021): lifestyle carbon footprint targets "
    "of 2.5 t CO2e per person per year by 2030, 1.4 t by 2040 and 0.7 t by 2050"
)
TARGETS_KG = ((2030, 2500.0), (2040, 1400.0), (2050, 700.0))
WORLD = "WORLD"


@dataclass(frozen=True, slots=True)
class Average:
    code: str
    name: str
    year: int
    kg_per_capita: float


@cache
def averages() -> dict[str, Average]:
    with DATA.open(newline="", encoding="utf-8") as f:
        return {
            row["code"]: Average(
                code=row["code"],
                name=row["name"],
                year=int(row["year"]),
                kg_per_capita=float(row["t_co2_per_capita"]) * 1000.0,
            )
            for row in csv.DictReader(f)
        }


def compare(total_kg: float, country: str | None) -> tuple[dict[str, Any], list[str]]:
    """The `comparison` block of a result, and warnings (e.g. a fallback to the world)."""
    table = averages()
    warnings: list[str] = []
    average = table.get(country or "")
    if average is None:
        average = table[WORLD]
        if country:
            warnings.append(
                f"no per-capita average is shipped for {country}: compared with the world average"
            )
    targets = [
        {
            "year": year,
            "per_capita_kg": kg,
            "ratio": total_kg / kg,
        }
        for year, kg in TARGETS_KG
    ]
    return (
        {
            "country": average.code,
            "country_name": average.name,
            "average_per_capita_kg": average.kg_per_capita,
            "average_year": average.year,
            "average_basis": AVERAGE_BASIS,
            "average_source": AVERAGE_SOURCE,
            "ratio_to_average": total_kg / average.kg_per_capita,
            "targets": targets,
            "target_source": TARGET_SOURCE,
        },
        warnings,
    )
