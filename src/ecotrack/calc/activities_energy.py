"""Energy activities: grid electricity and fuels (heating and transport fuels).

Electricity is location-based by region (GB: DESNZ; US / US-<eGRID subregion>: EPA eGRID;
elsewhere: Ember lifecycle intensity), optionally market-based (supplier factor, or renewable
share scaling) and with transmission & distribution losses. Fuels use DESNZ (GB and default) or
the EPA GHG Emission Factors Hub (US); the row is chosen by the unit's dimension (energy, volume,
mass) so a unit DESNZ publishes is used without conversion.
"""

from __future__ import annotations

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
    factor_not_found,
    lookup,
    synthetic_factor,
    try_desnz,
    unit_kind,
    unit_label,
    warn_proxy_region,
)
from ecotrack.calc.errors import INVALID_OPTION, CalcError
from ecotrack.calc.types import Plan
from ecotrack.calc.units import unit_error
from ecotrack.factors.types import Factor

# =============================================================================================
# Electricity
# =============================================================================================
ELECTRICITY_UNITS = ("kWh", "MWh", "GWh", "Wh", "MJ", "GJ")
_GRID_ALIASES = {
    "epa": "egrid",
    "egrid2023": "egrid",
    "uk": "desnz",
    "defra": "desnz",
    "beis": "desnz",
}


def _egrid_subregion(region: str | None) -> str:
    if region is None or region == "US":
        return "US"
    return region.split("-", 1)[1]


def _electricity_source(ctx: Ctx) -> str:
    region = ctx.region
    if ctx.source is not None:
        src = ctx.source
        if src == "desnz" and region not in (None, "GB"):
            raise ctx.region_error(
                f"DESNZ publishes a UK grid factor only; region {region} is not covered "
                "(use source ember or owid, or omit source)"
            )
        if src == "egrid" and not (region is None or region == "US" or region.startswith("US-")):
            raise ctx.region_error(
                f"eGRID covers the United States only (US or US-<subregion>); got {region}"
            )
        if src in ("ember", "owid") and region is not None and region.startswith("US-"):
            raise ctx.region_error(
                f"{src} has national figures only; use region US or source egrid for {region}"
            )
        return src
    if region == "GB":
        return "desnz"
    if region is not None and (region == "US" or region.startswith("US-")):
        return "egrid"
    return "ember"


