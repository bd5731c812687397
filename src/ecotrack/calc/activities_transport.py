"""Transport activities: car, motorbike, taxi, bus, coach, rail, ferry, flight.

DESNZ "Business travel- land/air/sea" rows by default (all regions; UK averages used as a
proxy outside GB, with a warning); EPA Hub Table 10 on request (`source="epa"`) for car,
motorbike, bus, rail and flight. Vehicle factors (car, motorbike, taxi by km) are per vehicle
distance and divided by `options.passengers`; the others are per passenger distance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ecotrack.calc._base import (
    ActivitySpec,
    Ctx,
    OptionSpec,
    PlanBuilder,
    convert_or_fail,
    desnz,
    desnz_year,
    esc,
    lib_method,
    lookup,
    unit_kind,
    unit_label,
    warn_proxy_region,
)
from ecotrack.calc.errors import INVALID_OPTION, CalcError
from ecotrack.calc.types import Plan, fmt_num
from ecotrack.calc.units import unit_error
from ecotrack.factors.types import Factor

VEHICLE_UNITS = ("km", "mile")
PASSENGER_UNITS = ("km", "mile", "passenger_km", "passenger_mile")
FLIGHT_UNITS = ("km", "mile", "passenger_km", "passenger_mile", "passenger", "trip")

#: Mean Earth radius (IUGG R1), km — the sphere used for great-circle distances.
EARTH_RADIUS_KM = 6371.0088
#: DESNZ flight band threshold between short- and long-haul flights to/from the UK (km, great
#: circle). DESNZ methodology: domestic = within the UK; short-haul = to/from the UK up to
#: 3,700 km; long-haul = to/from the UK beyond; international = between two non-UK airports.
SHORT_HAUL_MAX_KM = 3700.0
#: Extra distance on top of the great circle. DESNZ's published air factors already include its
#: 8 % uplift for indirect routing, delays and circling (the methodology paper tabulates the
#: factors "excluding distance and RF uplifts" before the final ones), so they apply to the
#: great-circle distance as it is: the default adds nothing. `options.distance_uplift` lets a
#: user apply one to other sources.
DEFAULT_DISTANCE_UPLIFT = 0.0
#: EPA Hub Table 10 air bands (statute miles, great circle).
EPA_SHORT_MAX_MI = 300.0
EPA_MEDIUM_MAX_MI = 2300.0

_EPA_SOURCES = {"epa-hub": "epa", "defra": "desnz", "uk": "desnz"}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (km) on a sphere of radius EARTH_RADIUS_KM (haversine formula)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


# ---------------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------------
def _transport_source(ctx: Ctx, sources: tuple[str, ...]) -> str:
    if ctx.source is None:
        return "desnz"
    return ctx.require_source(sources, ctx.source)


def _desnz_by_unit(
    ctx: Ctx,
    year: int,
    *,
    level1: str,
    level2: str,
    level3: str,
    level4: str | None = None,
    column_text: str | None = None,
    uoms: tuple[tuple[str, str], ...],
) -> tuple[Factor, float, str]:
    """Pick the DESNZ row whose unit matches the input exactly, else the first convertible one.

    `uoms` = ((DESNZ UOM, per_unit), ...). Returns (factor, conversion, per_unit)."""
    best: tuple[str, str, float] | None = None
    for uom, pu in uoms:
        conv = ctx.unit_to(pu)
        if conv is None:
            continue
        if conv == 1.0:
            best = (uom, pu, conv)
            break
        if best is None:
            best = (uom, pu, conv)
    if best is None:
        raise ctx.unit_error()
    uom, pu, conv = best
    f = desnz(
        ctx,
        year,
        level1=level1,
        level2=level2,
        level3=level3,
        level4=level4,
        column_text=column_text,
        uom=uom,
    )
    return f, conv, pu


def _passenger_conv(ctx: Ctx, per_unit: str) -> float:
    """Input -> passenger distance. Plain distance counts as one traveller's distance."""
    conv = ctx.unit_to(per_unit)
    if conv is not None:
        return conv
    base = "km" if per_unit == "passenger_km" else "mile"
    conv = ctx.unit_to(base)
    if conv is None:
        raise ctx.unit_error()
    return conv


