"""`ecotrack demo`: a few questionnaire results for the demo person (demo@demo.example.org).

Runs after the activities seeder (which creates the account). Nothing happens when the account
does not exist or already has results, so seeding twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ecotrack.core.db import ensure_database
from ecotrack.core.settings import Settings

ORDER = 40  # after identity/orgs and activities (which creates the demo account)
DEMO_EMAIL = "demo@demo.example.org"

# A UK person in a two-person home, answering more each time (confidence rises).
DEMO_QUESTIONNAIRES: tuple[dict[str, Any], ...] = (
    {"country": "GB", "answers": {"household_size": 2}},
    {
        "country": "GB",
        "answers": {
            "household_size": 2,
            "electricity_kwh_per_year": 3100,
            "heating_fuel": "natural_gas",
            "heating_amount_per_year": 12500,
            "car_km_per_year": 9000,
            "car_fuel": "petrol",
            "car_size": "medium",
            "diet": "medium_meat",
        },
    },
    {
        "country": "GB",
        "answers": {
            "household_size": 2,
            "electricity_kwh_per_year": 3100,
            "green_electricity_percent": 0,
            "heating_fuel": "natural_gas",
            "heating_amount_per_year": 12500,
            "heating_unit": "kWh",
            "car_km_per_year": 9000,
            "car_fuel": "petrol",
            "car_size": "medium",
            "car_occupancy": 1,
            "short_haul_return_flights_per_year": 1,
            "long_haul_return_flights_per_year": 0,
            "bus_km_per_week": 5,
            "rail_km_per_week": 60,
            "diet": "low_meat",
            "residual_waste_kg_per_week": 7,
            "clothing_spend_usd_per_year": 700,
            "electronics_spend_usd_per_year": 400,
        },
    },
)


def seed(settings: Settings) -> Iterator[str]:
    from ecotrack.footprints.demo_lifestyles import seed_people

    yield from _seed_demo_person(settings)
    yield from seed_people(settings)  # the other demo people (identity/demo.py), if they exist


def _seed_demo_person(settings: Settings) -> Iterator[str]:
    from ecotrack.core.pagination import PageParams
    from ecotrack.footprints.schemas import FootprintIn
    from ecotrack.footprints.service import footprints_service
    from ecotrack.identity.service import identity_service

    db = ensure_database(settings)
    with db.unit_of_work() as session:
        user = identity_service.get_user_by_email(session, email=DEMO_EMAIL)
        if user is None:
            yield f"footprints: no {DEMO_EMAIL} account, no questionnaire results seeded"
            return
        existing = footprints_service.list_for_user(
            session, user_id=user.id, page=PageParams(limit=1, offset=0)
        )
        if existing.total:
            yield f"footprints: {DEMO_EMAIL} already has {existing.total} result(s)"
            return
        totals = []
        for body in DEMO_QUESTIONNAIRES:
            result = footprints_service.submit(
                session,
                footprint_in=FootprintIn.model_validate(body),
                user_id=user.id,
                ip=None,
                user_agent=None,
                settings=settings,
            )
            totals.append(f"{result['total_kg'] / 1000:.1f} t ({result['confidence']:.0%})")
    yield f"footprints: {len(totals)} questionnaire results for {DEMO_EMAIL}: " + ", ".join(totals)
