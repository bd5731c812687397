"""A year of activities for each of the other demo people (`ecotrack.identity.demo`), one
lifestyle each: a US car commuter, a London rail commuter, a German frequent flyer and a French
vegetarian who takes the tram. `demo@demo.example.org` keeps `demo.year_of_activities`.

Generated deterministically (one seed per person), 365 days ending on the given day: a diet entry
every day, commutes on working days (with holidays), weekly household bills (electricity, heating
that follows the season, residual waste) and the trips that make each lifestyle what it is.
Amounts are typical of each country (home energy: Ofgem TDCV, EIA RECS, BDEW/ADEME orders of
magnitude); they are demo data, not statistics.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from ecotrack.core.db import ensure_database
from ecotrack.core.settings import Settings
from ecotrack.identity.demo import CAR_COMMUTER, FREQUENT_FLYER, RAIL_COMMUTER, VEGETARIAN

Item = dict[str, Any]


def _item(day: date, activity: str, amount: float, unit: str, region: str, **options: Any) -> Item:
    return {
        "activity": activity,
        "amount": amount,
        "unit": unit,
        "occurred_on": day.isoformat(),
        "region": region,
        "options": options,
    }


def _days(end: date) -> Iterator[tuple[date, float]]:
    """The 365 days up to `end` with how wintry each is (1 mid-January, 0 mid-July)."""
    start = end - timedelta(days=364)
    for offset in range(365):
        day = start + timedelta(days=offset)
        yield day, 0.5 + 0.5 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)


def _holidays(end: date, rng: random.Random, weeks: int) -> set[date]:
    """`weeks` separate weeks off work within the year."""
    off: set[date] = set()
    for k in range(weeks):
        first = end - timedelta(days=364) + timedelta(days=int(365 * (k + 0.5) / weeks))
        first += timedelta(days=rng.randint(-10, 10))
        off.update(first + timedelta(days=i) for i in range(7))
    return off


def car_commuter(end: date, *, seed: int = 11) -> list[Item]:
    """Carla (US, household of 4): 32 km each way in a large petrol car (shared since Monday
    last week), weekend errands, a meat-rich diet, a detached house with gas heating and summer
    air conditioning."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    region = "US"
    off = _holidays(end, rng, 2)
    carpool_from = end - timedelta(days=end.weekday() + 7)
    items: list[Item] = []
    for day, winter in _days(end):
        weekday = day.weekday()
        if weekday < 5 and day not in off:
            # The office carpool started on Monday last week: the commute's share is halved.
            sharing = 2 if day >= carpool_from else 1
            items.append(
                _item(
                    day,
                    "car",
                    round(rng.uniform(60, 72), 1),
                    "km",
                    region,
                    fuel="petrol",
                    size="large",
                    passengers=sharing,
                )
            )
        elif weekday == 5 or (day in off and rng.random() < 0.5):
            items.append(
                _item(
                    day,
                    "car",
                    round(rng.uniform(12, 45), 1),
                    "km",
                    region,
                    fuel="petrol",
                    size="large",
                    passengers=rng.choice([1, 2, 4]),
                )
            )
        diet = rng.choices(["high_meat", "medium_meat", "low_meat"], weights=[5, 4, 1])[0]
        items.append(_item(day, "diet", 1, "person_day", region, diet=diet))
        if weekday == 6:
            summer = 1 - winter
            kwh = round(170 + 90 * summer**2 + rng.uniform(-15, 15), 1)
            items.append(_item(day, "electricity", kwh, "kWh", region))
            therm = round(2 + 22 * winter + rng.uniform(-1.5, 1.5), 1)
            items.append(_item(day, "natural_gas", max(therm, 0.5), "therm", region))
            items.append(_item(day, "waste", round(rng.uniform(11, 17), 1), "kg", region))
    start = end - timedelta(days=364)
    trip = start + timedelta(days=190)
    items.append(
        _item(trip, "car", 1240, "km", region, fuel="petrol", size="large", passengers=4)
        | {"note": "Road trip to the lake with the family"}
    )
    flight = start + timedelta(days=300)
    items.append(
        _item(
            flight,
            "flight",
            1,
            "trip",
            region,
            **{"from": "ORD", "to": "MCO"},
            cabin="economy",
            round_trip=True,
        )
        | {"note": "Thanksgiving with the in-laws"}
    )
    return items