def _epa_t10(ctx: Ctx, key: str) -> Factor:
    f: Factor = lookup(ctx, "epa", 10, key)
    if ctx.year is not None and ctx.year != f.year:
        ctx.warn(
            f"EPA: only the GHG Emission Factors Hub {f.year} edition is shipped; used it for "
            f"year {ctx.year}"
        )
    return f


def _per_passenger_plan(
    ctx: Ctx,
    b: PlanBuilder,
    factor: Factor,
    label: str,
    family: str,
    methodology: str,
) -> Plan:
    pu = factor.per_unit
    conv = _passenger_conv(ctx, pu)
    b.normalise(pu, conv)
    pu_label = pu.replace("_", "-")
    if ctx.unit_to(pu) is None:
        b.note(
            f"{{amount}} {esc(ctx.unit)} travelled by one passenger = {{value}} {pu_label}",
            conv,
            pu,
        )
    elif conv != 1.0:
        b.note(f"{{amount}} {esc(ctx.unit)} = {{value}} {pu_label}", conv, pu)
    b.add(factor, conv, label=label, family=family)
    return b.build(methodology)


def _vehicle_plan(
    ctx: Ctx,
    b: PlanBuilder,
    factor: Factor,
    conv: float,
    label: str,
    methodology: str,
) -> Plan:
    passengers = int(ctx.opt("passengers") or 1)
    pu = factor.per_unit
    b.normalise(pu, conv)
    if conv != 1.0:
        b.note(f"{{amount}} {esc(ctx.unit)} = {{value}} {esc(unit_label(pu))}", conv, pu)
    qty = conv / passengers if passengers != 1 else conv
    if passengers != 1:
        b.note(
            f"Shared by {passengers} passengers: per-person vehicle distance = {{value}} "
            f"{esc(unit_label(pu))}",
            qty,
            pu,
        )
    b.add(factor, qty, label=label, family="road")
    return b.build(methodology)


PASSENGERS = OptionSpec(
    "passengers",
    "int",
    "People sharing the vehicle; the vehicle's emissions are divided by this number.",
    default=1,
    minimum=1,
    maximum=100,
)


# ---------------------------------------------------------------------------------------------
# car
# ---------------------------------------------------------------------------------------------
_CAR_FUEL = {
    "petrol": "Petrol",
    "diesel": "Diesel",
    "hybrid": "Hybrid",
    "plug_in_hybrid": "Plug-in Hybrid Electric Vehicle",
    "battery_electric": "Battery Electric Vehicle",
    "unknown": "Unknown",
    "cng": "CNG",
    "lpg": "LPG",
}
_CAR_SIZE = {
    "small": "Small car",
    "medium": "Medium car",
    "large": "Large car",
    "average": "Average car",
}


def _car(ctx: Ctx) -> Plan:
    src = _transport_source(ctx, ("desnz", "epa"))
    fuel, size = ctx.opt("fuel"), ctx.opt("size")
    if unit_kind(ctx) != "length":
        raise ctx.unit_error()
    b = PlanBuilder(ctx, source=src)
    if src == "epa":
        b.region = "US"
        key = "light-duty-truck" if size == "large" else "passenger-car"
        f = _epa_t10(ctx, key)
        if fuel not in ("unknown", "petrol"):
            ctx.warn(
                f"EPA Table 10 has one factor per vehicle type (US fleet average); fuel '{fuel}' "
                "was not applied"
            )
        if size == "large":
            b.note("size large -> EPA 'Light-Duty Truck' (SUVs, minivans, pickups)")
        conv = convert_or_fail(ctx, f.per_unit)
        return _vehicle_plan(ctx, b, f, conv, f"{f.name}", "car")
    year = desnz_year(ctx)
    warn_proxy_region(ctx, "DESNZ UK car factors")
    b.region = "GB"
    owned = ctx.opt("ownership") == "owned"
    level1 = "Passenger vehicles" if owned else "Business travel- land"
    f, conv, _pu = _desnz_by_unit(
        ctx,
        year,
        level1=level1,
        level2="Cars (by size)",
        level3=_CAR_SIZE[size],
        column_text=_CAR_FUEL[fuel],
        uoms=(("km", "km"), ("miles", "mile")),
    )
    if owned and fuel in ("battery_electric", "plug_in_hybrid"):
        ctx.warn(
            "ownership 'owned' uses DESNZ Scope 1 rows, which exclude charging electricity; "
            "report that electricity separately (activity electricity)"
        )
    label = f"{_CAR_SIZE[size]}, {_CAR_FUEL[fuel]}, DESNZ {year} {level1}"
    return _vehicle_plan(ctx, b, f, conv, label, "car")


