"""Fixtures for the calculation-engine tests (pure: no DB, no network).

Expected values are read from the shipped dataset CSVs with the `csv` module (independently of
the factor library's parsers and of the engine) or typed in from the research note / papers.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest

import ecotrack.factors
from ecotrack.factors.registry import FactorRegistry, get_registry

DATA = Path(ecotrack.factors.__file__).resolve().parent / "data"
YEARS = (2023, 2024, 2025)


@functools.cache
def desnz_rows(year: int) -> list[dict[str, str]]:
    """Every row of the shipped DESNZ flat file, cells verbatim; `value` = the factor column."""
    path = DATA / "desnz" / f"desnz_ghg_conversion_factors_{year}_flat.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["value"] = r[f"GHG Conversion Factor {year}"]
    return rows


def desnz_totals(year: int, **levels: str) -> list[dict[str, str]]:
    """Total (kg CO2e) rows matching the given columns (keys: level1..4, column_text, uom)."""
    names = {
        "level1": "Level 1",
        "level2": "Level 2",
        "level3": "Level 3",
        "level4": "Level 4",
        "column_text": "Column Text",
        "uom": "UOM",
    }
    out = []
    for r in desnz_rows(year):
        if r["GHG/Unit"] != "kg CO2e":
            continue
        if all(r[names[k]] == v for k, v in levels.items()):
            out.append(r)
    return out


def desnz_value(year: int, **levels: str) -> tuple[str, float]:
    rows = desnz_totals(year, **levels)
    assert len(rows) == 1, (year, levels, len(rows))
    return f"desnz:{year}:{rows[0]['ID']}", float(rows[0]["value"])


@functools.cache
def csv_dicts(folder: str, name: str) -> list[dict[str, str]]:
    with (DATA / folder / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def reg() -> FactorRegistry:
    """The process-wide registry (what `estimate()` uses by default)."""
    return get_registry()
