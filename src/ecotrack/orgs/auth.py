"""The one access helper of the organisations domain, as typed FastAPI dependencies.

* `OrgViewer`, `OrgMember`, `OrgAdmin`, `OrgOwner`: the signed-in user's `OrgContext` in the
  `{org_id}` of the path, requiring at least that role. Not a member (or no such organisation)
  is **404**, never 403, so an organisation's existence is not revealed; a member whose role is
  too low gets 403.
* `OrgReader`: read access to `{org_id}` by a member (viewer+) *or* by an API key of that
  organisation with the `read` scope (another organisation's key: 404).
* `ApiKeyAuth`: a request authenticated by an organisation API key (`Authorization: Bearer
  eco_…` or `X-API-Key: eco_…`, plus the HMAC signature headers for signed keys). `IngestKey`
  and `ReadKey` also require a scope: a key without it gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ecotrack.core.deps import AppSettings, DbSession, client_ip, hit_rate_limit
from ecotrack.core.errors import AppError
from ecotrack.identity.auth import CurrentUser, current_user
from ecotrack.orgs.context import (
    ApiKeyPrincipal,
    ApiScope,
    OrgAccess,
    OrgContext,
    OrgNotFound,
    OrgRole,
)
from ecotrack.orgs.schemas import MAX_ID
from ecotrack.orgs.service import orgs_service
from ecotrack.orgs.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, ApiKeyInvalid, replay_cache

OrgId = Annotated[int, Path(ge=1, le=MAX_ID, description="Organisation id")]


def _org_access(role: OrgRole) -> Callable[..., OrgContext]:
    def org_access(
        org_id: OrgId, user: CurrentUser, session: DbSession, request: Request
    ) -> OrgContext:
        return orgs_service.access(
            session,
            org_id=org_id,
            user_id=user.id,
            email=user.email,
            role=role,
            ip=client_ip(request),
        )

    org_access.__name__ = f"org_{role.value}"
    return org_access


OrgViewer = Annotated[OrgContext, Depends(_org_access(OrgRole.VIEWER))]
OrgMember = Annotated[OrgContext, Depends(_org_access(OrgRole.MEMBER))]
OrgAdmin = Annotated[OrgContext, Depends(_org_access(OrgRole.ADMIN))]
OrgOwner = Annotated[OrgContext, Depends(_org_access(OrgRole.OWNER))]


# --- API keys ---------------------------------------------------------------------------------

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKeyBearer",
    description="An organisation API key: `Authorization: Bearer eco_…`",
)
_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="ApiKeyHeader",
    description="An organisation API key: `X-API-Key: eco_…`",
)


class ApiKeyScopeMissing(AppError):
    status_code = 403
    code = "api-key-scope"


def _presents_api_key(request: Request) -> bool:
    if request.headers.get("x-api-key"):
        return True
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and token.strip().startswith("eco_")


async def api_key_auth(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_header)],
    timestamp: Annotated[
        str | None,
        Header(
            alias=TIMESTAMP_HEADER,
            max_length=20,
            description="Signed keys: the request time, unix seconds",
        ),
    ] = None,
    signature: Annotated[
        str | None,
        Header(
            alias=SIGNATURE_HEADER,
            max_length=100,
            description='Signed keys: `v1=` + hex HMAC-SHA256(secret, timestamp + "." + body)',
        ),
    ] = None,
) -> ApiKeyPrincipal:
    """The organisation API key of this request (401 problem+json when missing or invalid)."""
    presented = api_key or (bearer.credentials if bearer is not None else None)
    if not presented:
        raise ApiKeyInvalid(
            "This endpoint needs an organisation API key (Authorization: Bearer eco_… or "
            "X-API-Key)",
            code="api-key-required",
        )
    body = await request.body()
    principal = await run_in_threadpool(
        orgs_service.authenticate_api_key,
        session,
        secret=presented,
        timestamp=timestamp,
        signature=signature,
        body=body,
        settings=settings,
        cache=replay_cache(settings.redis_url),
    )
    await hit_rate_limit(
        request,
        f"api-key:{principal.key_id}",
        limit=settings.api_key_rate_limit_per_minute,
        window_s=60,
    )
    return principal


ApiKeyAuth = Annotated[ApiKeyPrincipal, Depends(api_key_auth)]


def _require_scope(scope: ApiScope) -> Callable[[ApiKeyPrincipal], ApiKeyPrincipal]:
    def require_scope(key: ApiKeyAuth) -> ApiKeyPrincipal:
        if not key.allows(scope):
            raise ApiKeyScopeMissing(f"This API key lacks the {scope.value!r} scope")
        return key

    require_scope.__name__ = f"api_key_{scope.value}"
    return require_scope


IngestKey = Annotated[ApiKeyPrincipal, Depends(_require_scope(ApiScope.INGEST))]
ReadKey = Annotated[ApiKeyPrincipal, Depends(_require_scope(ApiScope.READ))]
AdminKey = Annotated[ApiKeyPrincipal, Depends(_require_scope(ApiScope.ADMIN))]


async def org_reader(
    org_id: OrgId,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_header)],
    timestamp: Annotated[str | None, Header(alias=TIMESTAMP_HEADER, max_length=20)] = None,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER, max_length=100)] = None,
) -> OrgAccess:
    """A member (viewer+) of `{org_id}`, or an API key of `{org_id}` with the `read` scope."""
    if _presents_api_key(request):
        key = await api_key_auth(
            request, session, settings, bearer, api_key, timestamp=timestamp, signature=signature
        )
        if key.org_id != org_id:
            raise OrgNotFound(org_id)
        if not key.allows(ApiScope.READ):
            raise ApiKeyScopeMissing("This API key lacks the 'read' scope")
        return OrgAccess(org_id=org_id, api_key_id=key.api_key_id, key_id=key.key_id)
    user = await run_in_threadpool(current_user, request, session)
    ctx = await run_in_threadpool(
        orgs_service.access,
        session,
        org_id=org_id,
        user_id=user.id,
        email=user.email,
        role=OrgRole.VIEWER,
        ip=client_ip(request),
    )
    return OrgAccess(org_id=org_id, user_id=ctx.user_id, role=ctx.role)


OrgReader = Annotated[OrgAccess, Depends(org_reader)]
