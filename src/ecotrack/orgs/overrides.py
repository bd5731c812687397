"""An organisation's own emission factors and LLM models, and their hand-over to the engine.

`override_set()` returns the `ecotrack.factors.overrides.OverrideSet` the registry's
`with_overrides()` consumes; `llm_custom_models()` returns `ecotrack.factors.llm.CustomModel`s
for `ModelCatalogue.with_custom_models()`. Everything stored is validated with those same types,
so what the API accepted the engine accepts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.core.errors import ConflictError, NotFoundError, ValidationFailed
from ecotrack.core.events import publish
from ecotrack.core.pagination import Page, PageParams
from ecotrack.factors import FactorNotFound, get_registry
from ecotrack.factors.llm import CustomModel as LLMCustomModel
from ecotrack.factors.llm import ModelCatalogue
from ecotrack.factors.overrides import Override, OverrideSet
from ecotrack.orgs import audit_log, repository
from ecotrack.orgs.context import OrgContext, OrgRole
from ecotrack.orgs.models import CustomModel, FactorOverride, Organisation
from ecotrack.orgs.schemas import (
    CustomModelCreate,
    CustomModelUpdate,
    FactorOverrideCreate,
    FactorOverrideUpdate,
    MinMax,
)


class FactorOverrideNotFound(NotFoundError):
    code = "factor-override-not-found"


class CustomModelNotFound(NotFoundError):
    code = "custom-model-not-found"


def _invalid(field: str, msg: str, detail: str | None = None) -> ValidationFailed:
    return ValidationFailed(
        detail or msg, errors=[{"loc": ["body", field], "msg": msg, "type": "value_error"}]
    )


def _duplicate_override(row: FactorOverride) -> ConflictError:
    return ConflictError(
        f"Another override already replaces {row.replaces}", code="override-exists"
    )


def _duplicate_model(row: CustomModel) -> ConflictError:
    return ConflictError(
        f"A custom model {row.provider}/{row.name} exists", code="custom-model-exists"
    )


def to_override(row: FactorOverride) -> Override:
    return Override(
        id=str(row.id),
        value=row.value,
        per_unit=row.per_unit,
        unit=row.unit,
        replaces=row.replaces,
        activity=row.activity,
        region=row.region,
        year=row.year,
        name=row.name,
        notes="; ".join(p for p in (row.source, row.notes) if p),
    )


def _stored_bounds(value: float | MinMax | None) -> dict[str, float] | None:
    if value is None:
        return None
    if isinstance(value, MinMax):
        return {"min": float(value.min), "max": float(value.max)}
    return {"min": float(value), "max": float(value)}


def _engine_bounds(value: dict[str, Any] | None) -> float | tuple[float, float] | None:
    if value is None:
        return None
    low, high = float(value["min"]), float(value["max"])
    return low if low == high else (low, high)


def to_llm_model(row: CustomModel) -> LLMCustomModel:
    total = _engine_bounds(row.params_total_b)
    assert total is not None  # noqa: S101 - NOT NULL column
    return LLMCustomModel(
        provider=row.provider,
        name=row.name,
        params_total_b=total,
        params_active_b=_engine_bounds(row.params_active_b),
        tps=row.tps,
        ttft_s=row.ttft_s,
        pue=_engine_bounds(row.pue),
        wue_onsite=_engine_bounds(row.wue_onsite),
        zone=row.zone,
    )


class OverrideService:
    # --- factor overrides -------------------------------------------------------------------

    def list_factor_overrides(
        self, session: Session, *, ctx: OrgContext, page: PageParams, activity: str | None = None
    ) -> Page[FactorOverride]:
        rows, total = repository.factor_overrides(
            session, ctx.org_id, limit=page.limit, offset=page.offset, activity=activity
        )
        return Page(items=rows, total=total, limit=page.limit, offset=page.offset)

    def get_factor_override(
        self, session: Session, *, ctx: OrgContext, override_id: int
    ) -> FactorOverride:
        row = repository.get_scoped(session, FactorOverride, org_id=ctx.org_id, id=override_id)
        if row is None:
            raise FactorOverrideNotFound(f"No factor override {override_id} in this organisation")
        return row

    def _validate_override(self, session: Session, ctx: OrgContext, row: FactorOverride) -> None:
        if row.activity is None and row.replaces is None:
            raise _invalid("activity", "set `activity`, `replaces`, or both")
        if row.replaces is not None:
            if row.replaces.startswith("org:"):
                raise _invalid("replaces", "an override replaces a library factor, not another")
            try:
                get_registry().get(row.replaces)
            except (FactorNotFound, KeyError):
                raise _invalid(
                    "replaces", f"no library factor {row.replaces!r}", "Unknown factor id"
                ) from None
            if repository.override_replacing(
                session, org_id=ctx.org_id, replaces=row.replaces, exclude_id=row.id
            ):
                raise _duplicate_override(row)
        try:
            OverrideSet("validation", [replace(to_override(row), id="candidate")])
        except ValueError as exc:
            raise _invalid("value", str(exc)) from None

    def create_factor_override(
        self, session: Session, *, ctx: OrgContext, override_in: FactorOverrideCreate
    ) -> FactorOverride:
        ctx.require(OrgRole.ADMIN, "manage factor overrides")
        org = session.get(Organisation, ctx.org_id)
        row = FactorOverride(org_id=ctx.org_id, **override_in.model_dump())
        row.org = org  # type: ignore[assignment]
        self._validate_override(session, ctx, row)
        if not repository.flush_unique(session, row):
            raise _duplicate_override(row)
        self._audit(session, ctx, "factor_override.created", "factor_override", row.id, override_in)
        return row

    def update_factor_override(
        self,
        session: Session,
        *,
        ctx: OrgContext,
        override_id: int,
        override_in: FactorOverrideUpdate,
    ) -> FactorOverride:
        ctx.require(OrgRole.ADMIN, "manage factor overrides")
        row = self.get_factor_override(session, ctx=ctx, override_id=override_id)
        changes = override_in.model_dump(exclude_unset=True)
        for field in ("value", "unit", "per_unit", "name", "source", "notes"):
            if field in changes and changes[field] is None:
                raise _invalid(field, "may not be null")
        for field, value in changes.items():
            setattr(row, field, value)
        self._validate_override(session, ctx, row)
        if not repository.flush_unique(session):
            raise _duplicate_override(row)
        self._audit(
            session,
            ctx,
            "factor_override.updated",
            "factor_override",
            row.id,
            override_in.model_dump(mode="json", exclude_unset=True),
        )
        return row

    def delete_factor_override(
        self, session: Session, *, ctx: OrgContext, override_id: int
    ) -> None:
        ctx.require(OrgRole.ADMIN, "manage factor overrides")
        row = self.get_factor_override(session, ctx=ctx, override_id=override_id)
        self._audit(session, ctx, "factor_override.deleted", "factor_override", row.id, {})
        repository.delete_row(session, row)

    def override_set(self, session: Session, *, org_id: int) -> OverrideSet:
        """The organisation's overrides as the engine's `OverrideSet` (keyed by the slug)."""
        org = repository.get_org(session, org_id)
        if org is None:
            raise NotFoundError(f"No organisation {org_id}", code="org-not-found")
        rows, _ = repository.factor_overrides(session, org_id)
        return OverrideSet(org.slug, [to_override(r) for r in rows])

    # --- custom models ----------------------------------------------------------------------

    def list_custom_models(
        self, session: Session, *, ctx: OrgContext, page: PageParams
    ) -> Page[CustomModel]:
        rows, total = repository.custom_models(
            session, ctx.org_id, limit=page.limit, offset=page.offset
        )
        return Page(items=rows, total=total, limit=page.limit, offset=page.offset)

    def get_custom_model(self, session: Session, *, ctx: OrgContext, model_id: int) -> CustomModel:
        row = repository.get_scoped(session, CustomModel, org_id=ctx.org_id, id=model_id)
        if row is None:
            raise CustomModelNotFound(f"No custom model {model_id} in this organisation")
        return row

    def _validate_model(self, session: Session, ctx: OrgContext, row: CustomModel) -> None:
        catalogue = ModelCatalogue.builtin()
        row.provider = catalogue.normalise_provider(row.provider)
        if catalogue.provider_profile(row.provider) is None:
            missing = [f for f in ("pue", "wue_onsite", "zone") if getattr(row, f) is None]
            if missing:
                raise _invalid(
                    missing[0],
                    f"{row.provider!r} is not a provider EcoTrack knows: set " + ", ".join(missing),
                )
        try:
            catalogue.with_custom_models([to_llm_model(row)])
        except ValueError as exc:
            field = "zone" if "zone" in str(exc) else "params_total_b"
            raise _invalid(field, str(exc)) from None
        if repository.custom_model_named(
            session, org_id=ctx.org_id, provider=row.provider, name=row.name, exclude_id=row.id
        ):
            raise _duplicate_model(row)

    @staticmethod
    def _model_values(model_in: CustomModelCreate | CustomModelUpdate) -> dict[str, Any]:
        values = model_in.model_dump(exclude_unset=True)
        for field in ("params_total_b", "params_active_b", "pue", "wue_onsite"):
            if field in values:
                values[field] = _stored_bounds(getattr(model_in, field))
        return values

    def create_custom_model(
        self, session: Session, *, ctx: OrgContext, model_in: CustomModelCreate
    ) -> CustomModel:
        ctx.require(OrgRole.ADMIN, "manage custom models")
        values = self._model_values(model_in)
        values.setdefault("notes", "")
        row = CustomModel(org_id=ctx.org_id, **values)
        self._validate_model(session, ctx, row)
        if not repository.flush_unique(session, row):
            raise _duplicate_model(row)
        self._audit(session, ctx, "custom_model.created", "custom_model", row.id, model_in)
        publish(
            session,
            "orgs.custom_model_saved",
            org_id=ctx.org_id,
            provider=row.provider,
            name=row.name,
        )
        return row

    def update_custom_model(
        self, session: Session, *, ctx: OrgContext, model_id: int, model_in: CustomModelUpdate
    ) -> CustomModel:
        ctx.require(OrgRole.ADMIN, "manage custom models")
        row = self.get_custom_model(session, ctx=ctx, model_id=model_id)
        values = self._model_values(model_in)
        for field in ("provider", "name", "params_total_b", "notes"):
            if field in values and values[field] is None:
                raise _invalid(field, "may not be null")
        for field, value in values.items():
            setattr(row, field, value)
        self._validate_model(session, ctx, row)
        if not repository.flush_unique(session):
            raise _duplicate_model(row)
        self._audit(
            session,
            ctx,
            "custom_model.updated",
            "custom_model",
            row.id,
            model_in.model_dump(mode="json", exclude_unset=True),
        )
        publish(
            session,
            "orgs.custom_model_saved",
            org_id=ctx.org_id,
            provider=row.provider,
            name=row.name,
        )
        return row

    def delete_custom_model(self, session: Session, *, ctx: OrgContext, model_id: int) -> None:
        ctx.require(OrgRole.ADMIN, "manage custom models")
        row = self.get_custom_model(session, ctx=ctx, model_id=model_id)
        self._audit(session, ctx, "custom_model.deleted", "custom_model", row.id, {})
        repository.delete_row(session, row)

    def llm_custom_models(self, session: Session, *, org_id: int) -> list[LLMCustomModel]:
        rows, _ = repository.custom_models(session, org_id)
        return [to_llm_model(r) for r in rows]

    # --- shared -----------------------------------------------------------------------------

    @staticmethod
    def _audit(
        session: Session,
        ctx: OrgContext,
        action: str,
        resource_type: str,
        resource_id: int,
        details: Any,
    ) -> None:
        if hasattr(details, "model_dump"):
            details = details.model_dump(mode="json")
        audit_log.record_for(
            session,
            ctx,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            details=details,
        )


override_service = OverrideService()
