"""`ecotrack demo`: the demo people — five verified accounts with a profile (country, household).

They share one password, made up when the first of them is created and printed once (never
stored in clear, never printed again). Later seeders give each person a lifestyle of their own
(activities, questionnaire, organisation role, goals, challenges), keyed by the email here.
Seeding again adds nothing: existing accounts are left as they are, except that an empty country
or household size is filled in (for `demo@demo.example.org` when an older seeder created it).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from ecotrack.core.db import ensure_database
from ecotrack.core.settings import Settings

ORDER = 10  # first: every other seeder finds these accounts

DEMO_EMAIL = "demo@demo.example.org"
CAR_COMMUTER = "carla@demo.example.org"
RAIL_COMMUTER = "rahul@demo.example.org"
FREQUENT_FLYER = "fiona@demo.example.org"
VEGETARIAN = "vera@demo.example.org"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    display_name: str
    country: str  # ISO 3166-1 alpha-2: the default region of their activities
    household_size: int
    persona: str  # one line, printed by the seeder


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(DEMO_EMAIL, "Demo Person", "GB", 2, "mixed car and train commuter"),
    DemoPerson(CAR_COMMUTER, "Carla Moreno", "US", 4, "suburban car commuter"),
    DemoPerson(RAIL_COMMUTER, "Rahul Shah", "GB", 1, "rail commuter in a city flat"),
    DemoPerson(FREQUENT_FLYER, "Fiona Becker", "DE", 2, "consultant and frequent flyer"),
    DemoPerson(VEGETARIAN, "Vera Laurent", "FR", 3, "vegetarian who takes the tram"),
)
DEMO_EMAILS: tuple[str, ...] = tuple(p.email for p in DEMO_PEOPLE)


def seed(settings: Settings) -> Iterator[str]:
    from ecotrack.identity.schemas import UserUpdate
    from ecotrack.identity.service import identity_service

    db = ensure_database(settings)
    password = f"demo-{secrets.token_urlsafe(12)}"
    created: list[DemoPerson] = []
    completed: list[str] = []
    with db.unit_of_work() as session:
        for person in DEMO_PEOPLE:
            user = identity_service.get_user_by_email(session, email=person.email)
            if user is None:
                user = identity_service.create_user(
                    session,
                    email=person.email,
                    password=password,
                    display_name=person.display_name,
                    is_verified=True,
                    settings=settings,
                )
                created.append(person)
            missing = {
                field: getattr(person, field)
                for field in ("country", "household_size")
                if getattr(user, field) is None
            }
            if missing and user.erased_at is None:
                identity_service.update_profile(
                    session, user_id=user.id, user_in=UserUpdate.model_validate(missing)
                )
                if person not in created:
                    completed.append(person.email)
    if created:
        yield f"identity: created {len(created)} demo user(s), password for each: {password}"
        for person in created:
            yield (
                f"identity:   {person.email} — {person.display_name}, {person.persona} "
                f"({person.country}, household of {person.household_size})"
            )
    if completed:
        yield f"identity: completed the profile of {', '.join(completed)}"
    if not created and not completed:
        yield f"identity: the {len(DEMO_PEOPLE)} demo users exist; left as they are"
