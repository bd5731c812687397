"""A questionnaire result for each of the other demo people (`ecotrack.identity.demo`), answered
the way their lifestyle reads in `ecotrack.activities.demo_lifestyles` (household bills, car,
flights, public transport, diet). `demo@demo.example.org` keeps `demo.DEMO_QUESTIONNAIRES`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ecotrack.core.db import ensure_database
from ecotrack.core.settings import Settings
from ecotrack.identity.demo import CAR_COMMUTER, FREQUENT_FLYER, RAIL_COMMUTER, VEGETARIAN

QUESTIONNAIRES: dict[str, dict[str, Any]] = {
    CAR_COMMUTER: {
        "country": "US",
        "answers": {
            "household_size": 4,
            "electricity_kwh_per_year": 10900,
            "heating_fuel": "natural_gas",
            "heating_amount_per_year": 66,
            "heating_unit": "Mcf",
            "car_km_per_year": 19500,
            "car_fuel": "petrol",
            "car_size": "large",
            "car_occupancy": 1,
            "short_haul_return_flights_per_year": 1,
            "diet": "high_meat",
            "residual_waste_kg_per_week": 14,
            "clothing_spend_usd_per_year": 1200,
            "electronics_spend_usd_per_year": 900,
        },
    },
    RAIL_COMMUTER: {
        "country": "GB",
        "answers": {
            "household_size": 1,
            "electricity_kwh_per_year": 1800,
            "heating_fuel": "natural_gas",
            "heating_amount_per_year": 5000,
            "heating_unit": "kWh",
            "car_km_per_year": 0,
            "bus_km_per_week": 5,
            "rail_km_per_week": 230,
            "diet": "low_meat",
            "residual_waste_kg_per_week": 3,
        },
    },
    FREQUENT_FLYER: {
        "country": "DE",
        "answers": {
            "household_size": 2,
            "electricity_kwh_per_year": 2500,
            "heating_fuel": "natural_gas",
            "heating_amount_per_year": 7300,
            "heating_unit": "kWh",
            "car_km_per_year": 2600,
            "car_fuel": "diesel",
            "car_size": "medium",
            "short_haul_return_flights_per_year": 23,
            "long_haul_return_flights_per_year": 3,
            "rail_km_per_week": 35,
            "diet": "medium_meat",
            "residual_waste_kg_per_week": 6,
            "clothing_spend_usd_per_year": 2000,
            "electronics_spend_usd_per_year": 1500,
        },
    },
    VEGETARIAN: {
        "country": "FR",
        "answers": {
            "household_size": 3,
            "electricity_kwh_per_year": 5500,
            "green_electricity_percent": 0,
            "heating_fuel": "electricity",
            "car_km_per_year": 0,
            "bus_km_per_week": 3,
            "rail_km_per_week": 30,
            "diet": "vegetarian",
            "residual_waste_kg_per_week": 4,
            "clothing_spend_usd_per_year": 400,
            "electronics_spend_usd_per_year": 300,
        },
    },
}


def seed_people(settings: Settings) -> Iterator[str]:
    """One result for each of these people whose account exists and has no result yet."""
    from ecotrack.core.pagination import PageParams
    from ecotrack.footprints.schemas import FootprintIn
    from ecotrack.footprints.service import footprints_service
    from ecotrack.identity.service import identity_service

    db = ensure_database(settings)
    lines: list[str] = []
    with db.unit_of_work() as session:
        for email, body in QUESTIONNAIRES.items():
            user = identity_service.get_user_by_email(session, email=email)
            if user is None:
                continue
            existing = footprints_service.list_for_user(
                session, user_id=user.id, page=PageParams(limit=1, offset=0)
            )
            if existing.total:
                lines.append(f"footprints: {email} already has {existing.total} result(s)")
                continue
            result = footprints_service.submit(
                session,
                footprint_in=FootprintIn.model_validate(body),
                user_id=user.id,
                ip=None,
                user_agent=None,
                settings=settings,
            )
            lines.append(
                f"footprints: {email}: {result['total_kg'] / 1000:.1f} t "
                f"({result['confidence']:.0%} answered)"
            )
    yield from lines