def _electricity(ctx: Ctx) -> Plan:
    conv = convert_or_fail(ctx, "kWh")
    src = _electricity_source(ctx)
    supplier = ctx.opt("supplier_factor_kg_per_kwh")
    share = ctx.opt("renewable_share")
    losses = bool(ctx.opt("include_transmission_losses"))
    if supplier is not None and share is not None:
        raise CalcError(
            INVALID_OPTION,
            "give either options.supplier_factor_kg_per_kwh or options.renewable_share, not both",
            loc=["options", "renewable_share"],
        )

    b = PlanBuilder(ctx, source=src)
    b.normalise("kWh", conv)
    if ctx.unit != "kWh" and conv != 1.0:
        b.note(f"{{amount}} {esc(ctx.unit)} = {{value}} kWh", conv, "kWh")
    b.metrics.append(("energy_kwh", conv))

    # ---- the location-based grid factor --------------------------------------------------
    td: Factor | None = None
    td_qty = conv
    if src == "desnz":
        year = desnz_year(ctx)
        b.region = "GB"
        grid = desnz(
            ctx,
            year,
            level1="UK electricity",
            level2="Electricity generated",
            level3="Electricity: UK",
            level4="kWh",
            uom="kWh",
        )
        label = f"UK electricity generated, DESNZ {year}"
        if losses:
            td = desnz(
                ctx,
                year,
                level1="Transmission and distribution",
                level2="T&D- UK electricity",
                level3="Electricity: UK",
                level4="kWh",
                uom="kWh",
            )
    elif src == "egrid":
        sub = _egrid_subregion(ctx.region)
        try:
            grid = lookup(ctx, "egrid", sub, loc=["region"])
        except CalcError:
            if ctx.source == "egrid":
                raise ctx.region_error(
                    f"{ctx.region} is not an eGRID subregion (use acronyms such as US-CAMX, "
                    "US-ERCT, or US)"
                ) from None
            ctx.warn(
                f"{ctx.region} is not an eGRID subregion (acronyms such as US-CAMX, US-ERCT): "
                "used the eGRID2023 US average"
            )
            sub = "US"
            grid = lookup(ctx, "egrid", sub, loc=["region"])
        b.region = "US" if sub == "US" else f"US-{sub}"
        label = f"eGRID2023 {sub} total output rate (EPA Hub 2025 Table 6)"
        if ctx.year is not None and ctx.year != grid.year:
            ctx.warn(
                f"eGRID: only eGRID{grid.year} (EPA GHG Emission Factors Hub 2025) is shipped; "
                f"used it for year {ctx.year}"
            )
        if losses:
            loss = _egrid_loss_fraction(ctx, sub)
            if loss is not None:
                # consumption C at the meter needs C/(1-l) generated: losses = C * l/(1-l)
                td = grid
                td_qty = conv * (loss / (1.0 - loss))
                b.note(
                    f"Grid gross loss (eGRID {sub}) {loss * 100:g} %: losses = consumption × "
                    f"l/(1−l) = {{value}} kWh",
                    td_qty,
                    "kWh",
                )
    else:  # ember / owid
        region = ctx.region or "WORLD"
        if ctx.region is None:
            ctx.warn("no region given: used the world average grid intensity")
        grid = lookup(ctx, "grid_intensity", region, ctx.year, source=src, loc=["region"])
        b.region = grid.region
        label = (
            f"{'Ember' if src == 'ember' else 'Our World in Data'} lifecycle grid intensity, "
            f"{grid.region} {grid.year}"
        )
        ctx.warn(
            f"{src} intensities are lifecycle (incl. upstream) per kWh generated; they are not "
            "comparable with DESNZ/eGRID direct-combustion Scope 2 factors"
        )
        if losses:
            ctx.warn(
                f"{src} intensities exclude transmission & distribution losses and no loss rate is "
                "shipped for this region: include_transmission_losses added nothing"
            )

    # ---- market-based adjustments ----------------------------------------------------------
    if supplier is not None:
        sf = synthetic_factor(
            id="user:supplier-factor",
            name="Supplier-specific emission factor (market-based)",
            value=float(supplier),
            per_unit="kWh",
            region=b.region,
            year=grid.year,
            reference="options.supplier_factor_kg_per_kwh",
        )
        b.add(sf, conv, label="market-based, supplier-specific", family="electricity")
        b.metrics.append(("location_based_co2e_kg", grid.value * conv))
        b.note(
            f"Location-based for comparison (dual reporting): {{norm}} kWh × {grid.value:g} "
            f"kg CO2e/kWh ({esc(grid.id)}) = {{value}} kg CO2e",
            grid.value * conv,
            "kg CO2e",
        )
        ctx.warn(
            "market-based: the supplier factor replaces the grid factor; it must meet the GHG "
            "Protocol Scope 2 Quality Criteria"
        )
    elif share is not None:
        b.add(
            grid,
            conv,
            label=f"{label}, × (1 − renewable share {share:g})",
            family="electricity",
            scale=1.0 - float(share),
        )
        b.metrics.append(("location_based_co2e_kg", grid.value * conv))
        ctx.warn(
            f"renewable_share {share:g}: the location-based factor was scaled by (1 − share); this "
            "approximates a market-based figure only if the share is backed by certificates "
            "(REGOs/GOs/RECs) meeting the Scope 2 Quality Criteria"
        )
    else:
        b.add(grid, conv, label=label, family="electricity")

    if td is not None:
        t = b.add(
            td,
            td_qty,
            label=(
                "T&D losses, UK electricity"
                if src == "desnz"
                else "T&D losses at the eGRID rate (Scope 3 cat. 3)"
            ),
            family="electricity",
        )
        del t
    plan = b.build(
        "electricity-location" if supplier is None and share is None else "electricity-market"
    )
    return plan


