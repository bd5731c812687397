"""Other activities: waste, water, hotel stays, spend (USEEIO), diet and cloud compute."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from typing import Any

from ecotrack.calc._base import (
    LOCAL_SOURCES,
    ActivitySpec,
    Ctx,
    OptionSpec,
    PlanBuilder,
    convert_or_fail,
    desnz,
    desnz_year,
    esc,
    factor_not_found,
    lookup,
    synthetic_factor,
    try_desnz,
    unit_kind,
    warn_proxy_region,
)
from ecotrack.calc.errors import INVALID_OPTION, CalcError
from ecotrack.calc.types import Plan, fmt_num
from ecotrack.calc.units import currency_code, unit_error
from ecotrack.factors.types import Factor, Source, Uncertainty

# =============================================================================================
# waste
# =============================================================================================
#: EcoTrack waste type -> DESNZ "Waste disposal" (Level 2, Level 3)
WASTE_DESNZ: dict[str, tuple[str, str]] = {
    "household_residual": ("Refuse", "Household residual waste"),
    "commercial_industrial": ("Refuse", "Commercial and industrial waste"),
    "food": ("Refuse", "Organic: food and drink waste"),
    "garden": ("Refuse", "Organic: garden waste"),
    "food_and_garden": ("Refuse", "Organic: mixed food and garden waste"),
    "paper_and_board": ("Paper", "Paper and board: mixed"),
    "paper": ("Paper", "Paper and board: paper"),
    "cardboard": ("Paper", "Paper and board: board"),
    "plastics": ("Plastic", "Plastics: average plastics"),
    "plastic_film": ("Plastic", "Plastics: average plastic film"),
    "plastic_rigid": ("Plastic", "Plastics: average plastic rigid"),
    "hdpe": ("Plastic", "Plastics: HDPE (incl. forming)"),
    "ldpe": ("Plastic", "Plastics: LDPE and LLDPE (incl. forming)"),
    "pet": ("Plastic", "Plastics: PET (incl. forming)"),
    "pp": ("Plastic", "Plastics: PP (incl. forming)"),
    "ps": ("Plastic", "Plastics: PS (incl. forming)"),
    "pvc": ("Plastic", "Plastics: PVC (incl. forming)"),
    "glass": ("Other", "Glass"),
    "books": ("Other", "Books"),
    "clothing": ("Other", "Clothing"),
    "aluminium_cans": ("Metal", "Metal: aluminium cans and foil (excl. forming)"),
    "mixed_cans": ("Metal", "Metal: mixed cans"),
    "scrap_metal": ("Metal", "Metal: scrap metal"),
    "steel_cans": ("Metal", "Metal: steel cans"),
    "weee_fridges": ("Electrical items", "WEEE - fridges and freezers"),
    "weee_large": ("Electrical items", "WEEE - large"),
    "weee_mixed": ("Electrical items", "WEEE - mixed"),
    "weee_small": ("Electrical items", "WEEE - small"),
    "batteries": ("Electrical items", "Batteries"),
    "aggregates": ("Construction", "Aggregates"),
    "average_construction": ("Construction", "Average construction"),
    "asbestos": ("Construction", "Asbestos"),
    "asphalt": ("Construction", "Asphalt"),
    "bricks": ("Construction", "Bricks"),
    "concrete": ("Construction", "Concrete"),
    "insulation": ("Construction", "Insulation"),
    "construction_metals": ("Construction", "Metals"),
    "soils": ("Construction", "Soils"),
    "mineral_oil": ("Construction", "Mineral oil"),
    "plasterboard": ("Construction", "Plasterboard"),
    "tyres": ("Construction", "Tyres"),
    "wood": ("Construction", "Wood"),
}
#: EcoTrack waste type -> EPA Hub Table 9 material
WASTE_EPA: dict[str, str] = {
    "household_residual": "Mixed MSW",
    "commercial_industrial": "Mixed MSW",
    "food": "Food Waste",
    "garden": "Yard Trimmings",
    "food_and_garden": "Mixed Organics",
    "paper_and_board": "Mixed Paper (general)",
    "paper": "Office Paper",
    "cardboard": "Corrugated Containers",
    "plastics": "Mixed Plastics",
    "hdpe": "HDPE",
    "ldpe": "LDPE",
    "pet": "PET",
    "pp": "PP",
    "ps": "PS",
    "pvc": "PVC",
    "glass": "Glass",
    "books": "Textbooks",
    "aluminium_cans": "Aluminum Cans",
    "mixed_cans": "Mixed Metals",
    "scrap_metal": "Mixed Metals",
    "steel_cans": "Steel Cans",
    "weee_mixed": "Mixed Electronics",
    "concrete": "Concrete",
    "bricks": "Clay Bricks",
    "asphalt": "Asphalt Concrete",
    "insulation": "Fiberglass Insulation",
    "plasterboard": "Drywall",
    "tyres": "Tires",
    "wood": "Dimensional Lumber",
    "mixed_recyclables": "Mixed Recyclables",
}
WASTE_TREATMENTS = (
    "landfill",
    "combustion",
    "recycling",
    "closed_loop",
    "open_loop",
    "composting",
    "anaerobic_digestion",
    "reuse",
)
_DESNZ_TREATMENT = {
    "landfill": ("Landfill",),
    # 2025 renamed "Combustion" to "Incineration with Energy Recovery"
    "combustion": ("Combustion", "Incineration with Energy Recovery"),
    "recycling": ("Closed-loop", "Open-loop"),
    "closed_loop": ("Closed-loop",),
    "open_loop": ("Open-loop",),
    "composting": ("Composting",),
    "anaerobic_digestion": ("Anaerobic digestion",),
    "reuse": ("Re-use",),
}
_EPA_TREATMENT = {
    "landfill": "landfilled",
    "combustion": "combusted",
    "recycling": "recycled",
    "closed_loop": "recycled",
    "open_loop": "recycled",
    "composting": "composted",
    "anaerobic_digestion": "anaerobically-digested-dry",
}


def _is_us(region: str | None) -> bool:
    return region is not None and (region == "US" or region.startswith("US-"))


def _waste(ctx: Ctx) -> Plan:
    src = ctx.source or ("epa" if _is_us(ctx.region) else "desnz")
    src = ctx.require_source(("desnz", "epa"), src)
    if unit_kind(ctx) != "mass":
        raise ctx.unit_error()
    typ, treatment = ctx.opt("type"), ctx.opt("treatment")
    b = PlanBuilder(ctx, source=src)
    if src == "epa":
        material = WASTE_EPA.get(typ)
        if material is None:
            raise CalcError(
                INVALID_OPTION,
                f"options.type: '{typ}' has no EPA Table 9 material; with source epa use one of: "
                + ", ".join(sorted(WASTE_EPA)),
                loc=["options", "type"],
            )
        method = _EPA_TREATMENT.get(treatment)
        if method is None:
            raise CalcError(
                INVALID_OPTION,
                f"options.treatment: EPA Table 9 has no '{treatment}' column",
                loc=["options", "treatment"],
            )
        b.region = "US"
        f = lookup(ctx, "epa", 9, material, method, loc=["options", "treatment"])
        conv = convert_or_fail(ctx, f.per_unit)
        b.normalise(f.per_unit, conv)
        if conv != 1.0:
            b.note(f"{{amount}} {esc(ctx.unit)} = {{value}} short ton", conv, "short_ton")
        ctx.warn("EPA Table 9 waste factors use AR4 GWPs (the rest of the Hub uses AR5)")
        b.add(f, conv, label=f"{material}, {method}, EPA Hub 2025 Table 9", family="waste")
        return b.build("waste")
    if typ not in WASTE_DESNZ:
        raise CalcError(
            INVALID_OPTION,
            f"options.type: '{typ}' has no DESNZ waste row; use one of: {', '.join(WASTE_DESNZ)}",
            loc=["options", "type"],
        )
    l2, l3 = WASTE_DESNZ[typ]
    year = desnz_year(ctx)
    warn_proxy_region(ctx, "DESNZ UK waste factors")
    b.region = "GB"
    factor: Factor | None = None
    used = ""
    candidates = _DESNZ_TREATMENT[treatment]
    if treatment == "combustion" and year >= 2025:  # renamed in 2025: try the new label first
        candidates = tuple(reversed(candidates))
    for column_text in candidates:
        factor = try_desnz(
            ctx,
            year,
            level1="Waste disposal",
            level2=l2,
            level3=l3,
            column_text=column_text,
            uom="tonnes",
        )
        if factor is not None:
            used = column_text
            break
    if factor is None:
        available = [
            t
            for t, cols in _DESNZ_TREATMENT.items()
            if any(
                try_desnz(
                    ctx,
                    year,
                    level1="Waste disposal",
                    level2=l2,
                    level3=l3,
                    column_text=c,
                    uom="tonnes",
                )
                for c in cols
            )
        ]
        raise CalcError(
            INVALID_OPTION,
            f"options.treatment: DESNZ {year} has no '{treatment}' factor for {l3}; available: "
            + (", ".join(available) or "none"),
            loc=["options", "treatment"],
        )
    if treatment == "recycling":
        b.note(f"recycling -> DESNZ '{used}' recycling row")
    conv = convert_or_fail(ctx, "tonne")
    b.normalise("tonne", conv)
    if conv != 1.0:
        b.note(f"{{amount}} {esc(ctx.unit)} = {{value}} tonne", conv, "tonne")
    b.add(factor, conv, label=f"{l3}, {used}, DESNZ {year}", family="waste")
    return b.build("waste")


WASTE = ActivitySpec(
    name="waste",
    category="waste",
    description=(
        "Waste sent to a treatment (DESNZ waste disposal rows; EPA WARM-based Table 9 in the US)."
    ),
    units=("tonne", "kg", "short_ton", "lb"),
    options=(
        OptionSpec(
            "type",
            "str",
            "Waste material / stream.",
            default="household_residual",
            choices=tuple(dict.fromkeys([*WASTE_DESNZ, *WASTE_EPA])),
            aliases={
                "residual": "household_residual",
                "general": "household_residual",
                "mixed_msw": "household_residual",
                "organic": "food_and_garden",
                "metal": "scrap_metal",
                "plastic": "plastics",
                "tires": "tyres",
                "electronics": "weee_mixed",
            },
        ),
        OptionSpec(
            "treatment",
            "str",
            "End-of-life treatment (recycling = DESNZ closed-loop, else open-loop).",
            default="landfill",
            choices=WASTE_TREATMENTS,
            aliases={
                "incineration": "combustion",
                "energy_recovery": "combustion",
                "recycled": "recycling",
                "landfilled": "landfill",
                "composted": "composting",
                "ad": "anaerobic_digestion",
                "re_use": "reuse",
            },
        ),
    ),
    sources=("desnz", "epa"),
    default_source={"US, US-<subregion>": "epa", "other / none": "desnz"},
    methodology="waste",
    resolver=_waste,
    source_aliases={"epa-hub": "epa", "warm": "epa"},
)


# =============================================================================================
# water
# =============================================================================================
def _water(ctx: Ctx) -> Plan:
    ctx.require_source(("desnz",), ctx.source or "desnz")
    if unit_kind(ctx) != "volume":
        raise ctx.unit_error()
    year = desnz_year(ctx)
    warn_proxy_region(ctx, "DESNZ UK water factors")
    b = PlanBuilder(ctx, source="desnz")
    b.region = "GB"
    kind = ctx.opt("kind")
    kinds = ("supply", "treatment") if kind == "supply_and_treatment" else (kind,)
    # the exact DESNZ row (m³ or million litres) if the unit is one, else convert to m³
    uom, pu = ("million litres", "ML") if ctx.unit_to("ML") == 1.0 else ("cubic metres", "m**3")
    conv = convert_or_fail(ctx, pu)
    b.normalise(pu, conv)
    if conv != 1.0:
        b.note(f"{{amount}} {esc(ctx.unit)} = {{value}} m³", conv, "m**3")
    for k in kinds:
        l1 = f"Water {k}"
        f = desnz(ctx, year, level1=l1, level2=l1, level3=l1, uom=uom)
        b.add(f, conv, label=f"{l1}, DESNZ {year}", family="water")
    return b.build("water")


WATER = ActivitySpec(
    name="water",
    category="other",
    description="Mains water supplied and/or waste water treated (DESNZ).",
    units=("m**3", "L", "ML", "gallon"),
    options=(
        OptionSpec(
            "kind",
            "str",
            "supply (drinking water delivered), treatment (waste water) or supply_and_treatment.",
            default="supply",
            choices=("supply", "treatment", "supply_and_treatment"),
            aliases={"both": "supply_and_treatment", "wastewater": "treatment"},
        ),
    ),
    sources=("desnz",),
    default_source={"any": "desnz"},
    methodology="water",
    resolver=_water,
)


# =============================================================================================
# hotel stay
# =============================================================================================
#: ISO alpha-2 -> DESNZ "Hotel stay" Level 3 country label
HOTEL_COUNTRIES: dict[str, str] = {
    "GB": "UK",
    "AR": "Argentina",
    "AU": "Australia",
    "AT": "Austria",
    "BE": "Belgium",
    "BR": "Brazil",
    "CA": "Canada",
    "CL": "Chile",
    "CN": "China",
    "CO": "Colombia",
    "CR": "Costa Rica",
    "CZ": "Czech Republic",
    "EG": "Egypt",
    "FJ": "Fiji",
    "FI": "Finland",
    "FR": "France",
    "DE": "Germany",
    "GR": "Greece",
    "HK": "Hong Kong, China",
    "IN": "India",
    "ID": "Indonesia",
    "IE": "Ireland",
    "IL": "Israel",
    "IT": "Italy",
    "JP": "Japan",
    "JO": "Jordan",
    "KZ": "Kazakhstan",
    "KR": "Korea",
    "MO": "Macau, China",
    "MY": "Malaysia",
    "MV": "Maldives",
    "MX": "Mexico",
    "NL": "Netherlands",
    "NZ": "New Zealand",
    "OM": "Oman",
    "PA": "Panama",
    "PE": "Peru",
    "PH": "Philippines",
    "PL": "Poland",
    "PT": "Portugal",
    "QA": "Qatar",
    "RO": "Romania",
    "RU": "Russian Federation",
    "SA": "Saudi Arabia",
    "SG": "Singapore",
    "ZA": "South Africa",
    "ES": "Spain",
    "CH": "Switzerland",
    "TW": "Taiwan, China",
    "TH": "Thailand",
    "TR": "Turkey",
    "AE": "United Arab Emirates",
    "US": "United States",
    "VN": "Vietnam",
}


def _hotel(ctx: Ctx) -> Plan:
    ctx.require_source(("desnz",), ctx.source or "desnz")
    if ctx.unit_to("room_night") is None:
        raise ctx.unit_error()
    region = ctx.region
    if region is None:
        region = "GB"
        ctx.warn("no region given: used the UK hotel factor")
    if region.startswith("US-"):
        region = "US"
    label = HOTEL_COUNTRIES.get(region)
    if label is None:
        raise ctx.region_error(
            f"DESNZ publishes no hotel factor for {region}; covered: "
            + ", ".join(sorted(HOTEL_COUNTRIES))
        )
    if region == "GB" and ctx.opt("london"):
        label = "UK (London)"
    year = desnz_year(ctx)
    b = PlanBuilder(ctx, source="desnz")
    b.region = region
    f = desnz(
        ctx,
        year,
        level1="Hotel stay",
        level2="Hotel stay",
        level3=label,
        uom="Room per night",
        loc=["region"],
    )
    conv = convert_or_fail(ctx, "room_night")
    b.normalise("room_night", conv)
    b.add(f, conv, label=f"Hotel stay, {label}, DESNZ {year}", family="hotel")
    return b.build("hotel_stay")


HOTEL_STAY = ActivitySpec(
    name="hotel_stay",
    category="lifestyle",
    description=(
        "Hotel room-nights by country (region = ISO alpha-2 of the hotel's country; DESNZ)."
    ),
    units=("room_night",),
    options=(
        OptionSpec("london", "bool", "GB only: use the 'UK (London)' factor.", default=False),
    ),
    sources=("desnz",),
    default_source={"any": "desnz"},
    methodology="hotel_stay",
    resolver=_hotel,
)


# =============================================================================================
# spend (USEEIO)
# =============================================================================================
def _spend(ctx: Ctx) -> Plan:
    ctx.require_source(("useeio",), ctx.source or "useeio")
    code = currency_code(ctx.unit)
    if code is None:
        raise unit_error(
            ctx.unit, ("USD", "kUSD", "<any ISO 4217 code> with options.exchange_rate_to_usd")
        )
    sector = ctx.opt("sector")
    if not sector:
        raise CalcError(
            INVALID_OPTION,
            "options.sector (a 6-digit 2017 NAICS code, e.g. 541511) is required",
            loc=["options", "sector"],
        )
    if not (sector.isdigit() and len(sector) == 6):
        raise CalcError(
            INVALID_OPTION,
            f"options.sector: '{sector}' is not a 6-digit 2017 NAICS code",
            loc=["options", "sector"],
        )
    margins = bool(ctx.opt("margins"))
    f = lookup(ctx, "useeio", sector, margins=margins, loc=["options", "sector"])
    b = PlanBuilder(ctx, source="useeio")
    b.region = "US"
    rate = ctx.opt("exchange_rate_to_usd")
    to_code = convert_or_fail_currency(ctx, code)
    if code == "USD":
        conv = to_code
        if rate is not None and rate != 1.0:
            ctx.warn("options.exchange_rate_to_usd ignored: the amount is already in USD")
    else:
        if rate is None:
            raise unit_error(
                ctx.unit,
                ("USD", "kUSD", f"{code} with options.exchange_rate_to_usd (USD per {code})"),
            )
        conv = to_code * float(rate)
        b.note(
            f"{{amount}} {esc(ctx.unit)} × {fmt_num(float(rate))} USD/{code} = {{value}} USD",
            conv,
            "USD",
        )
    if conv != 1.0 and code == "USD":
        b.note(f"{{amount}} {esc(ctx.unit)} = {{value}} USD", conv, "USD")
    b.normalise("USD", conv)
    if ctx.year is not None and ctx.year != 2022:
        ctx.warn(
            "USEEIO v1.3 factors are per 2022 US dollar: the amount was not adjusted from "
            f"{ctx.year} "
            "dollars (deflate or inflate it first)"
        )
    if ctx.region is not None and not _is_us(ctx.region):
        ctx.warn(
            f"USEEIO factors describe US supply chains; used as a proxy for region {ctx.region}"
        )
    b.add(
        f,
        conv,
        label=f"{f.name}, USEEIO v1.3.0 {'with' if margins else 'without'} margins",
        family="spend",
    )
    return b.build("spend")


def convert_or_fail_currency(ctx: Ctx, code: str) -> float:
    m = ctx.unit_to(code)
    if m is None:  # pragma: no cover - currency_code() guarantees convertibility
        raise ctx.unit_error()
    return m


SPEND = ActivitySpec(
    name="spend",
    category="other",
    description=(
        "Money spent on goods or services, by 2017 NAICS-6 sector (USEEIO v1.3 supply-chain "
        "factors, kg CO2e per 2022 USD purchaser price)."
    ),
    units=("USD", "kUSD", "EUR", "GBP"),
    options=(
        OptionSpec(
            "sector", "str", "2017 NAICS-6 code, e.g. 541511 (custom programming services)."
        ),
        OptionSpec(
            "margins",
            "bool",
            "true: purchaser price, cradle to shelf (use for invoices); false: producer price, "
            "cradle to factory gate.",
            default=True,
        ),
        OptionSpec(
            "exchange_rate_to_usd",
            "float",
            "USD per unit of the amount's currency; required for non-USD amounts.",
            minimum=0.0,
            exclusive_minimum=True,
        ),
    ),
    sources=("useeio",),
    default_source={"any": "useeio"},
    methodology="spend",
    resolver=_spend,
    source_aliases={"epa": "useeio", "usee io": "useeio"},
)


# =============================================================================================
# diet (Scarborough et al. 2014)
# =============================================================================================
DIET_SOURCE = Source(
    id="scarborough2014:table3",
    dataset="scarborough2014",
    name=(
        "Dietary greenhouse gas emissions of meat-eaters, fish-eaters, vegetarians and vegans "
        "in the UK"
    ),
    publisher=(
        "Scarborough P, Appleby PN, Mizdrak A, Briggs ADM, Travis RC, Bradbury KE, Key TJ "
        "(Climatic Change)"
    ),
    edition="Climatic Change 125(2):179-192 (2014), Table 3 / abstract",
    year=2014,
    licence="CC-BY-4.0",
    attribution=(
        "Scarborough P. et al. (2014) Dietary greenhouse gas emissions of meat-eaters, "
        "fish-eaters, vegetarians and vegans in the UK. Climatic Change 125:179-192. "
        "doi:10.1007/s10584-014-1169-1"
    ),
    url="https://doi.org/10.1007/s10584-014-1169-1",
    notes=(
        "Age-and-sex-adjusted means per 2,000 kcal/day, transcribed by hand "
        "(see calc/data/README.md)."
    ),
)
LOCAL_SOURCES[DIET_SOURCE.id] = DIET_SOURCE


@cache
def diet_table() -> dict[str, Factor]:
    """The shipped Scarborough et al. (2014) values as Factors (keyed by EcoTrack diet key)."""
    text = (resources.files("ecotrack.calc") / "data" / "diet_scarborough2014.csv").read_text(
        "utf-8"
    )
    out: dict[str, Factor] = {}
    for row in csv.DictReader(text.splitlines()):
        v, lo, hi = float(row["kg_co2e_per_day"]), float(row["ci95_low"]), float(row["ci95_high"])
        out[row["diet"]] = Factor(
            id=f"{DIET_SOURCE.id}:{row['diet']}",
            source_id=DIET_SOURCE.id,
            name=f"Dietary GHG emissions > {row['label']} (per 2,000 kcal day)",
            value=v,
            unit="kg CO2e",
            per_unit="person_day",
            region="GB",
            year=2014,
            uncertainty=Uncertainty(
                minus=(v - lo) / v,
                plus=(hi - v) / v,
                basis=(
                    f"95 % CI of the group mean, {lo:g}-{hi:g} kg CO2e/day "
                    "(Scarborough et al. 2014)"
                ),
            ),
            reference=(
                "Scarborough et al. 2014, Climatic Change 125:179-192, Table 3 (as in the abstract)"
            ),
            tags=("diet",),
        )
    return out


def _diet(ctx: Ctx) -> Plan:
    ctx.require_source(("scarborough2014",), ctx.source or "scarborough2014")
    conv = ctx.unit_to("person_day")
    per_person_time = False
    if conv is None:
        conv = ctx.unit_to("day")
        per_person_time = True
    if conv is None:
        raise ctx.unit_error()
    diet = ctx.opt("diet")
    f = diet_table()[diet]
    b = PlanBuilder(ctx, source="scarborough2014")
    b.region = "GB"
    warn_proxy_region(ctx, "UK diet study (Scarborough et al. 2014)")
    if ctx.year is not None:
        ctx.warn("diet: one edition only (Scarborough et al. 2014); year not applied")
    b.normalise("person_day", conv)
    if per_person_time:
        b.note(
            f"{{amount}} {esc(ctx.unit)} for one person = {{value}} person-days", conv, "person_day"
        )
    elif conv != 1.0:
        b.note(f"{{amount}} {esc(ctx.unit)} = {{value}} person-days", conv, "person_day")
    b.add(f, conv, label=f"{diet}, Scarborough et al. 2014", family="diet")
    b.note("Values are per standardised 2,000 kcal day (UK, EPIC-Oxford cohort)")
    return b.build("diet")


DIET = ActivitySpec(
    name="diet",
    category="lifestyle",
    description="Food eaten, by diet type, in person-days (Scarborough et al. 2014, UK).",
    units=("person_day", "person_year", "day", "year"),
    options=(
        OptionSpec(
            "diet",
            "str",
            "Diet group of Scarborough et al. (2014).",
            default="medium_meat",
            choices=("high_meat", "medium_meat", "low_meat", "pescatarian", "vegetarian", "vegan"),
            aliases={
                "meat": "medium_meat",
                "average": "medium_meat",
                "high_meat_eater": "high_meat",
                "medium_meat_eater": "medium_meat",
                "low_meat_eater": "low_meat",
                "fish": "pescatarian",
                "fish_eater": "pescatarian",
                "pescetarian": "pescatarian",
            },
        ),
    ),
    sources=("scarborough2014",),
    default_source={"any": "scarborough2014"},
    methodology="diet",
    resolver=_diet,
)


# =============================================================================================
# cloud compute (Cloud Carbon Footprint method)
# =============================================================================================
_CCF_PROVIDER_KEY = {"aws": "aws", "gcp": "gcp", "azure": "azure"}
_CCF_WATTS = {
    "aws": ("MIN_WATTS_AVG", "MAX_WATTS_AVG"),
    "azure": ("MIN_WATTS_AVG", "MAX_WATTS_AVG"),
    "gcp": ("MIN_WATTS_MEDIAN", "MAX_WATTS_MEDIAN"),
}


def _ccf(ctx: Ctx, name: str, *args: Any) -> Any:
    try:
        return lookup(ctx, name, *args)
    except CalcError as exc:
        raise CalcError(
            INVALID_OPTION,
            exc.detail,
            loc=["options", "architecture" if name == "ccf_watts" else "provider"],
        ) from None


def _cloud(ctx: Ctx) -> Plan:
    ctx.require_source(("ccf",), ctx.source or "ccf")
    provider = ctx.opt("provider")
    is_cpu = ctx.unit_to("vCPU_hour") is not None
    if not is_cpu and ctx.unit_to("GB_hour") is None:
        raise ctx.unit_error()
    b = PlanBuilder(ctx, source="ccf")
    pue = ctx.opt("pue")
    if pue is None:
        pue = float(_ccf(ctx, "ccf_constant", provider, "PUE_AVG"))
        pue_txt = f"PUE {fmt_num(pue)} (CCF {provider} average)"
    else:
        pue_txt = f"PUE {fmt_num(pue)} (given)"
    if is_cpu:
        conv = convert_or_fail(ctx, "vCPU_hour")
        arch = ctx.opt("architecture")
        if arch:
            wmin, wmax = _ccf(ctx, "ccf_watts", provider, arch)
            wtxt = f"{arch}"
        else:
            kmin, kmax = _CCF_WATTS[provider]
            wmin = float(_ccf(ctx, "ccf_constant", provider, kmin))
            wmax = float(_ccf(ctx, "ccf_constant", provider, kmax))
            wtxt = f"{provider} {'median' if provider == 'gcp' else 'average'}"
        util = float(ctx.opt("cpu_utilisation"))
        watts = wmin + util * (wmax - wmin)
        kwh_per_unit = conv * watts / 1000.0 * pue
        b.normalise("vCPU_hour", conv)
        b.note(
            f"Energy: {{amount}} {esc(ctx.unit)} × ({fmt_num(wmin)} + {fmt_num(util)} × "
            f"({fmt_num(wmax)} − "
            f"{fmt_num(wmin)})) W per vCPU ({esc(wtxt)}, CCF) / 1000 × {pue_txt} = {{value}} kWh",
            kwh_per_unit,
            "kWh",
        )
    else:
        conv = convert_or_fail(ctx, "GB_hour")
        coef = float(_ccf(ctx, "ccf_constant", provider, "MEMORY_COEFFICIENT"))
        kwh_per_unit = conv * coef * pue
        b.normalise("GB_hour", conv)
        b.note(
            f"Energy: {{amount}} {esc(ctx.unit)} × {fmt_num(coef)} kWh per GB-hour (CCF memory "
            f"coefficient) × {pue_txt} = {{value}} kWh",
            kwh_per_unit,
            "kWh",
        )
    b.metrics.append(("energy_kwh", kwh_per_unit))
    cloud_region = ctx.opt("region")
    if cloud_region:
        try:
            grid = lookup(ctx, "ccf_grid", provider, cloud_region)
        except CalcError:
            raise CalcError(
                INVALID_OPTION,
                f"options.region: no CCF grid factor for {provider} region '{cloud_region}'",
                loc=["options", "region"],
            ) from None
        ctx.warn("CCF cloud-region grid factors date from 2019-2021 sources")
    else:
        region = ctx.region or "WORLD"
        if ctx.region is None:
            ctx.warn(
                "no cloud region (options.region) or region given: used the world average grid "
                "intensity"
            )
        grid = lookup(ctx, "grid_intensity", region, ctx.year, source="ember", loc=["region"])
    b.region = grid.region
    b.add(grid, kwh_per_unit, label=f"grid factor, {grid.name}", family="cloud")
    return b.build("cloud_compute")


CLOUD_COMPUTE = ActivitySpec(
    name="cloud_compute",
    category="other",
    description=(
        "Cloud compute usage (Cloud Carbon Footprint method): vCPU-hours or memory GB-hours × "
        "watts × PUE × the cloud region's grid factor. Operational emissions only (no embodied)."
    ),
    units=("vCPU_hour", "GB_hour"),
    options=(
        OptionSpec(
            "provider", "str", "Cloud provider.", default="aws", choices=("aws", "gcp", "azure")
        ),
        OptionSpec("region", "str", "Cloud region (e.g. us-east-1, europe-west2, UK South)."),
        OptionSpec(
            "cpu_utilisation",
            "float",
            "Average CPU utilisation 0-1 (CCF default 0.5).",
            default=0.5,
            minimum=0.0,
            maximum=1.0,
        ),
        OptionSpec(
            "architecture", "str", "CPU micro-architecture for min/max watts (e.g. Cascade Lake)."
        ),
        OptionSpec("pue", "float", "Override the provider PUE.", minimum=1.0, maximum=3.0),
    ),
    sources=("ccf",),
    default_source={"any": "ccf"},
    methodology="cloud_compute",
    resolver=_cloud,
)

SPECS: tuple[ActivitySpec, ...] = (WASTE, WATER, HOTEL_STAY, SPEND, DIET, CLOUD_COMPUTE)

__all__ = ["SPECS", "diet_table", "factor_not_found", "synthetic_factor"]