CAR = ActivitySpec(
    name="car",
    category="transportation",
    description=(
        "Distance driven by car (vehicle-km or miles); divided by options.passengers for a "
        "per-person share."
    ),
    units=VEHICLE_UNITS,
    options=(
        OptionSpec(
            "fuel",
            "str",
            "Fuel / powertrain.",
            default="unknown",
            choices=tuple(_CAR_FUEL),
            aliases={
                "gasoline": "petrol",
                "bev": "battery_electric",
                "ev": "battery_electric",
                "electric": "battery_electric",
                "phev": "plug_in_hybrid",
                "hev": "hybrid",
            },
        ),
        OptionSpec("size", "str", "Car size class.", default="average", choices=tuple(_CAR_SIZE)),
        PASSENGERS,
        OptionSpec(
            "ownership",
            "str",
            "not_owned (default): DESNZ 'Business travel- land' rows (Scope 3; EVs include grid "
            "electricity). owned: DESNZ 'Passenger vehicles' rows (Scope 1 fuel only).",
            default="not_owned",
            choices=("not_owned", "owned"),
        ),
    ),
    sources=("desnz", "epa"),
    default_source={"any": "desnz"},
    methodology="car",
    resolver=_car,
    source_aliases=_EPA_SOURCES,
)


# ---------------------------------------------------------------------------------------------
# motorbike, taxi
# ---------------------------------------------------------------------------------------------
_MOTORBIKE = {"small": "Small", "medium": "Medium", "large": "Large", "average": "Average"}


def _motorbike(ctx: Ctx) -> Plan:
    src = _transport_source(ctx, ("desnz", "epa"))
    if unit_kind(ctx) != "length":
        raise ctx.unit_error()
    b = PlanBuilder(ctx, source=src)
    if src == "epa":
        b.region = "US"
        f = _epa_t10(ctx, "motorcycle")
        conv = convert_or_fail(ctx, f.per_unit)
        return _vehicle_plan(ctx, b, f, conv, f.name, "motorbike")
    year = desnz_year(ctx)
    warn_proxy_region(ctx, "DESNZ UK motorbike factors")
    b.region = "GB"
    size = ctx.opt("size")
    f, conv, _ = _desnz_by_unit(
        ctx,
        year,
        level1="Business travel- land",
        level2="Motorbike",
        level3=_MOTORBIKE[size],
        uoms=(("km", "km"), ("miles", "mile")),
    )
    return _vehicle_plan(ctx, b, f, conv, f"Motorbike {size}, DESNZ {year}", "motorbike")


MOTORBIKE = ActivitySpec(
    name="motorbike",
    category="transportation",
    description="Distance ridden by motorbike (vehicle distance; divided by options.passengers).",
    units=VEHICLE_UNITS,
    options=(
        OptionSpec(
            "size", "str", "Engine size class.", default="average", choices=tuple(_MOTORBIKE)
        ),
        PASSENGERS,
    ),
    sources=("desnz", "epa"),
    default_source={"any": "desnz"},
    methodology="motorbike",
    resolver=_motorbike,
    source_aliases=_EPA_SOURCES,
)

_TAXI = {"regular": "Regular taxi", "black_cab": "Black cab"}


def _taxi(ctx: Ctx) -> Plan:
    _transport_source(ctx, ("desnz",))
    year = desnz_year(ctx)
    warn_proxy_region(ctx, "DESNZ UK taxi factors")
    b = PlanBuilder(ctx, source="desnz")
    b.region = "GB"
    kind = unit_kind(ctx)
    typ = ctx.opt("type")
    label = f"{_TAXI[typ]}, DESNZ {year}"
    if kind == "passenger_length":
        f = desnz(
            ctx,
            year,
            level1="Business travel- land",
            level2="Taxis",
            level3=_TAXI[typ],
            uom="passenger.km",
        )
        if ctx.opt("passengers") != 1:
            ctx.warn("options.passengers is not used with passenger distance units")
        return _per_passenger_plan(ctx, b, f, label + " (per passenger-km)", "road", "taxi")
    if kind != "length":
        raise ctx.unit_error()
    f = desnz(
        ctx, year, level1="Business travel- land", level2="Taxis", level3=_TAXI[typ], uom="km"
    )
    conv = convert_or_fail(ctx, "km")
    return _vehicle_plan(ctx, b, f, conv, label + " (per vehicle-km)", "taxi")


