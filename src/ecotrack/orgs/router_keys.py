"""API keys of an organisation, and two endpoints that authenticate *with* an API key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from ecotrack.core.deps import AppSettings, DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.orgs.apikeys import api_key_service
from ecotrack.orgs.auth import MAX_ID, IngestKey, OrgAdmin, ReadKey
from ecotrack.orgs.context import ApiScope
from ecotrack.orgs.schemas import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyIdentity, ApiKeyPing
from ecotrack.orgs.signing import display_prefix

router = APIRouter()

ApiKeyId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "/orgs/{org_id}/api-keys",
    response_model=Page[ApiKey],
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def list_api_keys(
    ctx: OrgAdmin,
    session: DbSession,
    page: Paging,
    include_revoked: Annotated[bool, Query(description="Also list revoked keys")] = True,
) -> Page[ApiKey]:
    """The organisation's keys (never their secrets), newest first."""
    return api_key_service.list(session, ctx=ctx, page=page, include_revoked=include_revoked)


@router.post(
    "/orgs/{org_id}/api-keys",
    response_model=ApiKeyCreated,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def create_api_key(
    key_in: ApiKeyCreate, ctx: OrgAdmin, session: DbSession, settings: AppSettings
) -> ApiKeyCreated:
    """Create a key. The response carries the secret: it is shown this once and never again."""
    return api_key_service.create(
        session, actor=ctx.actor, org_id=ctx.org_id, key_in=key_in, settings=settings
    )


@router.get(
    "/orgs/{org_id}/api-keys/{api_key_id}",
    response_model=ApiKey,
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def get_api_key(api_key_id: ApiKeyId, ctx: OrgAdmin, session: DbSession) -> Any:
    return api_key_service.get(session, ctx=ctx, api_key_id=api_key_id)


@router.post(
    "/orgs/{org_id}/api-keys/{api_key_id}/revoke",
    response_model=ApiKey,
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def revoke_api_key(api_key_id: ApiKeyId, ctx: OrgAdmin, session: DbSession) -> Any:
    """Revoke a key: every later request with it gets 401 `api-key-revoked`."""
    return api_key_service.revoke(session, ctx=ctx, api_key_id=api_key_id)


# --- authenticated by an API key ------------------------------------------------------------


@router.get(
    "/api-keys/whoami",
    response_model=ApiKeyIdentity,
    status_code=200,
    responses=problem_responses(401, 403),
)
def api_key_whoami(key: ReadKey) -> ApiKeyIdentity:
    """The key this request authenticates with (needs the `read` scope)."""
    return ApiKeyIdentity(
        id=key.api_key_id,
        prefix=display_prefix(key.key_id),
        name=key.name,
        org_id=key.org_id,
        scopes=sorted(key.scopes, key=list(ApiScope).index),
        signed=key.signed,
    )


@router.post(
    "/api-keys/ping",
    response_model=ApiKeyPing,
    status_code=200,
    responses=problem_responses(401, 403),
)
async def api_key_ping(key: IngestKey, request: Request) -> ApiKeyPing:
    """Check a key and its request signing before sending data (needs the `ingest` scope).

    Any body is accepted and discarded; a signed key's signature covers it byte for byte.
    """
    body = await request.body()
    return ApiKeyPing(
        org_id=key.org_id,
        prefix=display_prefix(key.key_id),
        signed=key.signed,
        received_bytes=len(body),
    )
