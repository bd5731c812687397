"""An organisation's factor overrides and custom LLM models (read: viewers; change: admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from ecotrack.core.deps import DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.orgs.auth import MAX_ID, OrgAdmin, OrgViewer
from ecotrack.orgs.overrides import override_service
from ecotrack.orgs.schemas import (
    Activity,
    CustomModel,
    CustomModelCreate,
    CustomModelUpdate,
    FactorOverride,
    FactorOverrideCreate,
    FactorOverrideUpdate,
)

router = APIRouter()

OverrideId = Annotated[int, Path(ge=1, le=MAX_ID)]
ModelId = Annotated[int, Path(ge=1, le=MAX_ID)]
NO_CONTENT: dict[str, Any] = {
    "status_code": 204,
    "response_model": None,
    "response_class": Response,
}


@router.get(
    "/orgs/{org_id}/factor-overrides",
    response_model=Page[FactorOverride],
    status_code=200,
    responses=problem_responses(401, 404),
)
def list_factor_overrides(
    ctx: OrgViewer,
    session: DbSession,
    page: Paging,
    activity: Annotated[Activity | None, Query(description="Only this activity")] = None,
) -> Any:
    return override_service.list_factor_overrides(session, ctx=ctx, page=page, activity=activity)


@router.post(
    "/orgs/{org_id}/factor-overrides",
    response_model=FactorOverride,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def create_factor_override(
    override_in: FactorOverrideCreate, ctx: OrgAdmin, session: DbSession
) -> Any:
    """Add the organisation's own factor for an activity, or one replacing a library factor."""
    return override_service.create_factor_override(session, ctx=ctx, override_in=override_in)


@router.get(
    "/orgs/{org_id}/factor-overrides/{override_id}",
    response_model=FactorOverride,
    status_code=200,
    responses=problem_responses(401, 404),
)
def get_factor_override(override_id: OverrideId, ctx: OrgViewer, session: DbSession) -> Any:
    return override_service.get_factor_override(session, ctx=ctx, override_id=override_id)


@router.patch(
    "/orgs/{org_id}/factor-overrides/{override_id}",
    response_model=FactorOverride,
    status_code=200,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_factor_override(
    override_id: OverrideId, override_in: FactorOverrideUpdate, ctx: OrgAdmin, session: DbSession
) -> Any:
    return override_service.update_factor_override(
        session, ctx=ctx, override_id=override_id, override_in=override_in
    )


@router.delete(
    "/orgs/{org_id}/factor-overrides/{override_id}",
    **NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
def delete_factor_override(override_id: OverrideId, ctx: OrgAdmin, session: DbSession) -> Response:
    override_service.delete_factor_override(session, ctx=ctx, override_id=override_id)
    return Response(status_code=204)


@router.get(
    "/orgs/{org_id}/custom-models",
    response_model=Page[CustomModel],
    status_code=200,
    responses=problem_responses(401, 404),
)
def list_custom_models(ctx: OrgViewer, session: DbSession, page: Paging) -> Any:
    return override_service.list_custom_models(session, ctx=ctx, page=page)


@router.post(
    "/orgs/{org_id}/custom-models",
    response_model=CustomModel,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def create_custom_model(model_in: CustomModelCreate, ctx: OrgAdmin, session: DbSession) -> Any:
    """Describe an LLM the organisation runs (or its own figures for a known one)."""
    return override_service.create_custom_model(session, ctx=ctx, model_in=model_in)


@router.get(
    "/orgs/{org_id}/custom-models/{model_id}",
    response_model=CustomModel,
    status_code=200,
    responses=problem_responses(401, 404),
)
def get_custom_model(model_id: ModelId, ctx: OrgViewer, session: DbSession) -> Any:
    return override_service.get_custom_model(session, ctx=ctx, model_id=model_id)


@router.patch(
    "/orgs/{org_id}/custom-models/{model_id}",
    response_model=CustomModel,
    status_code=200,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_custom_model(
    model_id: ModelId, model_in: CustomModelUpdate, ctx: OrgAdmin, session: DbSession
) -> Any:
    return override_service.update_custom_model(
        session, ctx=ctx, model_id=model_id, model_in=model_in
    )


@router.delete(
    "/orgs/{org_id}/custom-models/{model_id}",
    **NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
def delete_custom_model(model_id: ModelId, ctx: OrgAdmin, session: DbSession) -> Response:
    override_service.delete_custom_model(session, ctx=ctx, model_id=model_id)
    return Response(status_code=204)