def _egrid_loss_fraction(ctx: Ctx, sub: str) -> float | None:
    """eGRID grid gross loss fraction for a subregion (None where eGRID gives none, e.g. PRMS)."""
    value = lookup(ctx, "egrid_grid_loss", sub, loc=["region"])
    if value is None:
        ctx.warn(
            f"eGRID gives no grid gross loss for {sub}: include_transmission_losses added nothing"
        )
        return None
    return float(value)


ELECTRICITY = ActivitySpec(
    name="electricity",
    category="electricity",
    description=(
        "Grid electricity consumed. Location-based by region (GB: DESNZ; US and US-<eGRID "
        "subregion>: EPA eGRID2023; other countries: Ember lifecycle intensity with fallback to "
        "the world average); market-based with a supplier factor or a renewable share."
    ),
    units=ELECTRICITY_UNITS,
    options=(
        OptionSpec(
            "supplier_factor_kg_per_kwh",
            "float",
            "Market-based: your supplier's emission factor (kg CO2e/kWh); replaces the grid "
            "factor.",
            minimum=0.0,
            maximum=5.0,
        ),
        OptionSpec(
            "renewable_share",
            "float",
            "Share (0-1) of consumption covered by renewable certificates; scales the "
            "location-based factor by (1 - share).",
            minimum=0.0,
            maximum=1.0,
        ),
        OptionSpec(
            "include_transmission_losses",
            "bool",
            "Add transmission & distribution losses (DESNZ T&D row for GB; eGRID grid gross loss "
            "for the US; nothing for Ember/OWID, with a warning).",
            default=False,
        ),
    ),
    sources=("desnz", "egrid", "ember", "owid"),
    default_source={"GB": "desnz", "US, US-<subregion>": "egrid", "other / none": "ember"},
    methodology="electricity",
    resolver=_electricity,
    source_aliases=_GRID_ALIASES,
)


# =============================================================================================
# Fuels
# =============================================================================================
# DESNZ rows: (level1, level2, level3) per fuel (and grade), with the UOM per unit kind.
_DESNZ_FUEL: dict[tuple[str, str], tuple[str, str, str]] = {
    ("natural_gas", ""): ("Fuels", "Gaseous fuels", "Natural gas"),
    ("lpg", ""): ("Fuels", "Gaseous fuels", "LPG"),
    ("heating_oil", "kerosene"): ("Fuels", "Liquid fuels", "Burning oil"),
    ("heating_oil", "gas_oil"): ("Fuels", "Liquid fuels", "Gas oil"),
    ("heating_oil", "fuel_oil"): ("Fuels", "Liquid fuels", "Fuel oil"),
    ("coal", "domestic"): ("Fuels", "Solid fuels", "Coal (domestic)"),
    ("coal", "industrial"): ("Fuels", "Solid fuels", "Coal (industrial)"),
    ("wood_pellets", ""): ("Bioenergy", "Biomass", "Wood pellets"),
    ("petrol", "average_biofuel_blend"): (
        "Fuels",
        "Liquid fuels",
        "Petrol (average biofuel blend)",
    ),
    ("petrol", "mineral"): ("Fuels", "Liquid fuels", "Petrol (100% mineral petrol)"),
    ("diesel", "average_biofuel_blend"): (
        "Fuels",
        "Liquid fuels",
        "Diesel (average biofuel blend)",
    ),
    ("diesel", "mineral"): ("Fuels", "Liquid fuels", "Diesel (100% mineral diesel)"),
}
# unit kind -> DESNZ UOM candidates (first that exists wins) and the per_unit to convert to
_DESNZ_UOM_BY_KIND: dict[str, tuple[tuple[str, str], ...]] = {
    "volume": (("litres", "L"), ("cubic metres", "m**3")),
    "mass": (("tonnes", "tonne"),),
}

