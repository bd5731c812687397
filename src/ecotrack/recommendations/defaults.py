"""Typical yearly amounts for a user who has logged nothing yet ("generic" recommendations).

Only what nearly everybody uses is assumed (home electricity and heating, food, household waste):
never a car or flights, which a user may not have (Nos Gestes Climat issue #1382). Household
amounts are divided by the profile's household size (else the country's average household).
"""

from __future__ import annotations

from dataclasses import dataclass

from ecotrack.recommendations.rules import Usage


@dataclass(frozen=True)
class CountryDefaults:
    label: str
    electricity_kwh: float  # per household and year
    gas: tuple[float, str]  # (amount, unit) per household and year
    household_size: float
    residual_waste_kg: float  # per person and year
    source: str


UK = CountryDefaults(
    label="United Kingdom typical values",
    electricity_kwh=2700.0,
    gas=(11500.0, "kWh"),
    household_size=2.36,
    residual_waste_kg=225.0,
    source=(
        "Ofgem typical domestic consumption values (medium: 2,700 kWh electricity, 11,500 kWh "
        "gas, from April 2023); ONS Families and households 2023 (2.36 people per household); "
        "DEFRA UK statistics on waste (about 400 kg household waste per person, 44 % recycled)"
    ),
)
US = CountryDefaults(
    label="United States typical values",
    electricity_kwh=943.0 * 12,
    gas=(5500.0 * 12, "scf"),
    household_size=2.51,
    residual_waste_kg=225.0,
    source=(
        "US EPA household carbon footprint calculator assumptions (943 kWh electricity and "
        "5,500 cubic feet of natural gas per household and month); US Census CPS 2023 (2.51 "
        "people per household); waste as for the UK (EcoTrack assumption)"
    ),
)
DEFAULTS = {"GB": UK, "US": US}


def defaults_for(country: str | None) -> CountryDefaults:
    """The country's defaults; other countries use the UK values (labelled as such)."""
    return DEFAULTS.get((country or "").upper(), UK)


def default_usage(country: str | None, household_size: int | None) -> list[Usage]:
    """Yearly per-person usage assumed for a user without activities."""
    d = defaults_for(country)
    people = float(household_size) if household_size and household_size > 0 else d.household_size
    gas_amount, gas_unit = d.gas
    return [
        Usage("electricity", "electricity", "kWh", d.electricity_kwh / people),
        Usage("natural_gas", "heating", gas_unit, gas_amount / people),
        Usage("diet", "lifestyle", "person_day", 365.25, {"diet": "medium_meat"}),
        Usage("waste", "waste", "kg", d.residual_waste_kg, {"type": "household_residual"}),
    ]
