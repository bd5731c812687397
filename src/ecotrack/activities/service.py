"""Activities: log, edit, delete and import what a person did; the engine prices each one.

Every change runs in the caller's unit of work: the activity rows, their revisions, the daily
rollup (rewritten from the rows for the days touched) and then the events:

* `"activity.logged"` — `user_id, activity_id, activity, category, occurred_on, co2e_kg`, once per
  newly created activity (create, import, `bulk_log`);
* `"activity.changed"` — `user_id, days` (sorted), after every create, update, delete, import and
  recalculation.

Other domains read a person's footprint through the functions under "contract" below; they are
answered from the daily rollup (`activity_daily`) except `usage`, which groups activity rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from ecotrack.activities import repository
from ecotrack.activities.models import Activity, ActivityRevision
from ecotrack.activities.schemas import (
    CATEGORIES,
    ActivityCreate,
    ActivityUpdate,
    ActivityUsage,
)
from ecotrack.calc import CalcError, EstimateRequest, EstimateResult, estimate_batch
from ecotrack.calc import list_activities as engine_activities
from ecotrack.core.db import utcnow
from ecotrack.core.errors import NotFoundError, ValidationFailed
from ecotrack.core.events import publish, subscribe
from ecotrack.core.pagination import PageParams
from ecotrack.estimates.service import EstimateError
from ecotrack.identity.service import identity_service

LOGGED = "activity.logged"
CHANGED = "activity.changed"
EXPORT_EVENT = "privacy.export_requested"
INPUT_FIELDS = ("activity", "amount", "unit", "region", "year", "source", "options")

# The option that splits an activity's usage into meaningful groups (car fuel, diet, …).
MAIN_OPTION: dict[str, str] = {
    "car": "fuel",
    "motorbike": "size",
    "bus": "type",
    "rail": "type",
    "taxi": "type",
    "ferry": "type",
    "flight": "cabin",
    "diet": "diet",
    "waste": "type",
    "water": "kind",
    "heating_oil": "grade",
    "petrol": "grade",
    "diesel": "grade",
    "coal": "grade",
    "cloud_compute": "provider",
    "llm_inference": "model",
    "spend": "sector",
}


class ActivityNotFound(NotFoundError):
    code = "activity-not-found"


def _vocabulary() -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in engine_activities()}


_VOCAB: dict[str, dict[str, Any]] | None = None


def vocabulary() -> dict[str, dict[str, Any]]:
    global _VOCAB
    if _VOCAB is None:
        _VOCAB = _vocabulary()
    return _VOCAB


def category_of(activity: str) -> str:
    spec = vocabulary().get(activity)
    category = spec["category"] if spec else "other"
    return category if category in CATEGORIES else "other"


def main_option(activity: str, options: Mapping[str, Any]) -> tuple[str, str] | None:
    """(name, effective value) of the activity's main option, defaults applied; None if none."""
    name = MAIN_OPTION.get(activity)
    if name is None:
        return None
    value = options.get(name)
    if value is None:
        spec = vocabulary().get(activity) or {}
        for option in spec.get("options", []):
            if option["name"] == name:
                value = option.get("default")
    return None if value is None else (name, str(value)[:64])


def today_utc() -> date:
    return datetime.now(UTC).date()


def _date_error(occurred_on: date, loc: list[str | int]) -> dict[str, Any] | None:
    latest = today_utc() + timedelta(days=1)
    if occurred_on > latest:
        return {
            "loc": loc,
            "msg": f"occurred_on {occurred_on.isoformat()} is in the future (latest {latest})",
            "type": "date_in_future",
        }
    return None


def apply_result(row: Activity, result: EstimateResult, *, now: datetime) -> None:
    """Store the engine's answer on `row`: result, range, gases, factor, edition, explanation."""
    factor = result.factor
    row.category = category_of(result.activity)
    row.co2e_kg = float(result.co2e_kg)
    row.co2e_low_kg = float(result.low)
    row.co2e_high_kg = float(result.high)
    row.gases = {k: float(v) for k, v in result.gases.items()}
    row.amount_normalised = float(result.amount_normalised)
    row.unit_normalised = result.unit_normalised
    row.factor_id = factor.id
    row.dataset = factor.dataset
    row.edition = factor.edition
    row.methodology = result.methodology
    row.explanation = [s.to_dict() for s in result.explanation]
    row.provenance = {
        "factor": factor.to_dict(),
        "components": [c.to_dict() for c in result.components],
        "warnings": list(result.warnings),
        "range_basis": result.range.basis,
    }
    variant = main_option(row.activity, row.options or {})
    row.variant = variant[1] if variant else None
    row.calculated_at = now