# EPA Hub keys per fuel/grade: (table, key). Resolved by `_epa_fuel`.
_EPA_FUEL: dict[tuple[str, str], tuple[int, str]] = {
    ("natural_gas", ""): (1, "Natural Gas"),
    ("lpg", ""): (1, "Liquefied Petroleum Gases (LPG)"),
    ("heating_oil", "kerosene"): (1, "Kerosene"),
    ("heating_oil", "gas_oil"): (1, "Distillate Fuel Oil No. 2"),
    ("heating_oil", "fuel_oil"): (1, "Residual Fuel Oil No. 6"),
    ("coal", "domestic"): (1, "Mixed (Commercial Sector)"),
    ("coal", "industrial"): (1, "Mixed (Industrial Sector)"),
    ("petrol", "average_biofuel_blend"): (2, "Motor Gasoline"),
    ("petrol", "mineral"): (2, "Motor Gasoline"),
    ("diesel", "average_biofuel_blend"): (2, "Diesel Fuel"),
    ("diesel", "mineral"): (2, "Diesel Fuel"),
}
#: EPA Table 1 variants: per physical unit, or per mmBtu (HHV)
_EPA_T1_VARIANTS = ("scf", "gallon", "short ton", "mmbtu")

_FUEL_UNITS: dict[str, tuple[str, ...]] = {
    "natural_gas": ("kWh", "MWh", "therm", "MMBtu", "GJ", "m**3", "scf", "Mcf", "ccf", "tonne"),
    "lpg": ("L", "gallon", "kWh", "MWh", "tonne", "kg"),
    "heating_oil": ("L", "gallon", "UK_gallon", "kWh", "MWh", "tonne", "kg"),
    "coal": ("tonne", "kg", "short_ton", "kWh", "MWh"),
    "wood_pellets": ("tonne", "kg", "kWh", "MWh"),
    "petrol": ("L", "gallon", "UK_gallon", "kWh", "tonne", "kg"),
    "diesel": ("L", "gallon", "UK_gallon", "kWh", "tonne", "kg"),
}

_GRADE_DEFAULT = {
    ("heating_oil", "desnz"): "kerosene",
    ("heating_oil", "epa"): "gas_oil",
    ("coal", "desnz"): "domestic",
    ("coal", "epa"): "domestic",
    ("petrol", "desnz"): "average_biofuel_blend",
    ("petrol", "epa"): "average_biofuel_blend",
    ("diesel", "desnz"): "average_biofuel_blend",
    ("diesel", "epa"): "average_biofuel_blend",
}


def _fuel_source(ctx: Ctx, sources: tuple[str, ...]) -> str:
    if ctx.source is not None:
        return ctx.require_source(sources, ctx.source)
    if ctx.region is not None and (ctx.region == "US" or ctx.region.startswith("US-")):
        if "epa" in sources:
            return "epa"
    return "desnz"


def _fuel_resolver(fuel: str, sources: tuple[str, ...]) -> Any:
    def resolve(ctx: Ctx) -> Plan:
        src = _fuel_source(ctx, sources)
        grade = ctx.opt("grade") or _GRADE_DEFAULT.get((fuel, src), "")
        if (fuel, grade) not in _DESNZ_FUEL and (fuel, grade) not in _EPA_FUEL:
            grade = ""
        kind = unit_kind(ctx)
        if src == "epa":
            return _epa_fuel(ctx, fuel, grade)
        return _desnz_fuel(ctx, fuel, grade, kind)

    return resolve


