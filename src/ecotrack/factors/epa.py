"""US EPA GHG Emission Factors Hub, 2025 edition (incl. eGRID2023 in Table 6).

Source: U.S. EPA Center for Corporate Climate Leadership, "GHG Emission Factors Hub" workbook,
Last Modified January 15, 2025 (public domain; see `sources.EPA_HUB_2025` / `sources.EGRID_2023`).

All CO2e arithmetic is exact (decimal) with one final rounding to float. CH4 and N2O masses
are weighted with the Hub's own Table 11 AR5 GWPs (CH4 28, N2O 265); `gases` keeps the split
(kg CO2e per unit). Ids (`<n>` = table number, slugs lower-case with hyphens):

- `epa-hub:2025:t1:<fuel>:mmbtu` and `...:t1:<fuel>:<short-ton|scf|gallon>` stationary combustion
  (Scope 1; biomass rows tagged `biogenic_co2`: report their CO2 outside the scopes);
- `epa-hub:2025:t2:<fuel>` mobile combustion, CO2 only, per gallon / scf;
- `epa-hub:2025:t3:<vehicle>:<model-years>`, `t4:<vehicle>:<fuel>[:<model-years>]` CH4+N2O per
  vehicle-mile; `t5:<vehicle>:<fuel>` CH4+N2O per gallon;
- `egrid:2023:<SUBREGION>` (region `US-<SUBREGION>`) and `egrid:2023:US` (US average, region
  `US`): total-output rates, kg CO2e/kWh = lb/MWh x 0.45359237 / 1000; non-baseload rates as
  `egrid:2023:<SUBREGION|US>:non-baseload` (avoided emissions only, not for inventories);
- `epa-hub:2025:t7:steam-and-heat` per MMBtu (Scope 2);
- `epa-hub:2025:t8:<vehicle>:<vehicle-mile|short-ton-mile>` upstream transport (Scope 3);
- `epa-hub:2025:t9:<material>:<recycled|landfilled|combusted|composted|anaerobically-digested-dry|
  anaerobically-digested-wet>` waste, kg CO2e per short ton (published metric tons x 1000, AR4);
- `epa-hub:2025:t10:<vehicle>` business travel / commuting per vehicle-mile or passenger-mile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ._data import dec, read_dicts, read_json, slug
from .sources import EGRID_2023, EPA_HUB_2025
from .types import Factor
from .units import EPA_UNIT, KG_CO2E

FOLDER = "epa_hub_2025"
LB_TO_KG = Decimal("0.45359237")
_G = Decimal("0.001")
_WASTE_METHODS = {
    "recycled_mtco2e_per_short_ton": "recycled",
    "landfilled_mtco2e_per_short_ton": "landfilled",
    "combusted_mtco2e_per_short_ton": "combusted",
    "composted_mtco2e_per_short_ton": "composted",
    "anaerobically_digested_dry_digestate_with_curing_mtco2e_per_short_ton": (
        "anaerobically-digested-dry"
    ),
    "anaerobically_digested_wet_digestate_with_curing_mtco2e_per_short_ton": (
        "anaerobically-digested-wet"
    ),
}
_MODE_TAGS = (
    ("passenger car", "car"),
    ("light-duty truck", "car"),
    ("motorcycle", "motorbike"),
    ("bus", "bus"),
    ("rail", "rail"),
    ("air travel", "flight"),
    ("aircraft", "air_freight"),
    ("truck", "truck"),
    ("waterborne", "ship"),
)


@dataclass(frozen=True, slots=True)
class EgridRow:
    """Table 6 row as published (lb per MWh) plus the grid gross loss fraction."""

    subregion: str  # eGRID acronym, or "US" for the US average
    name: str
    co2_lb_per_mwh: str
    ch4_lb_per_mwh: str
    n2o_lb_per_mwh: str
    nonbaseload_co2_lb_per_mwh: str
    nonbaseload_ch4_lb_per_mwh: str
    nonbaseload_n2o_lb_per_mwh: str
    grid_gross_loss: float | None


@dataclass(slots=True)
class EpaHub:
    factors: list[Factor]
    egrid_rows: dict[str, EgridRow]
    gwp_ar5: dict[str, Decimal]
    refrigerant_blends: dict[str, Decimal]
    metadata: dict[str, object] = field(default_factory=dict)


class _Builder:
    def __init__(self, gwp: dict[str, Decimal], meta: dict[str, object]) -> None:
        self.gwp = gwp
        self.titles: dict[str, str] = meta.get("table_titles", {})  # type: ignore[assignment]
        self.factors: list[Factor] = []
        self.ids: set[str] = set()

    def co2e(
        self, co2_kg: str = "", ch4_g: str = "", n2o_g: str = ""
    ) -> tuple[float, tuple[tuple[str, float], ...]]:
        """kg CO2e from kg CO2 + g CH4 + g N2O (each optional), exact, rounded once."""
        parts: list[tuple[str, Decimal]] = []
        if co2_kg:
            parts.append(("co2", dec(co2_kg)))
        if ch4_g:
            parts.append(("ch4", dec(ch4_g) * _G * self.gwp["CH4"]))
        if n2o_g:
            parts.append(("n2o", dec(n2o_g) * _G * self.gwp["N2O"]))
        total = sum((v for _, v in parts), Decimal(0))
        return float(total), tuple((g, float(v)) for g, v in parts)

    def add(
        self,
        table: str,
        key: str,
        *,
        name: str,
        value: float,
        per_unit: str,
        scope: str,
        gases: tuple[tuple[str, float], ...] = (),
        reference: str = "",
        tags: tuple[str, ...] = (),
        gwp_set: str = "AR5",
    ) -> None:
        fid = f"{EPA_HUB_2025.id}:{table}:{key}"
        if fid in self.ids:
            raise ValueError(f"Duplicate EPA Hub id {fid}")
        self.ids.add(fid)
        title = self.titles.get(f"t{int(table[1:]):02d}", "")
        self.factors.append(
            Factor(
                id=fid,
                source_id=EPA_HUB_2025.id,
                name=name,
                value=value,
                unit=KG_CO2E,
                per_unit=per_unit,
                region="US",
                year=2025,
                gwp_set=gwp_set,
                scope=scope,
                gases=gases,
                reference=f"EPA GHG Emission Factors Hub 2025, Table {table[1:]} ({title}); "
                + reference,
                tags=tuple(sorted({*tags, "epa", table})),
            )
        )


def _mode_tags(label: str) -> tuple[str, ...]:
    low = label.lower()
    return tuple(tag for needle, tag in _MODE_TAGS if needle in low)


def _stationary(b: _Builder) -> None:
    for r in read_dicts(FOLDER, "t01_stationary_combustion.csv"):
        fuel, cat = r["fuel_type"], r["fuel_category"]
        tags = ["stationary_combustion", "fuel"]
        if fuel == "Natural Gas":
            tags.append("natural_gas")
        if cat.startswith("Biomass"):
            tags.append("biogenic_co2")
        name = f"Stationary combustion > {cat} > {fuel}"
        heat = f"heat content {r['heat_content_hhv']} {r['heat_content_unit']}"
        value, gases = b.co2e(r["co2_kg_per_mmbtu"], r["ch4_g_per_mmbtu"], r["n2o_g_per_mmbtu"])
        b.add(
            "t1",
            f"{slug(fuel)}:mmbtu",
            name=name,
            value=value,
            per_unit=EPA_UNIT["mmBtu"],
            scope="Scope 1",
            gases=gases,
            reference=f"row '{fuel}', per mmBtu (HHV); {heat}",
            tags=(*tags, "mmbtu"),
        )
        if r["unit"]:
            value, gases = b.co2e(r["co2_kg_per_unit"], r["ch4_g_per_unit"], r["n2o_g_per_unit"])
            b.add(
                "t1",
                f"{slug(fuel)}:{slug(r['unit'])}",
                name=name,
                value=value,
                per_unit=EPA_UNIT[r["unit"]],
                scope="Scope 1",
                gases=gases,
                reference=f"row '{fuel}', per {r['unit']}; {heat}",
                tags=(*tags, slug(r["unit"])),
            )


def _mobile(b: _Builder) -> None:
    for r in read_dicts(FOLDER, "t02_mobile_combustion_co2.csv"):
        value, gases = b.co2e(r["co2_kg_per_unit"])
        b.add(
            "t2",
            slug(r["fuel_type"]),
            name=f"Mobile combustion CO2 > {r['fuel_type']}",
            value=value,
            per_unit=EPA_UNIT[r["unit"]],
            scope="Scope 1",
            gases=gases,
            reference=(
                f"row '{r['fuel_type']}', kg CO2 per {r['unit']} (CO2 only; CH4/N2O: Tables 3-5)"
            ),
            tags=("mobile_combustion", "fuel", "co2_only"),
        )
    for r in read_dicts(FOLDER, "t03_mobile_onroad_gasoline_ch4_n2o.csv"):
        value, gases = b.co2e("", r["ch4_g_per_vehicle_mile"], r["n2o_g_per_vehicle_mile"])
        b.add(
            "t3",
            f"{slug(r['vehicle_type'])}:{r['model_year']}",
            name=f"Mobile combustion CH4/N2O > {r['vehicle_type']} > model year {r['model_year']}",
            value=value,
            per_unit="mile",
            scope="Scope 1",
            gases=gases,
            reference=f"row '{r['vehicle_type']}' {r['model_year']}, g per vehicle-mile",
            tags=("mobile_combustion", "ch4_n2o_only", *_mode_tags(r["vehicle_type"])),
        )
    for r in read_dicts(FOLDER, "t04_mobile_onroad_diesel_altfuel_ch4_n2o.csv"):
        value, gases = b.co2e("", r["ch4_g_per_vehicle_mile"], r["n2o_g_per_vehicle_mile"])
        years = f":{r['model_year']}" if r["model_year"] else ""
        label = f"{r['vehicle_type']} > {r['fuel_type']}" + (
            f" > model year {r['model_year']}" if r["model_year"] else ""
        )
        b.add(
            "t4",
            f"{slug(r['vehicle_type'])}:{slug(r['fuel_type'])}{years}",
            name=f"Mobile combustion CH4/N2O > {label}",
            value=value,
            per_unit="mile",
            scope="Scope 1",
            gases=gases,
            reference=f"row '{label}', g per vehicle-mile",
            tags=("mobile_combustion", "ch4_n2o_only", *_mode_tags(r["vehicle_type"])),
        )
    for r in read_dicts(FOLDER, "t05_mobile_nonroad_ch4_n2o.csv"):
        value, gases = b.co2e("", r["ch4_g_per_gallon"], r["n2o_g_per_gallon"])
        label = f"{r['vehicle_type']} > {r['fuel_type']}"
        b.add(
            "t5",
            f"{slug(r['vehicle_type'])}:{slug(r['fuel_type'])}",
            name=f"Mobile combustion CH4/N2O (non-road) > {label}",
            value=value,
            per_unit="gallon",
            scope="Scope 1",
            gases=gases,
            reference=f"row '{label}', g per gallon",
            tags=("mobile_combustion", "non_road", "ch4_n2o_only"),
        )


def _egrid(gwp: dict[str, Decimal]) -> tuple[list[Factor], dict[str, EgridRow]]:
    factors: list[Factor] = []
    rows: dict[str, EgridRow] = {}
    per_kwh = LB_TO_KG / 1000
    for r in read_dicts(FOLDER, "t06_electricity_egrid_subregions.csv"):
        sub = "US" if r["egrid_subregion"] == "US Average" else r["egrid_subregion"]
        loss = r["grid_gross_loss_fraction"]
        row = EgridRow(
            subregion=sub,
            name=r["egrid_subregion_name"],
            co2_lb_per_mwh=r["total_output_co2_lb_per_mwh"],
            ch4_lb_per_mwh=r["total_output_ch4_lb_per_mwh"],
            n2o_lb_per_mwh=r["total_output_n2o_lb_per_mwh"],
            nonbaseload_co2_lb_per_mwh=r["nonbaseload_co2_lb_per_mwh"],
            nonbaseload_ch4_lb_per_mwh=r["nonbaseload_ch4_lb_per_mwh"],
            nonbaseload_n2o_lb_per_mwh=r["nonbaseload_n2o_lb_per_mwh"],
            grid_gross_loss=float(loss) if loss else None,
        )
        rows[sub] = row
        region = "US" if sub == "US" else f"US-{sub}"
        for label, cells, suffix, tags in (
            (
                "total output",
                (row.co2_lb_per_mwh, row.ch4_lb_per_mwh, row.n2o_lb_per_mwh),
                "",
                ("total_output",),
            ),
            (
                "non-baseload",
                (
                    row.nonbaseload_co2_lb_per_mwh,
                    row.nonbaseload_ch4_lb_per_mwh,
                    row.nonbaseload_n2o_lb_per_mwh,
                ),
                ":non-baseload",
                ("non_baseload",),
            ),
        ):
            co2 = dec(cells[0]) * per_kwh
            ch4 = dec(cells[1]) * gwp["CH4"] * per_kwh
            n2o = dec(cells[2]) * gwp["N2O"] * per_kwh
            factors.append(
                Factor(
                    id=f"{EGRID_2023.id}:{sub}{suffix}",
                    source_id=EGRID_2023.id,
                    name=f"Electricity (eGRID2023 {label}) > {row.name} ({sub})",
                    value=float(co2 + ch4 + n2o),
                    unit=KG_CO2E,
                    per_unit="kWh",
                    region=region,
                    year=2023,
                    gwp_set="AR5",
                    scope="Scope 2" if not suffix else None,
                    gases=(("co2", float(co2)), ("ch4", float(ch4)), ("n2o", float(n2o))),
                    reference=(
                        f"EPA GHG Emission Factors Hub 2025, Table 6 (eGRID2023), {sub} {label}: "
                        f"{cells[0]} lb CO2, {cells[1]} lb CH4, {cells[2]} lb N2O per MWh; "
                        f"grid gross loss {loss or 'n/a'}"
                    ),
                    tags=("electricity", "grid", "egrid", *tags),
                )
            )
    return factors, rows


def _scope3(b: _Builder) -> None:
    steam = read_dicts(FOLDER, "t07_steam_and_heat.csv")[0]
    value, gases = b.co2e(
        steam["co2_kg_per_mmbtu"], steam["ch4_g_per_mmbtu"], steam["n2o_g_per_mmbtu"]
    )
    b.add(
        "t7",
        "steam-and-heat",
        name="Purchased steam and heat",
        value=value,
        per_unit="MMBtu",
        scope="Scope 2",
        gases=gases,
        reference="per mmBtu purchased; natural gas at 80% thermal efficiency",
        tags=("heat_steam",),
    )
    for r in read_dicts(FOLDER, "t08_scope3_cat4_upstream_transportation.csv"):
        value, gases = b.co2e(r["co2_kg_per_unit"], r["ch4_g_per_unit"], r["n2o_g_per_unit"])
        b.add(
            "t8",
            f"{slug(r['vehicle_type'])}:{slug(r['unit'])}",
            name=f"Upstream/downstream transportation > {r['vehicle_type']} (per {r['unit']})",
            value=value,
            per_unit=EPA_UNIT[r["unit"]],
            scope="Scope 3",
            gases=gases,
            reference=f"row '{r['vehicle_type']}', per {r['unit']}",
            tags=("freight", *_mode_tags(r["vehicle_type"])),
        )
    for r in read_dicts(FOLDER, "t09_scope3_cat5_waste.csv"):
        for column, method in _WASTE_METHODS.items():
            cell = r[column]
            if cell in ("", "NA"):  # NA = not applicable in Table 9
                continue
            b.add(
                "t9",
                f"{slug(r['material'])}:{method}",
                name=f"Waste > {r['material']} > {method.replace('-', ' ')}",
                value=float(dec(cell) * 1000),
                per_unit="short_ton",
                scope="Scope 3",
                reference=(
                    f"row '{r['material']}', {method}: {cell} metric tons CO2e per short ton (AR4)"
                ),
                tags=("waste", method),
                gwp_set="AR4",
            )
    for r in read_dicts(FOLDER, "t10_scope3_cat6_7_business_travel_commuting.csv"):
        value, gases = b.co2e(r["co2_kg_per_unit"], r["ch4_g_per_unit"], r["n2o_g_per_unit"])
        b.add(
            "t10",
            slug(r["vehicle_type"]),
            name=f"Business travel and commuting > {r['vehicle_type']} (per {r['unit']})",
            value=value,
            per_unit=EPA_UNIT[r["unit"]],
            scope="Scope 3",
            gases=gases,
            reference=f"row '{r['vehicle_type']}', per {r['unit']}",
            tags=("business_travel", "commuting", *_mode_tags(r["vehicle_type"])),
        )


def load() -> EpaHub:
    """Parse all EPA Hub 2025 tables into factors (EPA Hub and eGRID2023 ids)."""
    gwp = {r["chemical_formula"]: dec(r["gwp100"]) for r in read_dicts(FOLDER, "t11_gwp_ar5.csv")}
    blends = {
        r["ashrae_number"].upper(): dec(r["gwp100"])
        for r in read_dicts(FOLDER, "t12_gwp_refrigerant_blends.csv")
    }
    meta = read_json(FOLDER, "tables_metadata.json")
    b = _Builder(gwp, meta)
    _stationary(b)
    _mobile(b)
    egrid_factors, egrid_rows = _egrid(gwp)
    _scope3(b)
    return EpaHub(
        factors=b.factors + egrid_factors,
        egrid_rows=egrid_rows,
        gwp_ar5=gwp,
        refrigerant_blends=blends,
        metadata=meta,
    )
