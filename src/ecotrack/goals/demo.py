"""`ecotrack demo`: a goal of each kind for every demo person, sized from their own year.

* annual: this calendar year at 15 % under the last 365 days' total;
* reduction: the last 91 days against the 273 days before them (10-25 % by persona);
* category: their largest category at 25 % under its last-365-days total, from this month on.

Runs after the activities seeder (the targets and the reduction baseline need the activities).
Goals are evaluated on creation, so one may be reached at once (with its notification). People
who already have goals, or no activities, are left alone: seeding again adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from ecotrack.core.db import ensure_database
from ecotrack.core.settings import Settings
from ecotrack.goals.schemas import GoalCreate
from ecotrack.identity.demo import DEMO_EMAILS, FREQUENT_FLYER, VEGETARIAN

ORDER = 40  # after activities (30), before challenges (50)

REDUCTION_PERCENT: dict[str, float] = {FREQUENT_FLYER: 25.0, VEGETARIAN: 10.0}
DEFAULT_REDUCTION_PERCENT = 15.0


def _round_kg(kg: float) -> float:
    """Targets people would pick: whole hundreds of kg (at least 100)."""
    return max(100.0, round(kg / 100.0) * 100.0)


def goals_for(
    email: str, *, today: date, year_kg: float, categories: dict[str, float]
) -> list[GoalCreate]:
    annual = _round_kg(year_kg * 0.85)
    category, category_kg = max(categories.items(), key=lambda kv: kv[1])
    category_target = _round_kg(category_kg * 0.75)
    start = today - timedelta(days=90)
    month = today.replace(day=1)
    percent = REDUCTION_PERCENT.get(email, DEFAULT_REDUCTION_PERCENT)
    return [
        GoalCreate(
            name=f"Under {annual / 1000:.1f} t CO2e this year",
            kind="annual",
            target_kg_per_year=annual,
            start_on=date(today.year, 1, 1),
            target_date=date(today.year, 12, 31),
        ),
        GoalCreate(
            name=f"Cut {percent:.0f} % against last year",
            kind="reduction",
            reduction_percent=percent,
            baseline_start=today - timedelta(days=364),
            baseline_end=start - timedelta(days=1),
            start_on=start,
            target_date=start + timedelta(days=364),
        ),
        GoalCreate(
            name=f"{category.capitalize()} under {category_target:,.0f} kg a year",
            kind="category",
            category=category,
            target_kg_per_year=category_target,
            start_on=month,
            target_date=month.replace(year=month.year + 1) - timedelta(days=1),
        ),
    ]


def seed(settings: Settings) -> Iterator[str]:
    from ecotrack.activities.service import activities_service
    from ecotrack.core.pagination import PageParams
    from ecotrack.goals.service import goals_service, today_utc
    from ecotrack.identity.service import identity_service

    db = ensure_database(settings)
    today = today_utc()
    year_start = today - timedelta(days=364)
    lines: list[str] = []
    with db.unit_of_work() as session:
        for email in DEMO_EMAILS:
            user = identity_service.get_user_by_email(session, email=email)
            if user is None:
                continue
            existing = goals_service.list_goals(
                session, user_id=user.id, achieved=None, page=PageParams(limit=1, offset=0)
            ).total
            if existing:
                lines.append(f"goals: {email} already has {existing} goal(s)")
                continue
            categories = activities_service.category_totals(
                session, user_id=user.id, start=year_start, end=today
            )
            year_kg = sum(categories.values())
            if year_kg <= 0:
                lines.append(f"goals: {email} has no activities, no goals")
                continue
            made = [
                goals_service.create(session, user_id=user.id, goal_in=goal_in)
                for goal_in in goals_for(email, today=today, year_kg=year_kg, categories=categories)
            ]
            reached = sum(1 for g in made if g.is_achieved)
            lines.append(
                f"goals: {email}: " + "; ".join(g.name for g in made) + f" ({reached} reached)"
            )
    if not lines:
        yield "goals: no demo users, no goals"
    yield from lines
