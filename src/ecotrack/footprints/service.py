"""Footprints: the household questionnaire and its results.

Other domains use `footprints_service.latest_for_user(session, user_id=...)` (the newest stored
result as the `Footprint` dict, or None). Results of signed-in users are stored and listed;
anonymous results are stored without any personal data (see docs/footprints.md, "Privacy"):
no user, no IP (only an 8-hex prefix of an HMAC of the IP keyed by the server secret and the
UTC day, so it cannot be reversed or linked across days), the user agent cut to 32 characters.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.core.db import utcnow
from ecotrack.core.errors import NotFoundError, ValidationFailed
from ecotrack.core.events import subscribe
from ecotrack.core.pagination import Page, PageParams
from ecotrack.core.settings import Settings
from ecotrack.factors import get_registry
from ecotrack.footprints import questions as q
from ecotrack.footprints import repository
from ecotrack.footprints.calculator import AnswerRejected, assess
from ecotrack.footprints.models import FootprintResult
from ecotrack.footprints.schemas import FootprintIn
from ecotrack.identity.service import identity_service

# Anonymous submissions per client IP and minute (signed-in users only meet the API-wide limit).
ANONYMOUS_LIMIT_PER_MINUTE = 10
USER_AGENT_CHARS = 32


class FootprintNotFound(NotFoundError):
    code = "footprint-not-found"


def client_hash(ip: str | None, *, secret: str, day: date) -> str | None:
    """First 8 hex digits of HMAC-SHA256(secret, "<day>|<ip>"): a daily-rotating pseudonym."""
    if not ip:
        return None
    digest = hmac.new(secret.encode(), f"{day.isoformat()}|{ip}".encode(), hashlib.sha256)
    return digest.hexdigest()[:8]


def _invalid(loc: list[str | int], msg: str, detail: str | None = None) -> ValidationFailed:
    return ValidationFailed(detail or msg, errors=[{"loc": loc, "msg": msg, "type": "value_error"}])


def normalise_country(code: str | None, *, loc: list[str | int]) -> str | None:
    """ISO alpha-2 upper-case, or a 422 field error for a code that is no country."""
    if code is None:
        return None
    try:
        return get_registry().country(code).alpha2
    except Exception:  # the registry raises its own ReferenceNotFound
        raise _invalid(loc, f"{code!r} is not an ISO 3166-1 alpha-2 country code") from None


def _summary(row: FootprintResult) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": row.created_at,
        "model": row.model,
        "model_version": row.model_version,
        "country": row.country,
        "total_kg": row.total_kg,
        "confidence": row.confidence,
        "categories": row.categories,
    }


def _full(row: FootprintResult) -> dict[str, Any]:
    return {**row.result, "id": row.id, "created_at": row.created_at}


class FootprintsService:
    def questionnaire(self, *, country: str | None) -> dict[str, Any]:
        """The questions with the defaults of `country` (ISO alpha-2, already normalised)."""
        out = []
        for question in q.QUESTIONS:
            default = question.default_for(country)
            out.append(
                {
                    "id": question.id,
                    "text": question.text,
                    "help": question.help,
                    "type": question.type,
                    "category": question.category,
                    "allocation": question.allocation,
                    "unit": question.unit,
                    "units": list(question.units),
                    "unit_field": (
                        q.HEATING_UNIT_FIELD if question.id == "heating_amount_per_year" else None
                    ),
                    "choices": list(question.choices),
                    "minimum": question.minimum,
                    "maximum": question.maximum,
                    "default": default.value,
                    "default_unit": default.unit,
                    "default_basis": {"kind": default.basis.kind, "source": default.basis.source},
                }
            )
        return {
            "model": q.MODEL,
            "model_version": q.MODEL_VERSION,
            "country": country,
            "categories": list(q.CATEGORIES),
            "questions": out,
            "assumptions": [
                f"A short-haul return flight is 2 x {q.SHORT_HAUL_KM:g} km and a long-haul one "
                f"2 x {q.LONG_HAUL_KM:g} km (DESNZ average-passenger factors with radiative "
                "forcing).",
                f"Weekly answers are multiplied by {q.WEEKS_PER_YEAR}.",
                "Home energy and waste are divided by the household size; travel, food and "
                "spending are yours alone.",
                "Unanswered amounts without a sourced national default are not counted.",
            ],
        }

    def prune_anonymous(self, session: Session, *, now: datetime, settings: Settings) -> int:
        """Delete anonymous results older than `footprints_anonymous_retention_days` (they
        identify nobody, but aggregate calibration needs no more than recent ones)."""
        cutoff = now - timedelta(days=settings.footprints_anonymous_retention_days)
        return repository.delete_anonymous_before(session, cutoff)

    def submit(
        self,
        session: Session,
        *,
        footprint_in: FootprintIn,
        user_id: int | None,
        ip: str | None,
        user_agent: str | None,
        settings: Settings,
    ) -> dict[str, Any]:
        """Estimate the answers; store the result (anonymous results without personal data)."""
        country = normalise_country(footprint_in.country, loc=["body", "country"])
        if country is None and user_id is not None:
            user = identity_service.get_user(session, user_id=user_id)
            country = user.country if user is not None else None
        given = footprint_in.answers.given()
        try:
            assessment = assess(given, country)
        except AnswerRejected as exc:
            raise _invalid(
                ["body", "answers", exc.field], exc.calc_error.detail, exc.calc_error.detail
            ) from exc
        result: dict[str, Any] = {
            "model": q.MODEL,
            "model_version": q.MODEL_VERSION,
            "country": country,
            "total_kg": assessment.total_kg,
            "categories": assessment.categories,
            "confidence": assessment.confidence,
            "answered": assessment.answered,
            "defaulted": assessment.defaulted,
            "lines": assessment.lines,
            "explanation": assessment.explanation,
            "warnings": assessment.warnings,
            "input": footprint_in.model_dump(mode="json", exclude_unset=True),
            "comparison": assessment.comparison,
        }
        anonymous = user_id is None
        row = repository.add(
            session,
            FootprintResult(
                user_id=user_id,
                model=q.MODEL,
                model_version=q.MODEL_VERSION,
                country=country,
                total_kg=assessment.total_kg,
                confidence=assessment.confidence,
                categories=assessment.categories,
                answers=given,
                result=result,
                client_hash=(
                    client_hash(ip, secret=settings.resolved_secret_key(), day=utcnow().date())
                    if anonymous
                    else None
                ),
                user_agent=(user_agent[:USER_AGENT_CHARS] or None)
                if anonymous and user_agent
                else None,
            ),
        )
        if anonymous:
            return {**result, "id": None, "created_at": None}
        return _full(row)

    def list_for_user(
        self, session: Session, *, user_id: int, page: PageParams
    ) -> Page[dict[str, Any]]:
        rows, total = repository.list_for_user(
            session, user_id=user_id, limit=page.limit, offset=page.offset
        )
        return Page(
            items=[_summary(r) for r in rows], total=total, limit=page.limit, offset=page.offset
        )

    def get_for_user(self, session: Session, *, user_id: int, footprint_id: int) -> dict[str, Any]:
        row = repository.get_for_user(session, user_id=user_id, footprint_id=footprint_id)
        if row is None:
            raise FootprintNotFound(f"No footprint result {footprint_id} of yours")
        return _full(row)

    def latest_for_user(self, session: Session, *, user_id: int) -> dict[str, Any] | None:
        row = repository.latest_for_user(session, user_id=user_id)
        return _full(row) if row is not None else None

    def erase_user(self, session: Session, *, user_id: int) -> int:
        """Delete every result of the user (the `user.erased` reaction); returns how many."""
        return repository.delete_for_user(session, user_id=user_id)

    def export_for_user(self, session: Session, *, user_id: int) -> list[dict[str, Any]]:
        return [
            {**r.result, "id": r.id, "created_at": r.created_at.isoformat()}
            for r in repository.all_for_user(session, user_id=user_id)
        ]


footprints_service = FootprintsService()


@subscribe("user.erased")
def _on_user_erased(session: Session, *, user_id: int, **_: Any) -> None:
    footprints_service.erase_user(session, user_id=user_id)


@subscribe("privacy.export_requested")
def _on_export_requested(
    session: Session, *, user_id: int, add: Callable[[str, Any], None], **_: Any
) -> None:
    add("footprints/results.json", footprints_service.export_for_user(session, user_id=user_id))