def _desnz_fuel(ctx: Ctx, fuel: str, grade: str, kind: str | None) -> Plan:
    l1, l2, l3 = _DESNZ_FUEL[(fuel, grade)]
    year = desnz_year(ctx)
    warn_proxy_region(ctx, "DESNZ UK fuel factors")
    b = PlanBuilder(ctx, source="desnz")
    b.region = "GB"
    factor: Factor | None = None
    per_unit = ""
    used_uom = ""
    if kind == "energy":
        cv = ctx.opt("calorific_basis") or "gross"
        # wood pellets (bioenergy) rows are plain "kWh"; fuels have Gross/Net CV rows
        uoms = ("kWh",) if fuel == "wood_pellets" else (f"kWh ({cv.capitalize()} CV)",)
        candidates: tuple[tuple[str, str], ...] = tuple((u, "kWh") for u in uoms)
    else:
        candidates = _DESNZ_UOM_BY_KIND.get(kind or "", ())
    for uom, pu in candidates:
        factor = try_desnz(ctx, year, level1=l1, level2=l2, level3=l3, uom=uom)
        if factor is not None:
            per_unit, used_uom = pu, uom
            break
    if factor is None:
        raise unit_error(ctx.unit, _FUEL_UNITS[fuel])
    conv = convert_or_fail(ctx, per_unit)
    b.normalise(per_unit, conv)
    if conv != 1.0:
        b.note(
            f"{{amount}} {esc(ctx.unit)} = {{value}} {esc(unit_label(per_unit))}", conv, per_unit
        )
    if used_uom.startswith("kWh ("):
        b.note(f"Energy basis: DESNZ '{used_uom}'")
    b.add(factor, conv, label=f"{l3}, DESNZ {year}", family="fuel")
    if fuel == "wood_pellets":
        bio = try_desnz(
            ctx,
            year,
            level1="Outside of scopes",
            level2=l2,
            level3=l3,
            uom=used_uom,
            ghg="kg CO2e of CO2 per unit",
        )
        if bio is not None:
            b.metrics.append(("biogenic_co2_kg", bio.value * conv))
            b.note(
                f"Biogenic CO2 (outside of scopes, reported separately, not in the total): "
                f"{{norm}} {esc(unit_label(per_unit))} × {bio.value:g} ({esc(bio.id)}) = "
                "{value} kg CO2",
                bio.value * conv,
                "kg CO2",
            )
    return b.build(f"fuel-{fuel}")


def _epa_fuel(ctx: Ctx, fuel: str, grade: str) -> Plan:
    table, key = _EPA_FUEL[(fuel, grade)]
    b = PlanBuilder(ctx, source="epa")
    b.region = "US"
    if ctx.region is not None and not (ctx.region == "US" or ctx.region.startswith("US-")):
        ctx.warn(f"EPA (US) fuel factors used for region {ctx.region}")
    candidates: list[Factor] = []
    for f in _epa_candidates(ctx, table, key):
        candidates.append(f)
    factor: Factor | None = None
    conv: float | None = None
    for f in candidates:
        conv = ctx.unit_to(f.per_unit)
        if conv is not None:
            factor = f
            break
    if factor is None or conv is None:
        raise unit_error(
            ctx.unit, tuple(dict.fromkeys(f.per_unit for f in candidates)) or _FUEL_UNITS[fuel]
        )
    if ctx.year is not None and ctx.year != factor.year:
        ctx.warn(
            f"EPA: only the GHG Emission Factors Hub {factor.year} edition is shipped; used it "
            f"for year {ctx.year}"
        )
    b.normalise(factor.per_unit, conv)
    if conv != 1.0:
        b.note(
            f"{{amount}} {esc(ctx.unit)} = {{value}} {esc(unit_label(factor.per_unit))}",
            conv,
            factor.per_unit,
        )
    if table == 2:
        ctx.warn(
            "EPA mobile combustion (Table 2) gives CO2 only; CH4 and N2O depend on vehicle-miles "
            "(Tables 3-5) and are not included"
        )
    b.add(factor, conv, label=f"{key}, EPA Hub {factor.year} Table {table}", family="fuel")
    return b.build(f"fuel-{fuel}")