def rail_commuter(end: date, *, seed: int = 12) -> list[Item]:
    """Rahul (GB, lives alone): national rail and the Underground to work, buses at weekends,
    a low-meat diet, a small gas-heated flat; holidays by Eurostar and by train to Edinburgh."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    region = "GB"
    off = _holidays(end, rng, 3)
    items: list[Item] = []
    for day, winter in _days(end):
        weekday = day.weekday()
        if weekday < 5 and day not in off and rng.random() < 0.9:  # one day in ten at home
            items.append(
                _item(day, "rail", round(rng.uniform(38, 52), 1), "km", region, type="national")
            )
            if rng.random() < 0.5:
                items.append(_item(day, "rail", 6.4, "km", region, type="underground"))
        elif weekday >= 5 and rng.random() < 0.6:
            items.append(_item(day, "bus", round(rng.uniform(4, 12), 1), "km", region))
        if day.day == 14 and rng.random() < 0.8:
            items.append(_item(day, "taxi", round(rng.uniform(6, 12), 1), "km", region))
        diet = rng.choices(["low_meat", "pescatarian", "vegetarian"], weights=[5, 3, 2])[0]
        items.append(_item(day, "diet", 1, "person_day", region, diet=diet))
        if weekday == 6:
            items.append(_item(day, "electricity", round(rng.uniform(28, 40), 1), "kWh", region))
            gas = round(25 + 140 * winter + rng.uniform(-10, 10), 1)
            items.append(_item(day, "natural_gas", gas, "kWh", region))
            items.append(_item(day, "waste", round(rng.uniform(2, 4), 1), "kg", region))
    start = end - timedelta(days=364)
    items.append(
        _item(start + timedelta(days=120), "rail", 2 * 495, "km", region, type="international")
        | {"note": "Eurostar to Paris and back"}
    )
    items.append(
        _item(start + timedelta(days=230), "rail", 2 * 632, "km", region, type="national")
        | {"note": "Edinburgh festival"}
    )
    return items


_SHORT_HAUL = (("LHR", "GB"), ("MAD", "ES"), ("FCO", "IT"), ("CDG", "FR"), ("BCN", "ES"))
_LONG_HAUL = (("JFK", "US"), ("SIN", "SG"), ("ORD", "US"))


def frequent_flyer(end: date, *, seed: int = 13) -> list[Item]:
    """Fiona (DE, household of 2): a consultant flying from Frankfurt every other week (three
    long-haul trips in business), hotel nights and taxis, a diesel car or the S-Bahn otherwise."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    region = "DE"
    away: dict[date, str] = {}  # day -> country of the hotel
    items: list[Item] = []
    start = end - timedelta(days=364)
    long_weeks = {10, 27, 44}
    for week in range(1, 52, 2):  # Monday of every other week
        monday = start + timedelta(days=7 * week - start.weekday())
        if monday + timedelta(days=6) > end:
            break
        is_long = week in long_weeks
        airport, country = rng.choice(_LONG_HAUL if is_long else _SHORT_HAUL)
        nights = 4 if is_long else rng.choice([1, 2, 2, 3])
        cabin = "business" if is_long else rng.choice(["economy", "economy", "business"])
        items.append(
            _item(
                monday,
                "flight",
                1,
                "trip",
                region,
                **{"from": "FRA", "to": airport},
                cabin=cabin,
                round_trip=True,
            )
            | {"note": f"Client visit ({airport})"}
        )
        items.append(_item(monday, "hotel_stay", nights, "room_night", country))
        for i in range(nights + 1):
            away[monday + timedelta(days=i)] = country
        for day in (monday, monday + timedelta(days=nights)):
            items.append(_item(day, "taxi", round(rng.uniform(18, 30), 1), "km", region))
    for day, winter in _days(end):
        weekday = day.weekday()
        if weekday < 5 and day not in away:
            if rng.random() < 0.5:
                items.append(
                    _item(
                        day,
                        "car",
                        round(rng.uniform(16, 26), 1),
                        "km",
                        region,
                        fuel="diesel",
                        size="medium",
                    )
                )
            else:
                items.append(_item(day, "rail", 14.0, "km", region, type="light_rail"))
        diet = rng.choices(["high_meat", "medium_meat", "low_meat"], weights=[3, 5, 2])[0]
        items.append(_item(day, "diet", 1, "person_day", region, diet=diet))
        if weekday == 6:
            items.append(_item(day, "electricity", round(rng.uniform(40, 55), 1), "kWh", region))
            gas = round(30 + 220 * winter + rng.uniform(-15, 15), 1)
            items.append(_item(day, "natural_gas", gas, "kWh", region))
            items.append(_item(day, "waste", round(rng.uniform(5, 8), 1), "kg", region))
    return items


