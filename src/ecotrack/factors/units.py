"""Unit names used in `Factor.per_unit` / `Factor.unit`, and how they map from the source files.

Every `per_unit` is parsable by pint once the few custom units below are defined in the
registry (`define_units(ureg)`); most (`kWh`, `km`, `mile`, `L`, `tonne`, `kg`, `GJ`, `m**3`,
`gallon`, `short_ton`, `ML`) are pint built-ins. Custom ones:

- `passenger_km`, `passenger_mile`: passenger distance (dimension `[passenger] * [length]`).
- `tonne_km`, `short_ton_mile`: freight mass x distance (pure pint products, convertible).
- `room_night` (hotel stays), `FTE_hour` (homeworking), `USD` (spend; `[currency]`).
- `MMBtu` (= 1e6 Btu, EPA "mmBtu"), `scf` (standard cubic foot, treated as 1 ft**3).

Vehicle distance is plain `km` / `mile`: DESNZ "km"/"miles" car rows and EPA "vehicle-mile"
rows are both per vehicle distance (divide by occupancy for per-person figures).
"""

from __future__ import annotations

from typing import Any

KG_CO2E = "kg CO2e"

#: DESNZ flat-file `UOM` -> `per_unit`. Unknown UOMs fail the load (see `desnz.py`).
DESNZ_UOM: dict[str, str] = {
    "km": "km",
    "miles": "mile",
    "tonne.km": "tonne_km",
    "tonnes": "tonne",
    "kg": "kg",
    "passenger.km": "passenger_km",
    "litres": "L",
    "kWh (Net CV)": "kWh",
    "kWh (Gross CV)": "kWh",
    "kWh": "kWh",
    "Room per night": "room_night",
    "GJ": "GJ",
    "cubic metres": "m**3",
    "per FTE Working Hour": "FTE_hour",
    "million litres": "ML",
}

#: EPA Hub unit labels (table `unit` columns and headers) -> `per_unit`.
EPA_UNIT: dict[str, str] = {
    "mmBtu": "MMBtu",
    "short ton": "short_ton",
    "scf": "scf",
    "gallon": "gallon",
    "vehicle-mile": "mile",
    "passenger-mile": "passenger_mile",
    "short ton-mile": "short_ton_mile",
}

#: pint definitions for the custom units above (`ureg.define(line)` for each).
PINT_DEFINITIONS: tuple[str, ...] = (
    "passenger = [passenger]",
    "passenger_km = passenger * kilometer",
    "passenger_mile = passenger * mile",
    "tonne_km = tonne * kilometer",
    "short_ton_mile = short_ton * mile",
    "room_night = [room_night]",
    "FTE_hour = [FTE_time]",
    "USD = [currency]",
    "MMBtu = 1e6 * Btu = mmBtu",
    "scf = foot ** 3 = standard_cubic_foot",
)


def define_units(ureg: Any) -> None:
    """Add `PINT_DEFINITIONS` to a pint `UnitRegistry`, skipping names it already knows."""
    for line in PINT_DEFINITIONS:
        name = line.split("=", 1)[0].strip()
        if name not in ureg:
            ureg.define(line)
