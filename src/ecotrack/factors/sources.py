"""`Source` records for every dataset edition the library ships (licence + attribution).

Attribution texts are copied verbatim from `shared/data/PROVENANCE.md`. Ids follow
`<dataset>:<edition>`; `Source.dataset` is the short key used in requests.
"""

from __future__ import annotations

from .types import Source

OGL = "Contains public sector information licensed under the Open Government Licence v3.0."
_DESNZ_URL = (
    "https://www.gov.uk/government/publications/greenhouse-gas-reporting-conversion-factors-{}"
)
_DESNZ_PUB = "Department for Energy Security and Net Zero (DESNZ) and Defra"
_DESNZ_NOTE = (
    "Flat file, sheet 'Factors by Category'. AR5 GWPs. Direct, WTT, T&D and outside-of-scopes "
    "(biogenic) figures are separate rows. IDs are stable only within one year."
)


def _desnz(year: int, edition: str, extra: str = "") -> Source:
    return Source(
        id=f"desnz:{year}",
        dataset="desnz",
        name="UK Government GHG Conversion Factors for Company Reporting",
        publisher=_DESNZ_PUB,
        edition=edition,
        year=year,
        licence="OGL-UK-3.0",
        attribution=OGL,
        url=_DESNZ_URL.format(year),
        gwp_set="AR5",
        notes=(_DESNZ_NOTE + " " + extra).strip(),
    )


DESNZ_2023 = _desnz(
    2023,
    "2023 v1.1",
    "The 2023 workbook stores unrounded values shown at 5 d.p.; Factor.value is the stored "
    "value, the published figure is it rounded to 5 d.p. (DesnzRow.published).",
)
DESNZ_2024 = _desnz(2024, "2024 v1.1")
DESNZ_2025 = _desnz(2025, "2025 v1.0")
DESNZ = {2023: DESNZ_2023, 2024: DESNZ_2024, 2025: DESNZ_2025}

_EPA_CITE = "U.S. EPA, GHG Emission Factors Hub, 2025 edition (January 2025)."
EPA_HUB_2025 = Source(
    id="epa-hub:2025",
    dataset="epa",
    name="GHG Emission Factors Hub",
    publisher="U.S. Environmental Protection Agency, Center for Corporate Climate Leadership",
    edition="2025 (Last Modified: January 15, 2025)",
    year=2025,
    licence="Public-Domain-US-Gov",
    attribution=_EPA_CITE,
    url="https://www.epa.gov/climateleadership/ghg-emission-factors-hub",
    gwp_set="AR5",
    notes="CH4/N2O converted to CO2e with the Hub's Table 11 AR5 GWPs. Table 9 (waste) is AR4.",
)
EGRID_2023 = Source(
    id="egrid:2023",
    dataset="egrid",
    name="eGRID2023 subregion output emission rates (EPA GHG Emission Factors Hub 2025, Table 6)",
    publisher="U.S. Environmental Protection Agency",
    edition="eGRID2023 (January 2025)",
    year=2023,
    licence="Public-Domain-US-Gov",
    attribution=_EPA_CITE,
    url="https://www.epa.gov/egrid",
    gwp_set="AR5",
    notes="Total-output rates (Scope 2 location-based); lb/MWh converted with 0.45359237/1000. "
    "Non-baseload rates are separate ids, for avoided-emission estimates only.",
)
EMBER_2025 = Source(
    id="ember:2025",
    dataset="ember",
    name="Ember Yearly Electricity Data (country overview)",
    publisher="Ember",
    edition="May 2025",
    year=2025,
    licence="CC-BY-4.0",
    attribution=(
        "Ember – Yearly Electricity Data (2025), "
        "https://ember-energy.org/data/yearly-electricity-data/, licensed under CC BY 4.0."
    ),
    url="https://ember-energy.org/data/yearly-electricity-data/",
    notes="Lifecycle gCO2e per kWh generated (upstream included, imports and T&D excluded); "
    "not comparable with DESNZ/eGRID Scope 2 factors. Converted g -> kg exactly.",
)
OWID_2026 = Source(
    id="owid:2026-04",
    dataset="owid",
    name="Our World in Data – Carbon intensity of electricity",
    publisher="Our World in Data (Global Change Data Lab)",
    edition="grapher export, downloaded about April 2026",
    year=2026,
    licence="CC-BY-4.0",
    attribution=(
        "Our World in Data – Carbon intensity of electricity (downloaded about April 2026), "
        "with major processing by Our World in Data from Ember and the Energy Institute "
        "Statistical Review of World Energy. "
        "https://ourworldindata.org/grapher/carbon-intensity-electricity, CC BY 4.0."
    ),
    url="https://ourworldindata.org/grapher/carbon-intensity-electricity",
    notes="Lifecycle gCO2e/kWh, mainly from Ember. Converted g -> kg exactly.",
)
USEEIO_130 = Source(
    id="useeio:1.3.0",
    dataset="useeio",
    name="Supply Chain GHG Emission Factors for US Industries and Commodities (USEEIO)",
    publisher="U.S. EPA Office of Research and Development",
    edition="v1.3.0 (2022 USD, GHG year 2022)",
    year=2022,
    licence="Public-Domain-US-Gov",
    attribution=(
        "U.S. EPA, Office of Research and Development. Supply Chain Greenhouse Gas "
        "Emission Factors v1.3 by NAICS-6. DOI: 10.23719/1531143."
    ),
    url="https://pasteur.epa.gov/uploads/10.23719/1531143/",
    gwp_set="AR5",
    notes="kg CO2e per 2022 USD purchaser price, cradle to shelf ('with margins') by default.",
)
CCF_2024 = Source(
    id="ccf:2024",
    dataset="ccf",
    name="Cloud Carbon Footprint coefficients and application constants",
    publisher="Cloud Carbon Footprint project (Thoughtworks, Inc. and contributors)",
    edition="application constants 2024-03-25 (b7a049c); ccf-coefficients 2026-04-24 (b0032d9)",
    year=2024,
    licence="Apache-2.0",
    attribution=(
        "Cloud Carbon Footprint coefficients © Thoughtworks, Inc. and contributors, licensed under "
        "the Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0)."
    ),
    url="https://www.cloudcarbonfootprint.org/",
    notes="The 2024 application constants are the chosen set for watts/PUE/memory/network/storage; "
    "2026 ccf-coefficients use coefficients are exposed separately. Grid factors (mostly "
    "2019-2021 sources) converted t -> kg exactly.",
)
_IPCC_ATTR = (
    "IPCC (2007) AR4 WGI Ch.2; IPCC (2013) AR5 WGI Ch.8; "
    "IPCC (2021) AR6 WGI Ch.7 (Forster et al.). "
    "Compiled from globalwarmingpotentials 0.13.2 (CC0-1.0)."
)


