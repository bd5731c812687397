"""Units: one shared pint registry with EcoTrack's custom units, and cached conversions.

pint is slow (tens of microseconds per conversion), so the engine never converts quantities on
the hot path: `multiplier(from_unit, to_unit)` returns the float that turns an amount in
`from_unit` into `to_unit` and is computed once per (from, to) pair, then served from a dict.

Custom units (besides pint's defaults):

- transport: `passenger` (a count dimension), `passenger_km`, `passenger_mile` (`pkm`, `pmi`),
  `trip` (= 1 passenger, for flights given by airports);
- `room_night`, `person_day` (and `person_year` = 365.25 person-days, as pint's year);
- energy: `therm` (pint's EC therm, 105.5056 MJ), `MMBtu` / `mmBtu` (10^6 Btu), `kWh` etc.;
- gas volume: `scf` (standard cubic foot, = ft^3), `Mcf`, `ccf` (100 scf);
- cloud: `vCPU` (a count dimension), `vCPU_hour`, `GB_hour` (gigabyte-hour);
- LLM: `token` (output tokens, a count dimension);
- currencies: each ISO 4217 code in `CURRENCIES` is its **own base dimension**, so USD and EUR
  never convert into each other without an explicit exchange rate.

User-typed spellings (`kwh`, `m3`, `litres`, `passenger.km`, `US gallons`, ...) are normalised by
`normalise_unit_text` before pint sees them.
"""

from __future__ import annotations

import math
import re
import threading
from typing import Final

import pint

from ecotrack.calc.errors import UNIT_NOT_ACCEPTED, CalcError

CURRENCIES: Final = (
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "CHF",
    "CAD",
    "AUD",
    "NZD",
    "CNY",
    "HKD",
    "SGD",
    "INR",
    "KRW",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "HUF",
    "BRL",
    "MXN",
    "ZAR",
    "TRY",
    "AED",
    "SAR",
    "ILS",
)

_DEFINITIONS: Final = (
    # counts that must not silently become dimensionless
    "passenger = [passenger] = pax",
    "trip = passenger",
    "passenger_km = passenger * kilometer = pkm = passenger_kilometer",
    "passenger_mile = passenger * mile = pmi = passenger_mi",
    "room_night = [room_night] = room_nights",
    "person_day = [person_day]",
    "person_year = 365.25 * person_day",
    "vCPU = [vcpu] = vcpu",
    "vCPU_hour = vCPU * hour = vCPU_h = vcpu_hour",
    "GB_hour = gigabyte * hour = GBh = gigabyte_hour",
    "token = [token] = tokens = output_token",
    "call = [llm_call] = calls = request = requests",
    # energy and gas volume
    "MMBtu = 1e6 * british_thermal_unit = mmBtu = MMBTU = mmbtu",
    "scf = foot ** 3 = standard_cubic_foot",
    "Mcf = 1000 * scf = mcf",
    "ccf = 100 * scf = CCF",
    # per_unit spellings used by the factor library (ecotrack.factors.units)
    "tonne_km = tonne * kilometer = tkm",
    "short_ton_mile = short_ton * mile",
    "FTE_hour = [FTE_time]",
)

# Frequent user spellings pint does not know (exact, case-sensitive keys; tried after strip()).
_ALIASES: Final[dict[str, str]] = {
    "kwh": "kWh",
    "KWH": "kWh",
    "KWh": "kWh",
    "mwh": "MWh",
    "MWH": "MWh",
    "gwh": "GWh",
    "wh": "Wh",
    "m3": "m**3",
    "m³": "m**3",
    "cubic_metre": "m**3",
    "cubic_metres": "m**3",
    "cubic_meter": "m**3",
    "cubic_meters": "m**3",
    "cubic metres": "m**3",
    "cubic meters": "m**3",
    "ft3": "ft**3",
    "ft³": "ft**3",
    "litres": "L",
    "liters": "L",
    "million litres": "megaliter",
    "million_litres": "megaliter",
    "US_gallon": "gallon",
    "US_gallons": "gallon",
    "us_gallon": "gallon",
    "US gallon": "gallon",
    "US gallons": "gallon",
    "gallons": "gallon",
    "gal_us": "gallon",
    "UK_gallons": "UK_gallon",
    "imperial_gallons": "UK_gallon",
    "tonnes": "tonne",
    "metric_ton": "tonne",
    "metric_tons": "tonne",
    "miles": "mile",
    "passenger.km": "passenger_km",
    "passenger-km": "passenger_km",
    "passenger km": "passenger_km",
    "p.km": "passenger_km",
    "passenger.mile": "passenger_mile",
    "passenger-mile": "passenger_mile",
    "passenger-miles": "passenger_mile",
    "passenger_miles": "passenger_mile",
    "room-night": "room_night",
    "room-nights": "room_night",
    "room per night": "room_night",
    "Room per night": "room_night",
    "person-day": "person_day",
    "person-days": "person_day",
    "person_days": "person_day",
    "vCPU-hour": "vCPU_hour",
    "vCPU-hours": "vCPU_hour",
    "vCPU_hours": "vCPU_hour",
    "GB-hour": "GB_hour",
    "GB-hours": "GB_hour",
    "GB_hours": "GB_hour",
    "therms": "therm",
    "passengers": "passenger",
    "trips": "trip",
    "$": "USD",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "€": "EUR",
    "£": "GBP",
}