TAXI = ActivitySpec(
    name="taxi",
    category="transportation",
    description=(
        "Taxi ride. Vehicle distance (km, mile) uses the per-vehicle-km row divided by "
        "options.passengers; passenger distance (passenger_km) uses DESNZ's per-passenger row "
        "(average occupancy)."
    ),
    units=PASSENGER_UNITS,
    options=(
        OptionSpec("type", "str", "Taxi type.", default="regular", choices=tuple(_TAXI)),
        PASSENGERS,
    ),
    sources=("desnz",),
    default_source={"any": "desnz"},
    methodology="taxi",
    resolver=_taxi,
    source_aliases=_EPA_SOURCES,
)


# ---------------------------------------------------------------------------------------------
# bus, coach, rail, ferry (per passenger distance)
# ---------------------------------------------------------------------------------------------
def _pp_resolver(
    name: str,
    desnz_row: Callable[[Ctx], tuple[str, str, str]],
    epa_key: Callable[[Ctx], str] | None,
    family: str,
) -> Callable[[Ctx], Plan]:
    def resolve(ctx: Ctx) -> Plan:
        sources = ("desnz", "epa") if epa_key is not None else ("desnz",)
        src = _transport_source(ctx, sources)
        if unit_kind(ctx) not in ("length", "passenger_length"):
            raise ctx.unit_error()
        b = PlanBuilder(ctx, source=src)
        if src == "epa" and epa_key is not None:
            b.region = "US"
            f = _epa_t10(ctx, epa_key(ctx))
            return _per_passenger_plan(ctx, b, f, f.name, family, name)
        year = desnz_year(ctx)
        warn_proxy_region(ctx, f"DESNZ UK {name} factors")
        b.region = "GB"
        l1, l2, l3 = desnz_row(ctx)
        f = desnz(ctx, year, level1=l1, level2=l2, level3=l3, uom="passenger.km")
        return _per_passenger_plan(ctx, b, f, f"{l3}, DESNZ {year}", family, name)

    return resolve


_BUS = {
    "average": "Average local bus",
    "local": "Local bus (not London)",
    "london": "Local London bus",
}
BUS = ActivitySpec(
    name="bus",
    category="transportation",
    description=(
        "Local bus journey (passenger distance; km or mi count as one passenger's distance)."
    ),
    units=PASSENGER_UNITS,
    options=(
        OptionSpec("type", "str", "Bus type (DESNZ).", default="average", choices=tuple(_BUS)),
    ),
    sources=("desnz", "epa"),
    default_source={"any": "desnz"},
    methodology="bus",
    resolver=_pp_resolver(
        "bus",
        lambda c: ("Business travel- land", "Bus", _BUS[c.opt("type")]),
        lambda _c: "bus",
        "road",
    ),
    source_aliases=_EPA_SOURCES,
)

COACH = ActivitySpec(
    name="coach",
    category="transportation",
    description="Coach journey (passenger distance).",
    units=PASSENGER_UNITS,
    options=(),
    sources=("desnz",),
    default_source={"any": "desnz"},
    methodology="coach",
    resolver=_pp_resolver(
        "coach", lambda _c: ("Business travel- land", "Bus", "Coach"), None, "road"
    ),
    source_aliases=_EPA_SOURCES,
)

_RAIL = {
    "national": "National rail",
    "international": "International rail",
    "light_rail": "Light rail and tram",
    "underground": "London Underground",
}
_RAIL_EPA = {
    "national": "intercity-rail-national-average",
    "international": "intercity-rail-national-average",
    "light_rail": "transit-rail-i-e-subway-tram",
    "underground": "transit-rail-i-e-subway-tram",
    "commuter": "commuter-rail",
}


def _rail_desnz(ctx: Ctx) -> tuple[str, str, str]:
    typ = ctx.opt("type")
    if typ == "commuter":
        ctx.warn("DESNZ has no commuter-rail row; used National rail")
        typ = "national"
    return ("Business travel- land", "Rail", _RAIL[typ])


def _rail_epa(ctx: Ctx) -> str:
    typ = ctx.opt("type")
    if typ == "international":
        ctx.warn("EPA has no international-rail row; used the intercity national average")
    return _RAIL_EPA[typ]


