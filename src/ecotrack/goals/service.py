"""Goals: definitions, progress from the activities service, achievement (once) on change.

Progress and achievement (docs/goals-notifications.md has the same formulas):

* as_of = min(today UTC, target_date); days_elapsed = as_of − start_on + 1 (0 before start).
* emitted_kg = kg CO2e logged from start_on to as_of (one category for category goals).
* pace_kg_per_year = emitted_kg / days_elapsed × 365 ("current pace", annualised).
* target: annual and category goals store it; a reduction goal's is
  baseline_kg_per_year × (1 − reduction_percent / 100), with
  baseline_kg_per_year = kg in [baseline_start, baseline_end] / baseline days × 365.
* A goal is **reached** on as_of when a full trailing window of WINDOW_DAYS days, inside the goal
  period and ending on as_of, (a) has activities logged on at least MIN_ACTIVE_DAYS days (any
  category: no logging is not a reduction) and (b) its annualised rate
  (window kg / WINDOW_DAYS × 365) is at or below the target. Goals are re-evaluated whenever the
  user's activities change (`activity.changed`) and when the goal is created or edited; once
  reached, `is_achieved` stays true and `goal.achieved` is published exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from ecotrack.activities.service import activities_service
from ecotrack.core.db import utcnow
from ecotrack.core.errors import ConflictError, NotFoundError, ValidationFailed
from ecotrack.core.events import publish, subscribe
from ecotrack.core.pagination import Page, PageParams
from ecotrack.goals import repository
from ecotrack.goals.models import Goal
from ecotrack.goals.schemas import Goal as GoalOut
from ecotrack.goals.schemas import GoalCreate, GoalFields, GoalProgress, GoalUpdate

WINDOW_DAYS = 30
MIN_ACTIVE_DAYS = 4
DAYS_PER_YEAR = 365
MAX_GOALS_PER_USER = 50
DEFINITION_FIELDS = (
    "name",
    "kind",
    "target_kg_per_year",
    "category",
    "reduction_percent",
    "baseline_start",
    "baseline_end",
    "start_on",
    "target_date",
)


class GoalNotFound(NotFoundError):
    code = "goal-not-found"


def today_utc() -> date:
    return datetime.now(UTC).date()


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


class GoalsService:
    # --- progress ---------------------------------------------------------------------------

    def baseline_kg_per_year(
        self, session: Session, goal: Goal | GoalFields, user_id: int
    ) -> float:
        assert goal.baseline_start is not None  # noqa: S101 - validated reduction goal
        assert goal.baseline_end is not None  # noqa: S101
        days = (goal.baseline_end - goal.baseline_start).days + 1
        kg = activities_service.total_kg(
            session, user_id=user_id, start=goal.baseline_start, end=goal.baseline_end
        )
        return kg / days * DAYS_PER_YEAR

    def progress(self, session: Session, goal: Goal, *, today: date | None = None) -> GoalProgress:
        today = today or today_utc()
        as_of = min(today, goal.target_date)
        days_elapsed = max(0, (as_of - goal.start_on).days + 1)
        total_days = (goal.target_date - goal.start_on).days + 1
        category = goal.category if goal.kind == "category" else None

        baseline: float | None = None
        if goal.kind == "reduction":
            baseline = self.baseline_kg_per_year(session, goal, goal.user_id)
            target = baseline * (1 - (goal.reduction_percent or 0.0) / 100)
        else:
            target = goal.target_kg_per_year or 0.0

        emitted = 0.0
        pace: float | None = None
        if days_elapsed > 0:
            emitted = activities_service.total_kg(
                session, user_id=goal.user_id, start=goal.start_on, end=as_of, category=category
            )
            pace = emitted / days_elapsed * DAYS_PER_YEAR

        window_start: date | None = None
        window_rate: float | None = None
        active_days = 0
        if days_elapsed >= WINDOW_DAYS:
            window_start = as_of - timedelta(days=WINDOW_DAYS - 1)
            window_kg = activities_service.total_kg(
                session, user_id=goal.user_id, start=window_start, end=as_of, category=category
            )
            window_rate = window_kg / WINDOW_DAYS * DAYS_PER_YEAR
            active_days = len(
                activities_service.activity_days(
                    session, user_id=goal.user_id, start=window_start, end=as_of
                )
            )

        budget = target * total_days / DAYS_PER_YEAR
        reduction = None
        if baseline is not None and pace is not None and baseline > 0:
            reduction = (baseline - pace) / baseline * 100
        return GoalProgress(
            as_of=as_of,
            days_elapsed=days_elapsed,
            total_days=total_days,
            emitted_kg=round(emitted, 3),
            pace_kg_per_year=_r(pace),
            target_kg_per_year=round(target, 3),
            baseline_kg_per_year=_r(baseline),
            reduction_achieved_percent=_r(reduction, 2),
            budget_kg=round(budget, 3),
            budget_used_percent=_r(emitted / budget * 100 if budget > 0 else None, 2),
            on_track=None if pace is None else pace <= target,
            window_start=window_start,
            window_kg_per_year=_r(window_rate),
            window_active_days=active_days,
        )

    def _status(self, goal: Goal, today: date) -> str:
        if goal.is_achieved:
            return "achieved"
        if today < goal.start_on:
            return "upcoming"
        if today > goal.target_date:
            return "missed"
        return "active"

    def to_out(self, session: Session, goal: Goal, *, today: date | None = None) -> GoalOut:
        today = today or today_utc()
        progress = self.progress(session, goal, today=today)
        return GoalOut(
            id=goal.id,
            name=goal.name,
            kind=goal.kind,
            category=goal.category,
            target_kg_per_year=goal.target_kg_per_year,
            reduction_percent=goal.reduction_percent,
            baseline_start=goal.baseline_start,
            baseline_end=goal.baseline_end,
            start_on=goal.start_on,
            target_date=goal.target_date,
            is_achieved=goal.is_achieved,
            achieved_at=goal.achieved_at,
            status=self._status(goal, today),
            progress=progress,
            created_at=goal.created_at,
            updated_at=goal.updated_at,
        )

    # --- evaluation -------------------------------------------------------------------------

    def _window_rate(self, session: Session, goal: Goal, as_of: date) -> float:
        start = as_of - timedelta(days=WINDOW_DAYS - 1)
        category = goal.category if goal.kind == "category" else None
        kg = activities_service.total_kg(
            session, user_id=goal.user_id, start=start, end=as_of, category=category
        )
        return kg / WINDOW_DAYS * DAYS_PER_YEAR

    def evaluate(self, session: Session, goal: Goal, *, today: date | None = None) -> bool:
        """Mark `goal` achieved (and publish `goal.achieved`) if it is reached; True if it just
        was. An achieved goal is never evaluated again."""
        if goal.is_achieved:
            return False
        today = today or today_utc()
        as_of = min(today, goal.target_date)
        if (as_of - goal.start_on).days + 1 < WINDOW_DAYS:
            return False
        start = as_of - timedelta(days=WINDOW_DAYS - 1)
        active = activities_service.activity_days(
            session, user_id=goal.user_id, start=start, end=as_of
        )
        if len(active) < MIN_ACTIVE_DAYS:
            return False
        if goal.kind == "reduction":
            target = self.baseline_kg_per_year(session, goal, goal.user_id) * (
                1 - (goal.reduction_percent or 0.0) / 100
            )
        else:
            target = goal.target_kg_per_year or 0.0
        if self._window_rate(session, goal, as_of) > target:
            return False
        goal.is_achieved = True
        goal.achieved_at = utcnow()
        session.flush()
        publish(session, "goal.achieved", user_id=goal.user_id, goal_id=goal.id, name=goal.name)
        return True

    def evaluate_user(self, session: Session, *, user_id: int) -> list[int]:
        """Re-evaluate every open goal of the user; returns the ids that were just achieved."""
        return [
            goal.id
            for goal in repository.open_goals(session, user_id=user_id)
            if self.evaluate(session, goal)
        ]

    # --- CRUD -------------------------------------------------------------------------------

    def _get(self, session: Session, *, user_id: int, goal_id: int) -> Goal:
        goal = repository.get_for_user(session, user_id=user_id, goal_id=goal_id)
        if goal is None:
            raise GoalNotFound(f"No goal {goal_id}")
        return goal

    def _check_baseline(self, session: Session, fields: GoalFields, user_id: int) -> None:
        if fields.kind != "reduction":
            return
        assert fields.baseline_start is not None  # noqa: S101 - validated reduction goal
        assert fields.baseline_end is not None  # noqa: S101
        days = activities_service.activity_days(
            session, user_id=user_id, start=fields.baseline_start, end=fields.baseline_end
        )
        if not days:
            raise ValidationFailed(
                "The baseline period has no logged activities: log them first, or pick "
                "another period",
                code="empty-baseline",
                errors=[
                    {
                        "loc": ["body", "baseline_start"],
                        "msg": "no activities logged in the baseline period",
                        "type": "empty_baseline",
                    }
                ],
            )

    def get(self, session: Session, *, user_id: int, goal_id: int) -> GoalOut:
        return self.to_out(session, self._get(session, user_id=user_id, goal_id=goal_id))

    def list_goals(
        self, session: Session, *, user_id: int, achieved: bool | None, page: PageParams
    ) -> Page[GoalOut]:
        rows, total = repository.list_for_user(
            session, user_id=user_id, achieved=achieved, limit=page.limit, offset=page.offset
        )
        today = today_utc()
        return Page(
            items=[self.to_out(session, row, today=today) for row in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    def create(self, session: Session, *, user_id: int, goal_in: GoalCreate) -> GoalOut:
        if repository.count_for_user(session, user_id=user_id) >= MAX_GOALS_PER_USER:
            raise ConflictError(
                f"At most {MAX_GOALS_PER_USER} goals per user; delete one first",
                code="too-many-goals",
            )
        self._check_baseline(session, goal_in, user_id)
        goal = repository.add(
            session,
            Goal(
                user_id=user_id,
                is_achieved=False,
                **goal_in.model_dump(include=set(DEFINITION_FIELDS)),
            ),
        )
        self.evaluate(session, goal)
        return self.to_out(session, goal)

    def update(
        self, session: Session, *, user_id: int, goal_id: int, goal_in: GoalUpdate
    ) -> GoalOut:
        goal = self._get(session, user_id=user_id, goal_id=goal_id)
        changes = goal_in.model_dump(exclude_unset=True)
        if goal.is_achieved and set(changes) - {"name"}:
            raise ConflictError(
                "An achieved goal keeps its definition; only its name can change",
                code="goal-achieved",
            )
        merged = {name: getattr(goal, name) for name in DEFINITION_FIELDS} | changes
        try:
            fields = GoalFields.model_validate(merged)
        except ValidationError as exc:
            errors = [
                {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False)
            ]
            raise ValidationFailed(
                "The goal would be invalid after this change", code="invalid-goal", errors=errors
            ) from None
        if changes.keys() & {"baseline_start", "baseline_end"}:
            self._check_baseline(session, fields, user_id)
        for name in changes:
            setattr(goal, name, getattr(fields, name))
        session.flush()
        self.evaluate(session, goal)
        return self.to_out(session, goal)

    def delete(self, session: Session, *, user_id: int, goal_id: int) -> None:
        repository.delete_goal(session, self._get(session, user_id=user_id, goal_id=goal_id))

    # --- privacy ----------------------------------------------------------------------------

    def erase_user(self, session: Session, *, user_id: int) -> int:
        return repository.delete_for_user(session, user_id=user_id)

    def export_user(self, session: Session, *, user_id: int) -> list[dict[str, Any]]:
        return [
            self.to_out(session, goal).model_dump(mode="json")
            for goal in repository.all_for_user(session, user_id=user_id)
        ]


goals_service = GoalsService()


@subscribe("activity.changed")
def _activity_changed(session: Session, *, user_id: int, **_: Any) -> None:
    goals_service.evaluate_user(session, user_id=user_id)


@subscribe("user.erased")
def _erase(session: Session, *, user_id: int, **_: Any) -> None:
    goals_service.erase_user(session, user_id=user_id)


@subscribe("privacy.export_requested")
def _export(session: Session, *, user_id: int, add: Callable[[str, Any], None]) -> None:
    add("goals/goals.json", goals_service.export_user(session, user_id=user_id))
