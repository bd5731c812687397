"""`ecotrack demo`: a year of realistic activities for the demo person (demo@demo.example.org).

The account is created when no earlier seeder made it (its password is printed once). Activities
are generated deterministically (seeded) and logged through `bulk_log`, so the rollup, the events
(points, streaks, goals) and everything downstream see them as if they had been logged by hand.
Seeding twice adds nothing: a person who already has activities is left alone.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from ecotrack.core.db import ensure_database
from ecotrack.core.settings import Settings

ORDER = 30  # after accounts and organisations (identity/orgs), before goals and challenges
DEMO_EMAIL = "demo@demo.example.org"


def year_of_activities(end: date, *, seed: int = 5) -> list[dict[str, Any]]:
    """365 days up to `end` of a UK household of one: commuting, energy, food, waste, trips."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    items: list[dict[str, Any]] = []
    start = end - timedelta(days=364)
    for offset in range(365):
        day = start + timedelta(days=offset)
        iso = day.isoformat()
        winter = 0.5 + 0.5 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)
        if day.weekday() < 5:
            if rng.random() < 0.7:
                km = round(rng.uniform(18, 42), 1)
                items.append(_item(iso, "car", km, "km", fuel="petrol", size="medium"))
            else:
                km = round(rng.uniform(20, 45), 1)
                items.append(_item(iso, "rail", km, "km", type="national"))
        diet = rng.choices(["medium_meat", "low_meat", "vegetarian"], weights=[5, 3, 2])[0]
        items.append(_item(iso, "diet", 1, "person_day", diet=diet))
        if day.weekday() == 6:
            items.append(_item(iso, "electricity", round(rng.uniform(45, 75), 1), "kWh"))
            gas = round(60 + 260 * winter + rng.uniform(-20, 20), 1)
            items.append(_item(iso, "natural_gas", gas, "kWh"))
            items.append(_item(iso, "waste", round(rng.uniform(4, 8), 1), "kg"))
    for month in (2, 6, 9):
        day = start + timedelta(days=30 * month + 3)
        items.append(_item(day.isoformat(), "car", 420, "km", fuel="petrol", size="medium"))
    flight_day = start + timedelta(days=200)
    items.append(
        {
            "activity": "flight",
            "amount": 1,
            "unit": "trip",
            "occurred_on": flight_day.isoformat(),
            "options": {"from": "LHR", "to": "FCO", "cabin": "economy", "round_trip": True},
            "note": "Summer holiday",
        }
    )
    return items


def _item(day: str, activity: str, amount: float, unit: str, **options: Any) -> dict[str, Any]:
    return {
        "activity": activity,
        "amount": amount,
        "unit": unit,
        "occurred_on": day,
        "region": "GB",
        "options": options,
    }


def seed(settings: Settings) -> Iterator[str]:
    from ecotrack.activities.demo_lifestyles import seed_people

    yield from _seed_demo_person(settings)
    yield from seed_people(settings)  # the other demo people (identity/demo.py), if they exist


def _seed_demo_person(settings: Settings) -> Iterator[str]:
    from ecotrack.activities.service import activities_service, today_utc
    from ecotrack.identity.service import identity_service

    db = ensure_database(settings)
    password = None
    with db.unit_of_work() as session:
        user = identity_service.get_user_by_email(session, email=DEMO_EMAIL)
        if user is None:
            password = f"demo-{secrets.token_urlsafe(12)}"
            user = identity_service.create_user(
                session,
                email=DEMO_EMAIL,
                password=password,
                display_name="Demo Person",
                is_verified=True,
                settings=settings,
            )
        user_id = user.id
        if activities_service.activity_days(
            session, user_id=user_id, start=date(1900, 1, 1), end=date(2100, 12, 31)
        ):
            yield f"activities: {DEMO_EMAIL} already has activities; left as they are"
            return
        rows = activities_service.bulk_log(
            session, user_id=user_id, items=year_of_activities(today_utc())
        )
        total = sum(r.co2e_kg for r in rows)
    if password:
        yield f"activities: created {DEMO_EMAIL} (password: {password})"
    yield f"activities: logged {len(rows)} activities over a year, {total:,.0f} kg CO2e"