def request_of(row: Activity | Mapping[str, Any]) -> EstimateRequest:
    get: Callable[[str], Any] = row.get if isinstance(row, Mapping) else lambda k: getattr(row, k)
    return EstimateRequest(
        activity=get("activity"),
        amount=get("amount"),
        unit=get("unit"),
        region=get("region"),
        year=get("year"),
        source=get("source"),
        options=get("options") or {},
    )


def calc_errors(exc: CalcError, prefix: Sequence[str | int] = ()) -> list[dict[str, Any]]:
    return [
        {"loc": [*prefix, *e.get("loc", [])], "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors
    ]


class ActivitiesService:
    # --- contract: what other domains read -------------------------------------------------

    def total_kg(
        self,
        session: Session,
        *,
        user_id: int,
        start: date,
        end: date,
        category: str | None = None,
    ) -> float:
        """kg CO2e logged by `user_id` between `start` and `end` (inclusive), optionally of one
        category."""
        return repository.total_kg(
            session, user_id=user_id, start=start, end=end, category=category
        )

    def category_totals(
        self, session: Session, *, user_id: int, start: date, end: date
    ) -> dict[str, float]:
        """kg CO2e per category (all six present, 0.0 when none)."""
        out = dict.fromkeys(CATEGORIES, 0.0)
        for category, kg, _ in repository.category_totals(
            session, user_id=user_id, start=start, end=end
        ):
            out[category] = out.get(category, 0.0) + kg
        return out

    def daily_totals(
        self, session: Session, *, user_id: int, start: date, end: date
    ) -> dict[date, float]:
        """kg CO2e per day, only days with activities."""
        return dict(repository.daily_totals(session, user_id=user_id, start=start, end=end))

    def activity_days(
        self, session: Session, *, user_id: int, start: date, end: date
    ) -> list[date]:
        """Days with at least one activity, ascending."""
        return [
            d for d, _ in repository.daily_totals(session, user_id=user_id, start=start, end=end)
        ]

    def usage(
        self, session: Session, *, user_id: int, start: date, end: date
    ) -> list[ActivityUsage]:
        """What the user logged, grouped by (activity, normalised unit, main option), largest
        footprint first."""
        out = []
        for activity, category, unit, variant, amount, kg, count in repository.usage(
            session, user_id=user_id, start=start, end=end
        ):
            name = MAIN_OPTION.get(activity)
            options = {name: variant} if name is not None and variant is not None else {}
            out.append(
                ActivityUsage(
                    activity=activity,
                    category=category,
                    unit=unit,
                    amount=amount,
                    co2e_kg=kg,
                    count=count,
                    options=options,
                )
            )
        return out

    # --- logging ----------------------------------------------------------------------------

    def _profile_region(self, session: Session, user_id: int) -> str | None:
        user = identity_service.get_user(session, user_id=user_id)
        return user.country if user is not None else None

    def log(self, session: Session, *, user_id: int, activity_in: ActivityCreate) -> Activity:
        """Estimate and store one activity (422 with field errors when the engine refuses it)."""
        error = _date_error(activity_in.occurred_on, ["body", "occurred_on"])
        if error:
            raise ValidationFailed(error["msg"], code="invalid-date", errors=[error])
        region = activity_in.region or self._profile_region(session, user_id)
        row = Activity(
            user_id=user_id,
            activity=activity_in.activity,
            amount=activity_in.amount,
            unit=activity_in.unit,
            region=region,
            year=activity_in.year,
            source=activity_in.source,
            options=dict(activity_in.options),
            note=activity_in.note,
            occurred_on=activity_in.occurred_on,
        )
        (result,) = estimate_batch([request_of(row)])
        if isinstance(result, CalcError):
            raise EstimateError.from_calc(result)
        apply_result(row, result, now=utcnow())
        self.store_new(session, user_id=user_id, rows=[row], emit_logged=True)
        return row

    def bulk_log(
        self,
        session: Session,
        *,
        user_id: int,
        items: Sequence[ActivityCreate | Mapping[str, Any]],
        emit_logged: bool = True,
    ) -> list[Activity]:
        """Log many activities at once with the engine's batch API (demo data, benchmarks).

        All or nothing: any invalid item raises 422 `invalid-items` whose errors carry
        `loc = ["items", index, field]`. `emit_logged=False` skips the per-activity
        `activity.logged` events (seeding history for benchmarks); `activity.changed` is always
        published."""
        rows, errors = self.prepare(session, user_id=user_id, items=items)
        if errors:
            flat = [
                {**e, "loc": ["items", index, *e["loc"]]} for index, errs in errors for e in errs
            ]
            raise ValidationFailed(
                f"{len(errors)} of {len(items)} items are invalid",
                code="invalid-items",
                errors=flat,
            )
        self.store_new(session, user_id=user_id, rows=[r for _, r in rows], emit_logged=emit_logged)
        return [r for _, r in rows]

    def prepare(
        self,
        session: Session,
        *,
        user_id: int,
        items: Sequence[ActivityCreate | Mapping[str, Any]],
    ) -> tuple[list[tuple[int, Activity]], list[tuple[int, list[dict[str, Any]]]]]:
        """Validate and price `items` without storing them: ([(index, row)], [(index, errors)]).
        Error locs are relative to the item (`["unit"]`, `["options", "fuel"]`)."""
        region_default = self._profile_region(session, user_id)
        candidates: list[tuple[int, Activity]] = []
        errors: list[tuple[int, list[dict[str, Any]]]] = []
        for index, item in enumerate(items):
            try:
                parsed = (
                    item
                    if isinstance(item, ActivityCreate)
                    else ActivityCreate.model_validate(item)
                )
            except ValidationError as exc:
                errors.append(
                    (
                        index,
                        [
                            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                            for e in exc.errors()
                        ],
                    )
                )
                continue
            date_error = _date_error(parsed.occurred_on, ["occurred_on"])
            if date_error:
                errors.append((index, [date_error]))
                continue
            candidates.append(
                (
                    index,
                    Activity(
                        user_id=user_id,
                        activity=parsed.activity,
                        amount=parsed.amount,
                        unit=parsed.unit,
                        region=parsed.region or region_default,
                        year=parsed.year,
                        source=parsed.source,
                        options=dict(parsed.options),
                        note=parsed.note,
                        occurred_on=parsed.occurred_on,
                    ),
                )
            )
        results = estimate_batch([request_of(row) for _, row in candidates])
        now = utcnow()
        ok: list[tuple[int, Activity]] = []
        for (index, row), result in zip(candidates, results, strict=True):
            if isinstance(result, CalcError):
                errors.append((index, calc_errors(result)))
                continue
            apply_result(row, result, now=now)
            ok.append((index, row))
        errors.sort(key=lambda e: e[0])
        return ok, errors

    def store_new(
        self, session: Session, *, user_id: int, rows: Sequence[Activity], emit_logged: bool
    ) -> None:
        repository.lock_user(session, user_id)
        repository.add_all(session, rows)
        days = {row.occurred_on for row in rows}
        repository.refresh_daily(session, user_id=user_id, days=days)
        if emit_logged:
            for row in rows:
                publish(
                    session,
                    LOGGED,
                    user_id=user_id,
                    activity_id=row.id,
                    activity=row.activity,
                    category=row.category,
                    occurred_on=row.occurred_on,
                    co2e_kg=row.co2e_kg,
                )
        if days:
            publish(session, CHANGED, user_id=user_id, days=sorted(days))

    # --- reading, editing, deleting -------------------------------------------------------

    def get(self, session: Session, *, user_id: int, activity_id: int) -> Activity:
        row = repository.get_scoped(session, user_id=user_id, activity_id=activity_id)
        if row is None:
            raise ActivityNotFound(f"No activity {activity_id}")
        return row

    def list_activities(
        self,
        session: Session,
        *,
        user_id: int,
        page: PageParams,
        start: date | None = None,
        end: date | None = None,
        category: str | None = None,
        activity: str | None = None,
    ) -> tuple[list[Activity], int]:
        return repository.list_activities(
            session,
            user_id=user_id,
            start=start,
            end=end,
            category=category,
            activity=activity,
            limit=page.limit,
            offset=page.offset,
        )

    def revisions(
        self, session: Session, *, user_id: int, activity_id: int
    ) -> list[ActivityRevision]:
        self.get(session, user_id=user_id, activity_id=activity_id)
        return repository.revisions_of(session, user_id=user_id, activity_id=activity_id)

    def update(
        self, session: Session, *, user_id: int, activity_id: int, activity_in: ActivityUpdate
    ) -> Activity:
        """Change an activity; it is recomputed and the value it held is kept as a revision."""
        row = self.get(session, user_id=user_id, activity_id=activity_id)
        changes = activity_in.model_dump(exclude_unset=True)
        for name in ("activity", "amount", "unit", "occurred_on"):
            if name in changes and changes[name] is None:
                raise ValidationFailed(
                    f"{name} cannot be null",
                    errors=[{"loc": ["body", name], "msg": "may not be null", "type": "null"}],
                )
        if "occurred_on" in changes:
            error = _date_error(changes["occurred_on"], ["body", "occurred_on"])
            if error:
                raise ValidationFailed(error["msg"], code="invalid-date", errors=[error])
        if "activity" in changes and changes["activity"] != row.activity:
            changes.setdefault("options", {})
        if "options" in changes and changes["options"] is None:
            changes["options"] = {}
        if "region" in changes and not changes["region"]:
            changes["region"] = self._profile_region(session, user_id)
        old_day = row.occurred_on
        recompute = any(k in changes and changes[k] != getattr(row, k) for k in INPUT_FIELDS)
        if recompute:
            candidate = {k: changes.get(k, getattr(row, k)) for k in INPUT_FIELDS}
            (result,) = estimate_batch([request_of(candidate)])
            if isinstance(result, CalcError):
                raise EstimateError.from_calc(result)
            repository.lock_user(session, user_id)
            self._keep_revision(session, row, reason="edit")
            for key, value in changes.items():
                setattr(row, key, value)
            apply_result(row, result, now=utcnow())
        else:
            repository.lock_user(session, user_id)
            for key, value in changes.items():
                setattr(row, key, value)
        days = {old_day, row.occurred_on}
        repository.refresh_daily(session, user_id=user_id, days=days)
        publish(session, CHANGED, user_id=user_id, days=sorted(days))
        return row

    def _keep_revision(self, session: Session, row: Activity, *, reason: str) -> None:
        session.add(
            ActivityRevision(
                activity_id=row.id,
                user_id=row.user_id,
                reason=reason,
                amount=row.amount,
                unit=row.unit,
                co2e_kg=row.co2e_kg,
                factor_id=row.factor_id,
                edition=row.edition,
                occurred_on=row.occurred_on,
                category=row.category,
                replaced_at=utcnow(),
            )
        )
        row.previous_co2e_kg = row.co2e_kg
        row.previous_factor_id = row.factor_id
        row.previous_edition = row.edition

    def delete(self, session: Session, *, user_id: int, activity_id: int) -> None:
        row = self.get(session, user_id=user_id, activity_id=activity_id)
        day = row.occurred_on
        repository.lock_user(session, user_id)
        repository.delete_row(session, row)
        repository.refresh_daily(session, user_id=user_id, days=[day])
        publish(session, CHANGED, user_id=user_id, days=[day])

    def refresh_days(self, session: Session, *, user_id: int, days: Sequence[date]) -> None:
        """Rewrite the rollup for `days` and announce the change (the recalculation uses it)."""
        repository.lock_user(session, user_id)
        repository.refresh_daily(session, user_id=user_id, days=days)
        publish(session, CHANGED, user_id=user_id, days=sorted(set(days)))

    def keep_revision(self, session: Session, row: Activity, *, reason: str) -> None:
        self._keep_revision(session, row, reason=reason)

    # --- privacy ----------------------------------------------------------------------------

    def erase_user(self, session: Session, *, user_id: int) -> int:
        repository.lock_user(session, user_id)
        return repository.delete_user_data(session, user_id)

    def export_user(self, session: Session, *, user_id: int) -> list[dict[str, Any]]:
        return [
            {
                "id": a.id,
                "activity": a.activity,
                "category": a.category,
                "amount": a.amount,
                "unit": a.unit,
                "occurred_on": a.occurred_on.isoformat(),
                "region": a.region,
                "year": a.year,
                "source": a.source,
                "options": a.options,
                "note": a.note,
                "co2e_kg": a.co2e_kg,
                "factor_id": a.factor_id,
                "dataset": a.dataset,
                "edition": a.edition,
                "previous_co2e_kg": a.previous_co2e_kg,
                "previous_factor_id": a.previous_factor_id,
                "calculated_at": a.calculated_at.isoformat(),
                "created_at": a.created_at.isoformat(),
            }
            for a in repository.activities_of(session, user_id)
        ]


activities_service = ActivitiesService()


@subscribe("user.erased")
def _erase(session: Session, *, user_id: int) -> None:
    activities_service.erase_user(session, user_id=user_id)


@subscribe(EXPORT_EVENT)
def _export(session: Session, *, user_id: int, add: Callable[[str, Any], None]) -> None:
    add("activities/activities.json", activities_service.export_user(session, user_id=user_id))