RAIL = ActivitySpec(
    name="rail",
    category="transportation",
    description="Rail journey (passenger distance).",
    units=PASSENGER_UNITS,
    options=(
        OptionSpec(
            "type",
            "str",
            "national, international (Eurostar), light_rail (and tram), underground; "
            "commuter (EPA).",
            default="national",
            choices=(*_RAIL, "commuter"),
            aliases={
                "tram": "light_rail",
                "metro": "underground",
                "subway": "underground",
                "eurostar": "international",
            },
        ),
    ),
    sources=("desnz", "epa"),
    default_source={"any": "desnz"},
    methodology="rail",
    resolver=_pp_resolver("rail", _rail_desnz, _rail_epa, "rail"),
    source_aliases=_EPA_SOURCES,
)

_FERRY = {
    "average": "Average (all passenger)",
    "foot_passenger": "Foot passenger",
    "car_passenger": "Car passenger",
}
FERRY = ActivitySpec(
    name="ferry",
    category="transportation",
    description="Ferry crossing (passenger distance).",
    units=PASSENGER_UNITS,
    options=(
        OptionSpec("type", "str", "Passenger type.", default="average", choices=tuple(_FERRY)),
    ),
    sources=("desnz",),
    default_source={"any": "desnz"},
    methodology="ferry",
    resolver=_pp_resolver(
        "ferry", lambda c: ("Business travel- sea", "Ferry", _FERRY[c.opt("type")]), None, "sea"
    ),
    source_aliases=_EPA_SOURCES,
)


# ---------------------------------------------------------------------------------------------
# flight
# ---------------------------------------------------------------------------------------------
_HAUL_LEVEL3 = {
    "domestic": "Domestic, to/from UK",
    "short": "Short-haul, to/from UK",
    "long": "Long-haul, to/from UK",
    "international": "International, to/from non-UK",
}
_CABIN_LEVEL4 = {
    "average": "Average passenger",
    "economy": "Economy class",
    "premium_economy": "Premium economy class",
    "business": "Business class",
    "first": "First class",
}
#: cabins DESNZ publishes per band, and the fallback for the others
_CABINS = {
    "domestic": {
        "average": "average",
        "economy": "average",
        "premium_economy": "average",
        "business": "average",
        "first": "average",
    },
    "short": {
        "average": "average",
        "economy": "economy",
        "premium_economy": "economy",
        "business": "business",
        "first": "business",
    },
    "long": {c: c for c in _CABIN_LEVEL4},
    "international": {c: c for c in _CABIN_LEVEL4},
}
_EPA_AIR = {
    "short": "air-travel-short-haul-300-miles",
    "medium": "air-travel-medium-haul-300-miles-2300-miles",
    "long": "air-travel-long-haul-2300-miles",
}


def _airport(ctx: Ctx, field: str) -> Any:
    code = ctx.opt(field)
    if not isinstance(code, str) or len(code.strip()) != 3 or not code.strip().isalpha():
        raise CalcError(
            INVALID_OPTION,
            f"options.{field}: {code!r} is not a 3-letter IATA airport code",
            loc=["options", field],
        )
    try:
        return lib_method(ctx.reg, "airport")(code.strip().upper())
    except (KeyError, LookupError):
        raise CalcError(
            INVALID_OPTION,
            f"options.{field}: unknown IATA airport code '{code}'",
            loc=["options", field],
        ) from None


def _band(dep: Any, arr: Any, gcd_km: float) -> str:
    uk = (dep.country == "GB", arr.country == "GB")
    if all(uk):
        return "domestic"
    if any(uk):
        return "short" if gcd_km <= SHORT_HAUL_MAX_KM else "long"
    return "international"