def _ipcc(report: str, year: int, where: str) -> Source:
    return Source(
        id=f"ipcc:{report.lower()}",
        dataset="ipcc",
        name=f"IPCC {report} 100-year global warming potentials",
        publisher="Intergovernmental Panel on Climate Change",
        edition=f"{report} ({where})",
        year=year,
        licence="CC0-1.0",
        attribution=_IPCC_ATTR,
        url="https://github.com/openclimatedata/globalwarmingpotentials",
        gwp_set=report,
    )


IPCC_AR4 = _ipcc("AR4", 2007, "WGI Ch.2 Table 2.14")
IPCC_AR5 = _ipcc("AR5", 2013, "WGI Ch.8 Table 8.A.1, without climate-carbon feedback")
IPCC_AR6 = _ipcc("AR6", 2021, "WGI Ch.7 Table 7.SM.7 and Table 7.15")
OURAIRPORTS = Source(
    id="ourairports:2026-08-07",
    dataset="ourairports",
    name="OurAirports airports (with IATA code)",
    publisher="OurAirports (David Megginson and contributors)",
    edition="daily dump of about 2026-08-07",
    year=2026,
    licence="Unlicense",
    attribution="Airport data from OurAirports (https://ourairports.com/data/), public domain.",
    url="https://ourairports.com/data/",
)
ISO3166 = Source(
    id="iso3166:2026-05-15",
    dataset="iso3166",
    name="ISO 3166-1 country codes (datasets/country-codes)",
    publisher="Frictionless Data (datasets/country-codes)",
    edition="commit caa72d1 (2026-05-15)",
    year=2026,
    licence="ODC-PDDL-1.0",
    attribution="datasets/country-codes (https://github.com/datasets/country-codes), ODC-PDDL.",
    url="https://github.com/datasets/country-codes",
)

ALL_SOURCES: tuple[Source, ...] = (
    DESNZ_2023,
    DESNZ_2024,
    DESNZ_2025,
    EPA_HUB_2025,
    EGRID_2023,
    EMBER_2025,
    OWID_2026,
    USEEIO_130,
    CCF_2024,
    IPCC_AR4,
    IPCC_AR5,
    IPCC_AR6,
    OURAIRPORTS,
    ISO3166,
)
