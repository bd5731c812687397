"""Independent readers for the shipped data files (plain `csv`, no library code)."""

from __future__ import annotations

import csv
from pathlib import Path

import ecotrack.factors

DATA = Path(ecotrack.factors.__file__).resolve().parent / "data"


def read_csv(folder: str, name: str) -> list[dict[str, str]]:
    with (DATA / folder / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