def _flight(ctx: Ctx) -> Plan:
    src = _transport_source(ctx, ("desnz", "epa"))
    has_from, has_to = ctx.opt("from") is not None, ctx.opt("to") is not None
    if has_from != has_to:
        missing = "to" if has_from else "from"
        raise CalcError(
            INVALID_OPTION,
            f"options.{missing} is required with options.{'from' if has_from else 'to'}",
            loc=["options", missing],
        )
    haul = ctx.opt("haul")
    cabin = ctx.opt("cabin")
    rf = bool(ctx.opt("radiative_forcing"))
    trip_factor = 2.0 if ctx.opt("round_trip") else 1.0
    uplift = float(ctx.opt("distance_uplift"))
    kind = unit_kind(ctx)
    b = PlanBuilder(ctx, source=src)

    route_km: float | None = None
    if has_from:
        if kind != "count":
            raise unit_error(ctx.unit, ("passenger", "trip"))
        dep, arr = _airport(ctx, "from"), _airport(ctx, "to")
        gcd = haversine_km(dep.lat, dep.lon, arr.lat, arr.lon)
        route_km = gcd * (1.0 + uplift) * trip_factor
        b.note(
            f"Great-circle distance {esc(dep.iata)} ({esc(dep.municipality or dep.name)}, "
            f"{dep.country}) → {esc(arr.iata)} ({esc(arr.municipality or arr.name)}, "
            f"{arr.country}): {fmt_num(round(gcd, 3))} km "
            f"(haversine, R = {EARTH_RADIUS_KM} km)",
        )
        if uplift:
            b.note(
                f"+ {fmt_num(uplift * 100)} % distance uplift (options.distance_uplift): "
                f"{fmt_num(round(gcd * (1 + uplift), 3))} km"
            )
        if trip_factor == 2.0:
            b.note(f"× 2 (round trip): {fmt_num(round(route_km, 3))} km")
        auto = _band(dep, arr, gcd)
        if src == "desnz":
            if haul is None:
                haul = auto
                b.note(
                    f"Band: {haul} ({_HAUL_LEVEL3[haul]}; short/long threshold "
                    f"{fmt_num(SHORT_HAUL_MAX_KM)} km great circle)"
                )
            elif haul != auto:
                ctx.warn(f"options.haul '{haul}' overrides the band the route implies ('{auto}')")
        else:
            miles = gcd / 1.609344
            epa_band = (
                "short"
                if miles < EPA_SHORT_MAX_MI
                else ("medium" if miles < EPA_MEDIUM_MAX_MI else "long")
            )
            if haul is not None:
                ctx.warn(
                    "options.haul is not used with source epa and airports: the EPA band "
                    "follows the distance"
                )
            b.note(f"EPA band by great-circle distance {fmt_num(round(miles, 1))} mi: {epa_band}")
            return _flight_epa(ctx, b, None, cabin, rf, route_km, trip_factor, band=epa_band)
    else:
        if kind not in ("length", "passenger_length"):
            raise unit_error(ctx.unit, ("km", "mile", "passenger_km", "passenger_mile"))
        if haul is None:
            raise CalcError(
                INVALID_OPTION,
                "options.haul is required when the amount is a distance (domestic, short, long, "
                "international), or give options.from and options.to",
                loc=["options", "haul"],
            )
        if uplift != DEFAULT_DISTANCE_UPLIFT:
            ctx.warn("options.distance_uplift applies to airport-pair distances only; not used")
        if trip_factor == 2.0:
            b.note("× 2 (round trip)")

    if src == "epa":
        return _flight_epa(ctx, b, haul, cabin, rf, route_km, trip_factor)

    year = desnz_year(ctx)
    b.region = "GB"
    if haul is None:  # pragma: no cover - set above on every path
        raise CalcError(INVALID_OPTION, "options.haul is required", loc=["options", "haul"])
    used_cabin = _CABINS[haul][cabin]
    if used_cabin != cabin:
        ctx.warn(
            f"DESNZ publishes no '{cabin}' factor for {_HAUL_LEVEL3[haul]} flights; used "
            f"'{_CABIN_LEVEL4[used_cabin]}'"
        )
    f = desnz(
        ctx,
        year,
        level1="Business travel- air",
        level2="Flights",
        level3=_HAUL_LEVEL3[haul],
        level4=_CABIN_LEVEL4[used_cabin],
        column_text="With RF" if rf else "Without RF",
        uom="passenger.km",
    )
    label = (
        f"{_HAUL_LEVEL3[haul]}, {_CABIN_LEVEL4[used_cabin]}, {'with' if rf else 'without'} RF, "
        f"DESNZ {year}"
    )
    if rf:
        b.note("Radiative forcing: DESNZ 'With RF' factor (non-CO2 effects at altitude included)")
    return _flight_finish(ctx, b, f, route_km, trip_factor, label)


