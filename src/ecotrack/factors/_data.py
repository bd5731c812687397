"""Helpers shared by the dataset loaders: packaged file access, CSV reading, decimal scaling.

Numbers are kept exact where a conversion is needed: cells are parsed as `Decimal`, scaled or
combined exactly, and rounded to `float` once (`to_float`). Plain cells use `float(cell)`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from importlib import resources
from importlib.abc import Traversable
from typing import Any

_DATA: Traversable = resources.files("ecotrack.factors") / "data"
_SLUG_RE = re.compile(r"[^a-z0-9]+")


def data_file(folder: str, name: str) -> Traversable:
    """The packaged data file `ecotrack/factors/data/<folder>/<name>`."""
    return _DATA / folder / name


def read_text(folder: str, name: str) -> str:
    return data_file(folder, name).read_bytes().decode("utf-8")


def read_rows(folder: str, name: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a packaged CSV, every cell a string (`NA` stays the string `NA`)."""
    reader = csv.reader(io.StringIO(read_text(folder, name)))
    header = next(reader)
    return header, [row for row in reader if row]


def read_dicts(folder: str, name: str) -> list[dict[str, str]]:
    """Rows of a packaged CSV as dicts of strings (no NA/NaN guessing)."""
    header, rows = read_rows(folder, name)
    return [dict(zip(header, row, strict=True)) for row in rows]


def read_json(folder: str, name: str) -> Any:
    return json.loads(read_text(folder, name))


def slug(text: str) -> str:
    """Lower-case id fragment: `Natural Gas` -> `natural-gas`, `Table 1` -> `table-1`."""
    return _SLUG_RE.sub("-", text.lower()).strip("-")


def key_slug(text: str) -> str:
    """Upper-case key: `Latin America and Caribbean` -> `LATIN_AMERICA_AND_CARIBBEAN`."""
    return _SLUG_RE.sub("_", text.lower()).strip("_").upper()


def dec(cell: str) -> Decimal:
    return Decimal(cell.strip())


def to_float(value: Decimal) -> float:
    """Round an exactly computed decimal to the nearest float, once."""
    return float(value)


def scaled(cell: str, power_of_ten: int) -> float:
    """`float(cell * 10**power_of_ten)` computed exactly, e.g. g -> kg with `-3`."""
    return float(Decimal(cell.strip()).scaleb(power_of_ten))
