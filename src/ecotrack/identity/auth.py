"""Typed auth dependencies: `CurrentUser`, `OptionalUser`, `PlatformAdmin`.

A request authenticates with `Authorization: Bearer <access JWT>` or, from the web app, with the
httpOnly access cookie. Cookie-authenticated requests that change state (anything but GET, HEAD,
OPTIONS) must also send `X-CSRF-Token` equal to the `csrf_token` cookie, whose MAC binds it to
the session (403 `csrf-failed` otherwise); bearer requests need no CSRF token.

Every authenticated request re-checks the account (active, not erased) and its session (not
revoked, not expired), so logout, "log out everywhere", disabling and erasure take effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPBearer

from ecotrack.core.deps import DbSession, client_ip
from ecotrack.core.settings import Settings
from ecotrack.identity import tokens
from ecotrack.identity.errors import CsrfFailed, Forbidden, Unauthorized
from ecotrack.identity.service import ClientInfo, identity_service

ACCESS_COOKIE = "ecotrack_access"
REFRESH_COOKIE = "ecotrack_refresh"
CSRF_COOKIE = "csrf_token"  # noqa: S105 - a cookie name
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Declared for the OpenAPI document (security schemes); the checks below do the work.
bearer_scheme = HTTPBearer(auto_error=False, description="Access token from /auth/login")
cookie_scheme = APIKeyCookie(
    name=ACCESS_COOKIE, auto_error=False, description="Web app: httpOnly cookie + X-CSRF-Token"
)


@dataclass(frozen=True)
class AuthUser:
    id: int
    email: str
    role: str
    session_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def request_client(request: Request) -> ClientInfo:
    agent = request.headers.get("user-agent")
    return ClientInfo(ip=client_ip(request), user_agent=agent[:400] if agent else None)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _presented_token(request: Request) -> tuple[str, bool] | None:
    """(token, came from a cookie) or None when the request carries no user credentials."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <access token>'")
        return token.strip(), False
    cookie = request.cookies.get(ACCESS_COOKIE)
    if cookie:
        return cookie, True
    return None


def check_csrf(request: Request, settings: Settings, session_id: int) -> None:
    cookie = request.cookies.get(CSRF_COOKIE)
    header = request.headers.get(CSRF_HEADER)
    if not cookie or not header or cookie != header:
        raise CsrfFailed()
    if not tokens.csrf_valid(settings, session_id, header):
        raise CsrfFailed()


def _authenticate(request: Request, session: DbSession) -> AuthUser | None:
    cached = getattr(request.state, "auth_user", None)
    if cached is not None:
        return cached
    presented = _presented_token(request)
    if presented is None:
        return None
    token, via_cookie = presented
    settings = _settings(request)
    try:
        claims = tokens.decode_access_token(token, settings)
    except tokens.InvalidToken:
        raise Unauthorized("The access token is invalid or expired") from None
    user = identity_service.resolve_access(session, claims=claims)
    if user is None:
        raise Unauthorized("The session has ended; log in again")
    if via_cookie and request.method not in SAFE_METHODS:
        check_csrf(request, settings, claims.session_id)
    auth_user = AuthUser(id=user.id, email=user.email, role=user.role, session_id=claims.session_id)
    request.state.auth_user = auth_user
    return auth_user


def current_user(
    request: Request,
    session: DbSession,
    _bearer: Annotated[object, Depends(bearer_scheme)] = None,
    _cookie: Annotated[object, Depends(cookie_scheme)] = None,
) -> AuthUser:
    """The authenticated user, or 401 problem+json."""
    user = _authenticate(request, session)
    if user is None:
        raise Unauthorized()
    return user


def optional_user(
    request: Request,
    session: DbSession,
    _bearer: Annotated[object, Depends(bearer_scheme)] = None,
    _cookie: Annotated[object, Depends(cookie_scheme)] = None,
) -> AuthUser | None:
    """The authenticated user, None without credentials, 401 for bad credentials."""
    return _authenticate(request, session)


# Routes that take `OptionalUser` add this to their decorator (`openapi_extra=...`): an empty
# security requirement tells clients (and Schemathesis) that credentials are optional there.
OPTIONAL_AUTH_OPENAPI: dict[str, Any] = {"security": [{}]}

CurrentUser = Annotated[AuthUser, Depends(current_user)]
OptionalUser = Annotated[AuthUser | None, Depends(optional_user)]


def platform_admin(user: CurrentUser) -> AuthUser:
    """An authenticated platform admin, or 403."""
    if not user.is_admin:
        raise Forbidden("Platform administrators only", code="admin-only")
    return user


PlatformAdmin = Annotated[AuthUser, Depends(platform_admin)]
Client = Annotated[ClientInfo, Depends(request_client)]


def access_claims(request: Request) -> tokens.AccessClaims | None:
    """The claims of a valid access token, without touching the database (used by the
    maintenance gate, which must stay cheap for everyone else); None without a valid token."""
    try:
        presented = _presented_token(request)
    except Unauthorized:
        return None
    if presented is None:
        return None
    try:
        return tokens.decode_access_token(presented[0], _settings(request))
    except tokens.InvalidToken:
        return None


def access_claims_role(request: Request) -> str | None:
    """The role claimed by a valid access token (no database query); None without one."""
    claims = access_claims(request)
    return None if claims is None else claims.role