_BAD_CHARS = re.compile(r"[^\w\s.*/^()\-+³²$€£]")


def _build_registry() -> pint.UnitRegistry:
    reg: pint.UnitRegistry = pint.UnitRegistry(
        cache_folder=None, autoconvert_offset_to_baseunit=True
    )
    for line in _DEFINITIONS:
        reg.define(line)
    for code in CURRENCIES:
        reg.define(f"{code} = [currency_{code}]")
    return reg


ureg: Final = _build_registry()
"""The one pint registry of EcoTrack. Import it; never build another (quantities from two
registries cannot be combined)."""

_lock = threading.Lock()
_multipliers: dict[tuple[str, str], float | None] = {}
_parsed: dict[str, pint.Unit | None] = {}


def normalise_unit_text(text: str) -> str:
    """Map a user-typed unit spelling to one pint parses (does not validate)."""
    s = text.strip()
    return _ALIASES.get(s, s)


def parse_unit(text: str) -> pint.Unit | None:
    """The pint unit for `text`, or None if it is not a unit. Cached."""
    try:
        return _parsed[text]
    except KeyError:
        pass
    unit: pint.Unit | None
    s = normalise_unit_text(text) if isinstance(text, str) else ""
    if not s or _BAD_CHARS.search(s):
        unit = None
    else:
        try:
            unit = ureg.Unit(s)
        except Exception:  # pint raises several types (UndefinedUnitError, syntax errors, ...)
            unit = None
    with _lock:
        if len(_parsed) > 10_000:
            _parsed.clear()
        _parsed[text] = unit
    return unit


def is_unit(text: str) -> bool:
    return parse_unit(text) is not None


def _round15(x: float) -> float:
    # pint chains float conversions (1 L -> 0.0010000000000000002 m^3); trimming to 15
    # significant digits removes the binary noise and keeps every exact definition exact.
    return float(f"{x:.15g}")


def try_multiplier(from_unit: str, to_unit: str) -> float | None:
    """Factor turning an amount in `from_unit` into `to_unit`; None if not convertible. Cached."""
    key = (from_unit, to_unit)
    try:
        return _multipliers[key]
    except KeyError:
        pass
    result: float | None
    if from_unit == to_unit and parse_unit(from_unit) is not None:
        result = 1.0
    else:
        src, dst = parse_unit(from_unit), parse_unit(to_unit)
        if src is None or dst is None:
            result = None
        elif src == dst:
            result = 1.0
        else:
            try:
                m = float(ureg.Quantity(1.0, src).to(dst).magnitude)
            except pint.DimensionalityError:
                result = None
            else:
                result = _round15(m) if math.isfinite(m) and m > 0 else None
    with _lock:
        if len(_multipliers) > 100_000:
            _multipliers.clear()
        _multipliers[key] = result
    return result


def multiplier(from_unit: str, to_unit: str, *, accepted: tuple[str, ...] = ()) -> float:
    """Like `try_multiplier` but raises `unit-not-accepted` (listing `accepted`) on failure."""
    m = try_multiplier(from_unit, to_unit)
    if m is None:
        raise unit_error(from_unit, accepted or (to_unit,))
    return m


def dimension_key(text: str) -> str | None:
    """A printable dimensionality of `text` (e.g. '[length]'), or None if not a unit."""
    unit = parse_unit(text)
    if unit is None:
        return None
    return str(unit.dimensionality)


def is_currency(text: str) -> bool:
    unit = parse_unit(text)
    if unit is None:
        return False
    dims = dict(unit.dimensionality)
    return len(dims) == 1 and next(iter(dims)).startswith("[currency_")


def currency_code(text: str) -> str | None:
    """The ISO 4217 code of a currency unit (`EUR`, `kEUR` -> EUR), or None."""
    unit = parse_unit(text)
    if unit is None:
        return None
    dims = dict(unit.dimensionality)
    if len(dims) != 1:
        return None
    ((dim, power),) = dims.items()
    if not dim.startswith("[currency_") or power != 1:
        return None
    return dim[len("[currency_") : -1]


def unit_error(unit: str, accepted: tuple[str, ...] | list[str]) -> CalcError:
    listed = ", ".join(accepted)
    if parse_unit(unit) is None:
        msg = f"'{unit}' is not a known unit; accepted units: {listed}"
    else:
        msg = f"unit '{unit}' is not accepted here; accepted units: {listed}"
    return CalcError(UNIT_NOT_ACCEPTED, msg, loc=["unit"])


def cache_info() -> dict[str, int]:
    return {"multipliers": len(_multipliers), "parsed": len(_parsed)}