def _flight_epa(
    ctx: Ctx,
    b: PlanBuilder,
    haul: str | None,
    cabin: str,
    rf: bool,
    route_km: float | None,
    trip_factor: float,
    band: str | None = None,
) -> Plan:
    b.region = "US"
    if band is None:
        band = {"domestic": "short", "short": "medium", "long": "long"}.get(haul or "")
    if band is None:
        raise CalcError(
            INVALID_OPTION,
            "EPA air factors are banded by distance (short < 300 mi, medium < 2300 mi, long): give "
            "options.from/to, or haul domestic (-> short), short (-> medium) or long",
            loc=["options", "haul"],
        )
    if route_km is None and haul != band:
        b.note(f"haul '{haul}' -> EPA {band}-haul band")
    if rf:
        ctx.warn("EPA air factors exclude radiative forcing (non-CO2 effects); none was added")
    if cabin not in ("average", "economy"):
        ctx.warn(f"EPA air factors have no cabin classes; cabin '{cabin}' was not applied")
    f = _epa_t10(ctx, _EPA_AIR[band])
    return _flight_finish(ctx, b, f, route_km, trip_factor, f.name)


def _flight_finish(
    ctx: Ctx,
    b: PlanBuilder,
    f: Factor,
    route_km: float | None,
    trip_factor: float,
    label: str,
) -> Plan:
    pu = f.per_unit  # passenger_km (DESNZ) or passenger_mile (EPA)
    if route_km is not None:
        per_trip = route_km if pu == "passenger_km" else route_km / 1.609344
        pu_label = pu.replace("_", "-")
        b.normalise(pu, per_trip)
        b.note(
            f"{{amount}} {esc(ctx.unit)} × {fmt_num(per_trip)} {pu_label.split('-')[1]} = "
            f"{{value}} {pu_label}",
            per_trip,
            pu,
        )
        b.add(f, per_trip, label=label, family="air")
        return b.build("flight")
    conv = _passenger_conv(ctx, pu) * trip_factor
    b.normalise(pu, conv)
    if conv != 1.0:
        b.note(f"{{amount}} {esc(ctx.unit)} = {{value}} {pu.replace('_', '-')}", conv, pu)
    b.add(f, conv, label=label, family="air")
    return b.build("flight")


FLIGHT = ActivitySpec(
    name="flight",
    category="transportation",
    description=(
        "Air travel per passenger: a distance with options.haul, or options.from/to IATA codes "
        "(amount = passengers; great-circle distance — DESNZ factors include their 8 % routing "
        "uplift — band picked as DESNZ defines)."
    ),
    units=FLIGHT_UNITS,
    options=(
        OptionSpec(
            "haul",
            "str",
            "domestic (within the UK), short (to/from the UK, ≤ 3,700 km), long (to/from the UK, "
            "> 3,700 km), international (between non-UK airports). Inferred from from/to.",
            choices=("domestic", "short", "long", "international"),
            aliases={"short_haul": "short", "long_haul": "long", "medium": "short"},
        ),
        OptionSpec("from", "str", "Departure airport IATA code (e.g. LHR)."),
        OptionSpec("to", "str", "Arrival airport IATA code (e.g. JFK)."),
        OptionSpec(
            "cabin",
            "str",
            "Cabin class; unavailable combinations fall back as DESNZ publishes (warning).",
            default="average",
            choices=tuple(_CABIN_LEVEL4),
            aliases={"premium": "premium_economy", "coach": "economy"},
        ),
        OptionSpec(
            "radiative_forcing",
            "bool",
            "Include non-CO2 effects at altitude (DESNZ 'With RF' factors).",
            default=True,
        ),
        OptionSpec("round_trip", "bool", "Count the journey twice.", default=False),
        OptionSpec(
            "distance_uplift",
            "float",
            "Extra uplift on great-circle airport distances (default 0: DESNZ factors already "
            "include their 8 % uplift).",
            default=DEFAULT_DISTANCE_UPLIFT,
            minimum=0.0,
            maximum=1.0,
        ),
    ),
    sources=("desnz", "epa"),
    default_source={"any": "desnz"},
    methodology="flight",
    resolver=_flight,
    source_aliases=_EPA_SOURCES,
)

SPECS: tuple[ActivitySpec, ...] = (CAR, MOTORBIKE, TAXI, BUS, COACH, RAIL, FERRY, FLIGHT)