def _epa_candidates(ctx: Ctx, table: int, key: str) -> list[Factor]:
    """The EPA factors for one fuel in every unit the Hub gives (Table 1: physical unit and
    mmBtu; Table 2: one physical unit)."""
    if table != 1:
        return [lookup(ctx, "epa", table, key)]
    out: list[Factor] = []
    for variant in _EPA_T1_VARIANTS:
        try:
            out.append(lookup(ctx, "epa", table, key, variant))
        except CalcError:
            continue
    if not out:
        raise factor_not_found(f"No EPA Hub Table {table} factor for {key!r}")
    return out


def _fuel_spec(fuel: str, description: str, *, grade: OptionSpec | None = None) -> ActivitySpec:
    sources: tuple[str, ...] = ("desnz",) if fuel == "wood_pellets" else ("desnz", "epa")
    options: list[OptionSpec] = []
    if grade is not None:
        options.append(grade)
    options.append(
        OptionSpec(
            "calorific_basis",
            "str",
            "For energy units: gross (higher heating value, the UK/US billing basis) or net CV "
            "(DESNZ only).",
            default="gross",
            choices=("gross", "net"),
            aliases={"hhv": "gross", "lhv": "net"},
        )
    )
    return ActivitySpec(
        name=fuel,
        category="transportation" if fuel in ("petrol", "diesel") else "heating",
        description=description,
        units=_FUEL_UNITS[fuel],
        options=tuple(options),
        sources=sources,
        default_source={"US, US-<subregion>": "epa", "other / none": "desnz"}
        if "epa" in sources
        else {"any": "desnz"},
        methodology=f"fuel-{fuel}",
        resolver=_fuel_resolver(fuel, sources),
        source_aliases={"epa-hub": "epa", "defra": "desnz"},
    )


_BLEND = OptionSpec(
    "grade",
    "str",
    "average_biofuel_blend (forecourt fuel, default) or mineral (100 % fossil).",
    choices=("average_biofuel_blend", "mineral"),
    aliases={
        "blend": "average_biofuel_blend",
        "forecourt": "average_biofuel_blend",
        "fossil": "mineral",
    },
)

FUELS = (
    _fuel_spec(
        "natural_gas",
        "Natural gas burned (Scope 1 combustion). Energy on gross CV by default; volume in m³ or "
        "scf; therm/MMBtu accepted.",
    ),
    _fuel_spec(
        "heating_oil",
        "Heating oil burned. Default grade: kerosene (burning oil) with DESNZ, distillate No. 2 "
        "(gas oil) with EPA.",
        grade=OptionSpec(
            "grade",
            "str",
            "kerosene (burning oil), gas_oil (red diesel / distillate No. 2) or fuel_oil.",
            choices=("kerosene", "gas_oil", "fuel_oil"),
            aliases={
                "burning_oil": "kerosene",
                "distillate": "gas_oil",
                "no2": "gas_oil",
                "red_diesel": "gas_oil",
            },
        ),
    ),
    _fuel_spec("lpg", "Liquefied petroleum gas burned."),
    _fuel_spec(
        "coal",
        "Coal burned. grade domestic (default) or industrial.",
        grade=OptionSpec(
            "grade",
            "str",
            "domestic (default) or industrial coal.",
            choices=("domestic", "industrial"),
        ),
    ),
    _fuel_spec(
        "wood_pellets",
        "Wood pellets burned (DESNZ bioenergy: CH4 and N2O only; biogenic CO2 reported "
        "separately as a metric).",
    ),
    _fuel_spec("petrol", "Petrol (gasoline) burned, e.g. in a vehicle.", grade=_BLEND),
    _fuel_spec("diesel", "Diesel burned, e.g. in a vehicle.", grade=_BLEND),
)

SPECS: tuple[ActivitySpec, ...] = (ELECTRICITY, *FUELS)
