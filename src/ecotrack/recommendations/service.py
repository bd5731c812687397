"""Recommendations: what the user's data says they could change, priced by the engine.

Amounts come, in this order, from
1. the user's activities of the last 365 days (`activities_service.usage`; flights from the
   individual activities, whose airports or haul the usage grouping does not keep), scaled to a
   year by `365 / max(span, 30)` where span is the days since the first activity in the window;
2. else the latest questionnaire result (`footprints_service.latest_for_user`, per person/year);
3. else typical values of the profile's country (`defaults.py`), labelled as such.

Each applicable action's saving is the difference of two engine estimates (`rules.py`). The
per-user state (open, implemented, dismissed) is a `recommendation` row per action. The optional
LLM pass runs as the `recommendations.llm_rank` job (never inside a request's transaction); its
validated answer is cached per user + input hash and applied on the next listing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.activities.service import activities_service
from ecotrack.assistant import service as assistant
from ecotrack.assistant.service import CallResult, assistant_service, input_hash
from ecotrack.core import jobs
from ecotrack.core.db import utcnow
from ecotrack.core.errors import ConflictError, NotFoundError, RateLimited
from ecotrack.core.events import publish, subscribe
from ecotrack.core.pagination import PageParams
from ecotrack.core.ratelimit import RateLimiter
from ecotrack.core.settings import Settings
from ecotrack.identity.service import identity_service
from ecotrack.recommendations import llm, repository
from ecotrack.recommendations.defaults import default_usage, defaults_for
from ecotrack.recommendations.models import Recommendation as RecommendationRow
from ecotrack.recommendations.rules import ACTIONS, Proposal, Usage, evaluate, priority
from ecotrack.recommendations.schemas import (
    EngineEstimate,
    LLMStatus,
    Recommendation,
    RecommendationList,
    SavingTerm,
    StatusFilter,
)

WINDOW_DAYS = 365
MIN_SPAN_DAYS = 30
LLM_TASK = "recommendations.llm_rank"


class RecommendationNotFound(NotFoundError):
    code = "recommendation-not-found"


class RecommendationImplemented(ConflictError):
    code = "recommendation-implemented"


@dataclass(frozen=True)
class Evaluation:
    basis: str
    basis_label: str
    region: str | None
    period_start: date | None
    period_end: date | None
    factor: float
    proposals: list[Proposal]


def _estimate_out(request: Any, result: Any) -> EngineEstimate:
    factor = result.plan.factor
    return EngineEstimate(
        activity=request.activity,
        amount=request.amount,
        unit=request.unit,
        options=dict(request.options),
        region=request.region,
        factor_id=factor.id,
        factor_value=factor.value,
        factor_unit=f"{factor.unit}/{factor.per_unit}",
        co2e_kg=result.co2e_kg,
    )


def _detail(proposal: Proposal) -> dict[str, Any]:
    terms = [
        SavingTerm(
            current=_estimate_out(t.comparison.current, t.current),
            alternative=_estimate_out(t.comparison.alternative, t.alternative),
            saving_kg=t.saving_kg,
        ).model_dump(mode="json")
        for t in proposal.terms
    ]
    return {
        "explanation": proposal.explanation,
        "factor_ids": proposal.factor_ids,
        "terms": terms,
    }


def _out(row: RecommendationRow, texts: dict[str, Any] | None = None) -> Recommendation:
    action = ACTIONS[row.action]
    texts = texts or {}
    detail = row.detail or {}
    return Recommendation(
        id=row.id,
        action=row.action,
        category=action.category,
        title=texts.get("title") or action.title,
        description=texts.get("description") or action.description,
        action_required=action.action_required,
        savings_kg_per_year=row.savings_kg_per_year,
        priority=priority(row.savings_kg_per_year),
        difficulty=action.difficulty,
        cost=action.cost,
        status=row.status,
        basis=row.basis,
        source=action.source,
        factor_ids=list(detail.get("factor_ids", [])),
        explanation=list(detail.get("explanation", [])),
        terms=[SavingTerm.model_validate(t) for t in detail.get("terms", [])],
        implemented_at=row.implemented_at,
        savings_claimed_kg_per_year=row.savings_claimed_kg_per_year,
        dismissed_at=row.dismissed_at,
    )


class RecommendationsService:
    # --- amounts ------------------------------------------------------------------------------
    def _activity_usage(
        self, session: Session, *, user_id: int, start: date, end: date
    ) -> list[Usage]:
        out = [
            Usage(u.activity, u.category, u.unit, u.amount, dict(u.options), co2e_kg=u.co2e_kg)
            for u in activities_service.usage(session, user_id=user_id, start=start, end=end)
            if u.activity != "flight"
        ]
        # Flights: the grouping keeps the cabin only; haul or airports come from each entry.
        flights: dict[tuple[str, str], list[Any]] = defaultdict(list)
        offset = 0
        while True:
            rows, total = activities_service.list_activities(
                session,
                user_id=user_id,
                page=PageParams(limit=200, offset=offset),
                start=start,
                end=end,
                activity="flight",
            )
            for row in rows:
                key = (row.unit, repr(sorted((row.options or {}).items())))
                flights[key].append(row)
            offset += len(rows)
            if not rows or offset >= total:
                break
        for group in flights.values():
            first = group[0]
            out.append(
                Usage(
                    "flight",
                    first.category,
                    first.unit,
                    sum(r.amount for r in group),
                    dict(first.options or {}),
                    co2e_kg=sum(r.co2e_kg for r in group),
                    passenger_km=sum(r.amount_normalised for r in group)
                    if first.unit_normalised == "passenger_km"
                    else None,
                )
            )
        return out

    def _questionnaire_usage(self, session: Session, *, user_id: int) -> list[Usage] | None:
        try:
            from ecotrack.footprints.service import footprints_service
        except ImportError:  # the questionnaire domain is optional
            return None
        latest = footprints_service.latest_for_user(session, user_id=user_id)
        if not latest:
            return None
        out = []
        for line in latest.get("lines") or []:
            try:
                out.append(
                    Usage(
                        str(line["activity"]),
                        str(line["category"]),
                        str(line["unit"]),
                        float(line["amount"]),
                        dict(line.get("options") or {}),
                        co2e_kg=float(line["co2e_kg"]) if "co2e_kg" in line else None,
                    )
                )
            except (KeyError, TypeError, ValueError):
                continue
        return out or None

    def evaluate(self, session: Session, *, user_id: int, today: date | None = None) -> Evaluation:
        """Every applicable action priced for this user (no state, no LLM)."""
        user = identity_service.get_user(session, user_id=user_id)
        country = user.country if user is not None else None
        household = user.household_size if user is not None else None
        end = today or utcnow().date()
        start = end - timedelta(days=WINDOW_DAYS - 1)
        days = activities_service.activity_days(session, user_id=user_id, start=start, end=end)
        if days:
            span = (end - days[0]).days + 1
            factor = WINDOW_DAYS / max(span, MIN_SPAN_DAYS) if span < WINDOW_DAYS else 1.0
            usage = [
                Usage(
                    u.activity,
                    u.category,
                    u.unit,
                    u.amount * factor,
                    u.options,
                    co2e_kg=None if u.co2e_kg is None else u.co2e_kg * factor,
                    passenger_km=None if u.passenger_km is None else u.passenger_km * factor,
                )
                for u in self._activity_usage(session, user_id=user_id, start=start, end=end)
            ]
            return Evaluation(
                "activities",
                f"your activities from {start.isoformat()} to {end.isoformat()}",
                country,
                start,
                end,
                factor,
                evaluate(usage, region=country),
            )
        answers = self._questionnaire_usage(session, user_id=user_id)
        if answers:
            return Evaluation(
                "questionnaire",
                "your latest questionnaire answers",
                country,
                None,
                None,
                1.0,
                evaluate(answers, region=country),
            )
        return Evaluation(
            "country_defaults",
            f"generic: {defaults_for(country).label} (log activities for personal figures)",
            country,
            None,
            None,
            1.0,
            evaluate(default_usage(country, household), region=country),
        )

    # --- listing ------------------------------------------------------------------------------
    def _sync(
        self, session: Session, *, user_id: int, ev: Evaluation
    ) -> dict[str, RecommendationRow]:
        rows = {r.action: r for r in repository.for_user(session, user_id)}
        for proposal in ev.proposals:
            row = rows.get(proposal.action.id)
            detail = _detail(proposal)
            if row is None:
                rows[proposal.action.id] = repository.add(
                    session,
                    RecommendationRow(
                        user_id=user_id,
                        action=proposal.action.id,
                        category=proposal.action.category,
                        status="open",
                        savings_kg_per_year=proposal.savings_kg_per_year,
                        basis=ev.basis,
                        detail=detail,
                    ),
                )
            elif row.status != "implemented":  # an implemented row keeps what was claimed
                row.savings_kg_per_year = proposal.savings_kg_per_year
                row.basis = ev.basis
                row.detail = detail
        session.flush()
        return rows

    def list_recommendations(
        self,
        session: Session,
        *,
        user_id: int,
        status: StatusFilter = "open",
        settings: Settings,
        limiter: RateLimiter,
    ) -> RecommendationList:
        ev = self.evaluate(session, user_id=user_id)
        rows = self._sync(session, user_id=user_id, ev=ev)
        open_proposals = [p for p in ev.proposals if rows[p.action.id].status == "open"]
        ordered: list[tuple[Proposal, dict[str, Any]]] = [(p, {}) for p in open_proposals]
        ranked_by, llm_status = "rules", "disabled"
        if assistant_service.enabled(settings) and open_proposals:
            llm_status, llm_order = self._llm_pass(
                session,
                user_id=user_id,
                proposals=open_proposals,
                region=ev.region,
                settings=settings,
                limiter=limiter,
            )
            if llm_order is not None:
                ordered, ranked_by = llm_order, "llm"
        items: list[Recommendation] = []
        if status in ("open", "all"):
            items += [_out(rows[p.action.id], texts) for p, texts in ordered]
        for state in ("implemented", "dismissed"):
            if status in (state, "all"):
                done = [r for r in rows.values() if r.status == state]
                done.sort(key=lambda r: (-r.savings_kg_per_year, r.id))
                items += [_out(r) for r in done]
        claimed = sum(
            r.savings_claimed_kg_per_year or 0.0 for r in rows.values() if r.status == "implemented"
        )
        return RecommendationList(
            items=items,
            ranked_by=ranked_by,
            llm_status=llm_status,
            basis=ev.basis,
            basis_label=ev.basis_label,
            period_start=ev.period_start,
            period_end=ev.period_end,
            annualisation_factor=ev.factor,
            implemented_savings_kg_per_year=claimed,
        )

    def _llm_pass(
        self,
        session: Session,
        *,
        user_id: int,
        proposals: Sequence[Proposal],
        region: str | None,
        settings: Settings,
        limiter: RateLimiter,
    ) -> tuple[LLMStatus, list[tuple[Proposal, dict[str, Any]]] | None]:
        key = input_hash(llm.llm_input(proposals, country=region))
        entry = assistant_service.cached(
            session, user_id=user_id, purpose=llm.PURPOSE, input_hash=key
        )
        if entry is not None:
            if entry.status == assistant.OK and entry.payload:
                return "ok", llm.apply(proposals, entry.payload)
            return ("pending" if entry.status == assistant.PENDING else "failed"), None
        try:
            limiter.hit(f"llm:{user_id}", limit=settings.llm_rate_limit_per_hour, window_s=3600)
        except RateLimited:
            return "rate_limited", None
        assistant_service.mark_pending(
            session,
            user_id=user_id,
            purpose=llm.PURPOSE,
            input_hash=key,
            ttl_s=settings.llm_timeout_s * 2 + 60,
        )
        jobs.enqueue(session, LLM_TASK, user_id, key)
        return "pending", None

    # --- state --------------------------------------------------------------------------------
    def get(self, session: Session, *, user_id: int, recommendation_id: int) -> RecommendationRow:
        row = repository.get_scoped(session, user_id=user_id, recommendation_id=recommendation_id)
        if row is None or row.action not in ACTIONS:
            raise RecommendationNotFound(f"No recommendation {recommendation_id} of yours")
        return row

    def implement(
        self, session: Session, *, user_id: int, recommendation_id: int
    ) -> Recommendation:
        """Mark as done (idempotent) and record the saving the engine last computed for it."""
        row = self.get(session, user_id=user_id, recommendation_id=recommendation_id)
        if row.status != "implemented":
            row.status = "implemented"
            row.implemented_at = utcnow()
            row.savings_claimed_kg_per_year = row.savings_kg_per_year
            row.dismissed_at = None
            session.flush()
            publish(
                session,
                "recommendation.implemented",
                user_id=user_id,
                recommendation_id=row.id,
                action=row.action,
                savings_kg_per_year=row.savings_claimed_kg_per_year,
            )
        return _out(row)

    def dismiss(self, session: Session, *, user_id: int, recommendation_id: int) -> Recommendation:
        """Hide for good (idempotent); an implemented action cannot be dismissed (409)."""
        row = self.get(session, user_id=user_id, recommendation_id=recommendation_id)
        if row.status == "implemented":
            raise RecommendationImplemented(
                f"Recommendation {recommendation_id} is implemented; it cannot be dismissed"
            )
        if row.status != "dismissed":
            row.status = "dismissed"
            row.dismissed_at = utcnow()
            session.flush()
        return _out(row)

    # --- the LLM job --------------------------------------------------------------------------
    def llm_job_input(self, session: Session, *, user_id: int) -> tuple[dict[str, Any], str]:
        """The model's input for the user's current open recommendations, and its hash."""
        ev = self.evaluate(session, user_id=user_id)
        state = {r.action: r.status for r in repository.for_user(session, user_id)}
        proposals = [p for p in ev.proposals if state.get(p.action.id, "open") == "open"]
        data = llm.llm_input(proposals, country=ev.region)
        return data, input_hash(data)

    def store_llm_result(
        self,
        session: Session,
        *,
        user_id: int,
        key: str,
        allowed: Sequence[str],
        result: CallResult,
        settings: Settings,
    ) -> str:
        """Validate the answer, cache it (or the failure) and log the call; returns the
        outcome."""
        payload = llm.validate_answer(result.data, allowed) if result.outcome == "ok" else None
        outcome = result.outcome
        if outcome == "ok" and payload is None:
            outcome = "schema_violation"
        assistant_service.record_call(
            session,
            user_id=user_id,
            purpose=llm.PURPOSE,
            result=result,
            outcome=outcome,
            input_hash=key,
        )
        if payload is None:
            self.abandon_llm(session, user_id=user_id, key=key)
        else:
            assistant_service.store(
                session,
                user_id=user_id,
                purpose=llm.PURPOSE,
                input_hash=key,
                status=assistant.OK,
                payload=payload,
                ttl_s=settings.llm_cache_ttl_s,
            )
        return outcome

    def abandon_llm(self, session: Session, *, user_id: int, key: str) -> None:
        """No usable answer for this input: the rules answer; retried after a short while."""
        assistant_service.store(
            session,
            user_id=user_id,
            purpose=llm.PURPOSE,
            input_hash=key,
            status=assistant.FAILED,
            payload=None,
            ttl_s=assistant.FAILED_TTL_S,
        )

    # --- privacy ------------------------------------------------------------------------------
    def export_user(self, session: Session, *, user_id: int) -> list[dict[str, Any]]:
        return [
            {
                "action": r.action,
                "status": r.status,
                "savings_kg_per_year": r.savings_kg_per_year,
                "implemented_at": r.implemented_at.isoformat() if r.implemented_at else None,
                "savings_claimed_kg_per_year": r.savings_claimed_kg_per_year,
                "dismissed_at": r.dismissed_at.isoformat() if r.dismissed_at else None,
            }
            for r in repository.for_user(session, user_id)
        ]


recommendations_service = RecommendationsService()


@subscribe("user.erased")
def _erase(session: Session, *, user_id: int) -> None:
    repository.delete_for_user(session, user_id)


@subscribe("privacy.export_requested")
def _export(session: Session, *, user_id: int, add: Callable[[str, Any], None]) -> None:
    add(
        "recommendations/recommendations.json",
        recommendations_service.export_user(session, user_id=user_id),
    )
