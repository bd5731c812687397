"""Reference tables: countries (ISO 3166-1), airports (OurAirports) and GWP100 values (IPCC).

Sources: `datasets/country-codes` (ODC-PDDL-1.0), OurAirports IATA extract (public domain),
IPCC AR4/AR5/AR6 GWP100 compiled from `globalwarmingpotentials` 0.13.2 (CC0-1.0); see
`sources.py`. All cells are read as strings: `NA` is Namibia (alpha-2) and North America
(continent code), never a missing value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ._data import read_dicts
from .errors import ReferenceNotFound

GWP_SETS = ("AR4", "AR5", "AR6")

#: Codes outside ISO 3166-1 used by the datasets: Kosovo (Ember `XKX`, OWID `OWID_KOS`).
_EXTRA_ALPHA3 = {"XKX": "XK", "OWID_KOS": "XK"}
#: Common non-ISO alpha-2 aliases.
_ALPHA2_ALIASES = {"UK": "GB", "EL": "GR"}


@dataclass(frozen=True, slots=True)
class Country:
    """One ISO 3166-1 entry (plus Kosovo, user-assigned `XK`/`XKX`)."""

    alpha2: str
    alpha3: str
    name: str
    short_name: str = ""
    numeric: str = ""
    continent_code: str = ""
    continent: str = ""
    region: str = ""
    sub_region: str = ""
    independent: str = ""


@dataclass(frozen=True, slots=True)
class Airport:
    """An OurAirports airport with an IATA code. `country` is ISO alpha-2 (`NA` = Namibia)."""

    iata: str
    name: str
    municipality: str
    country: str
    lat: float
    lon: float
    icao: str = ""
    type: str = ""
    scheduled_service: bool = False
    region: str = ""


_KOSOVO = Country(
    alpha2="XK", alpha3="XKX", name="Kosovo", short_name="Kosovo", continent_code="EU"
)


class Countries:
    """ISO 3166-1 table with alpha-2 / alpha-3 / name lookups (case-insensitive)."""

    def __init__(self) -> None:
        self.by_alpha2: dict[str, Country] = {}
        self.by_alpha3: dict[str, str] = dict(_EXTRA_ALPHA3)
        self.by_name: dict[str, str] = {}
        for r in read_dicts("iso3166", "iso3166_countries.csv"):
            c = Country(
                alpha2=r["alpha2"],
                alpha3=r["alpha3"],
                name=r["name"],
                short_name=r["cldr_short_name"],
                numeric=r["numeric"],
                continent_code=r["continent_code"],
                continent=r["continent"],
                region=r["un_m49_region"],
                sub_region=r["un_m49_sub_region"],
                independent=r["independence_status"],
            )
            self.by_alpha2[c.alpha2] = c
            self.by_alpha3[c.alpha3] = c.alpha2
        self.by_alpha2["XK"] = _KOSOVO
        for c in self.by_alpha2.values():
            for n in (c.name, c.short_name):
                if n:
                    self.by_name.setdefault(n.casefold(), c.alpha2)

    def alpha2(self, code: str) -> str | None:
        """Alpha-2 for an alpha-2, alpha-3 or exact country name; `None` if unknown."""
        c = code.strip().upper()
        if len(c) == 2 and c in self.by_alpha2:
            return c
        if c in _ALPHA2_ALIASES:
            return _ALPHA2_ALIASES[c]
        if c in self.by_alpha3:
            return self.by_alpha3[c]
        return self.by_name.get(code.strip().casefold())

    def get(self, code: str) -> Country:
        a2 = self.alpha2(code)
        if a2 is None:
            raise ReferenceNotFound(f"Unknown country code {code!r} (ISO 3166-1 alpha-2/alpha-3)")
        return self.by_alpha2[a2]


def load_airports() -> dict[str, Airport]:
    """OurAirports rows keyed by IATA code (codes are unique in the extract)."""
    out: dict[str, Airport] = {}
    for r in read_dicts("ourairports", "ourairports_airports_iata.csv"):
        iata = r["iata_code"].upper()
        out[iata] = Airport(
            iata=iata,
            name=r["name"],
            municipality=r["municipality"],
            country=r["iso_country"],
            lat=float(r["latitude_deg"]),
            lon=float(r["longitude_deg"]),
            icao=r["icao_code"],
            type=r["type"],
            scheduled_service=r["scheduled_service"] == "yes",
            region=r["iso_region"],
        )
    return out


class GwpTable:
    """IPCC GWP100 by gas id (`CO2`, `CH4`, `CH4_fossil`, `CH4_non_fossil`, `N2O`, `SF6`, ...)."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, Decimal | None]] = {}
        self.ids: dict[str, str] = {}
        for r in read_dicts("ipcc", "ipcc_gwp100_ar4_ar5_ar6.csv"):
            gid = r["gas_id"]
            self.ids[gid.casefold()] = gid
            self.values[gid] = {
                s: (Decimal(r[f"{s.lower()}_gwp100"]) if r[f"{s.lower()}_gwp100"] else None)
                for s in GWP_SETS
            }

    def decimal(self, gas: str, gwp_set: str = "AR5") -> Decimal:
        s = gwp_set.strip().upper()
        if s not in GWP_SETS:
            raise ReferenceNotFound(f"Unknown GWP set {gwp_set!r}; use one of {GWP_SETS}")
        gid = self.ids.get(gas.strip().casefold())
        if gid is None:
            raise ReferenceNotFound(f"No IPCC GWP100 for gas {gas!r}; known: {sorted(self.values)}")
        v = self.values[gid][s]
        if v is None:
            raise ReferenceNotFound(f"No {s} GWP100 for {gid} in the compiled IPCC table")
        return v

    def get(self, gas: str, gwp_set: str = "AR5") -> float:
        return float(self.decimal(gas, gwp_set))