def vegetarian(end: date, *, seed: int = 14) -> list[Item]:
    """Vera (FR, household of 3): cycles or takes the tram, vegetarian or vegan food, an
    electrically heated flat on France's low-carbon grid, composting; holidays by train."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    region = "FR"
    off = _holidays(end, rng, 5)
    items: list[Item] = []
    for day, winter in _days(end):
        weekday = day.weekday()
        if weekday < 5 and day not in off and rng.random() < 0.6:  # otherwise by bike
            items.append(_item(day, "rail", 8.5, "km", region, type="light_rail"))
        elif weekday == 5 and rng.random() < 0.3:
            items.append(_item(day, "bus", round(rng.uniform(5, 10), 1), "km", region))
        diet = rng.choices(["vegetarian", "vegan"], weights=[7, 3])[0]
        items.append(_item(day, "diet", 1, "person_day", region, diet=diet))
        if weekday == 6:
            kwh = round(60 + 110 * winter + rng.uniform(-8, 8), 1)
            items.append(_item(day, "electricity", kwh, "kWh", region))
            items.append(_item(day, "waste", round(rng.uniform(3, 5), 1), "kg", region))
            items.append(
                _item(
                    day,
                    "waste",
                    round(rng.uniform(2, 4), 1),
                    "kg",
                    region,
                    type="food",
                    treatment="composting",
                )
            )
    start = end - timedelta(days=364)
    items.append(
        _item(start + timedelta(days=200), "rail", 2 * 775, "km", region, type="national")
        | {"note": "Summer in Marseille by TGV"}
    )
    items.append(
        _item(start + timedelta(days=320), "coach", 2 * 470, "km", region)
        | {"note": "Coach to Lyon for the festival of lights"}
    )
    return items


LIFESTYLES: dict[str, Callable[[date], list[Item]]] = {
    CAR_COMMUTER: car_commuter,
    RAIL_COMMUTER: rail_commuter,
    FREQUENT_FLYER: frequent_flyer,
    VEGETARIAN: vegetarian,
}


def seed_people(settings: Settings) -> Iterator[str]:
    """Log a year for each of these people whose account exists and has no activities yet."""
    from ecotrack.activities.service import activities_service, today_utc
    from ecotrack.identity.service import identity_service

    db = ensure_database(settings)
    for email, lifestyle in LIFESTYLES.items():
        with db.unit_of_work() as session:
            user = identity_service.get_user_by_email(session, email=email)
            if user is None:
                continue
            if activities_service.activity_days(
                session, user_id=user.id, start=date(1900, 1, 1), end=date(2100, 12, 31)
            ):
                yield f"activities: {email} already has activities; left as they are"
                continue
            rows = activities_service.bulk_log(
                session, user_id=user.id, items=lifestyle(today_utc())
            )
            total = sum(r.co2e_kg for r in rows)
        yield f"activities: {email}: logged {len(rows)} activities, {total:,.0f} kg CO2e"
