"""Registration, login, tokens, passwords, and the signed-in user's own account and sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlalchemy.orm import Session

from ecotrack.core.deps import AppSettings, DbSession, client_ip
from ecotrack.core.errors import problem_responses
from ecotrack.core.settings import Settings
from ecotrack.identity.auth import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    CSRF_HEADER,
    REFRESH_COOKIE,
    Client,
    CurrentUser,
)
from ecotrack.identity.errors import InvalidRefreshToken, PersistingFailure
from ecotrack.identity.schemas import (
    Accepted,
    ChangePassword,
    ForgotPassword,
    Login,
    Refresh,
    ResetPassword,
    SessionInfo,
    TokenPair,
    User,
    UserCreate,
    UserUpdate,
    Verified,
    VerifyEmail,
)
from ecotrack.identity.service import IssuedTokens, identity_service


def auth_rate_limit(request: Request) -> None:
    """Per-IP limit on the credential routes (`ECOTRACK_AUTH_RATE_LIMIT_PER_MINUTE`)."""
    settings: Settings = request.app.state.settings
    request.app.state.rate_limiter.hit(
        f"auth:{client_ip(request)}", limit=settings.auth_rate_limit_per_minute, window_s=60
    )


router = APIRouter()
auth_router = APIRouter(tags=["auth"], prefix="/auth")
me_router = APIRouter(tags=["users"], prefix="/users/me")
SessionId = Annotated[int, Path(ge=1, le=2_147_483_647)]
limited = [Depends(auth_rate_limit)]

REGISTER_ACCEPTED = (
    "If the address can be used, a message is on its way to it: follow its link to confirm the "
    "address, then log in."
)
FORGOT_ACCEPTED = "If the address has an account, a message with a reset link is on its way."


@contextmanager
def keep_failure_records(session: Session) -> Iterator[None]:
    """Commit what a security failure recorded (audit records, revoked token families) before
    the error answers: the request's unit of work would otherwise roll it back."""
    try:
        yield
    except PersistingFailure:
        session.commit()
        raise


def _set_cookie(
    response: Response, settings: Settings, name: str, value: str, *, path: str, max_age: int,
    http_only: bool = True,
) -> None:  # fmt: skip
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        domain=settings.auth_cookie_domain,
        secure=settings.auth_cookie_secure,
        httponly=http_only,
        samesite="lax",
    )


def _token_response(
    issued: IssuedTokens, *, response: Response, settings: Settings, cookies: bool
) -> TokenPair:
    if not cookies:
        return TokenPair(
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_in=issued.expires_in,
        )
    _set_cookie(
        response, settings, ACCESS_COOKIE, issued.access_token, path="/api",
        max_age=issued.expires_in,
    )  # fmt: skip
    _set_cookie(
        response, settings, REFRESH_COOKIE, issued.refresh_token, path="/api/v1/auth",
        max_age=settings.refresh_token_ttl_s,
    )  # fmt: skip
    _set_cookie(
        response, settings, CSRF_COOKIE, issued.csrf_token, path="/",
        max_age=settings.refresh_token_ttl_s, http_only=False,
    )  # fmt: skip
    return TokenPair(
        access_token=None,
        refresh_token=None,
        expires_in=issued.expires_in,
        csrf_token=issued.csrf_token,
    )


def _clear_cookies(response: Response, settings: Settings) -> None:
    for name, path in (
        (ACCESS_COOKIE, "/api"),
        (REFRESH_COOKIE, "/api/v1/auth"),
        (CSRF_COOKIE, "/"),
    ):
        response.delete_cookie(
            name,
            path=path,
            domain=settings.auth_cookie_domain,
            secure=settings.auth_cookie_secure,
            httponly=name != CSRF_COOKIE,
            samesite="lax",
        )


@auth_router.post(
    "/register",
    response_model=Accepted,
    status_code=202,
    dependencies=limited,
    responses=problem_responses(422, 429),
)
def register(
    user_in: UserCreate, session: DbSession, settings: AppSettings, client: Client
) -> Accepted:
    """Create an account. The answer is the same whether or not the address already has one
    (its owner then gets a notice by email instead)."""
    identity_service.register(
        session,
        email=user_in.email,
        password=user_in.password,
        display_name=user_in.display_name,
        client=client,
        settings=settings,
    )
    return Accepted(detail=REGISTER_ACCEPTED)


@auth_router.post(
    "/verify-email",
    response_model=Verified,
    status_code=200,
    dependencies=limited,
    responses=problem_responses(400, 422, 429),
)
def verify_email(verify_in: VerifyEmail, session: DbSession, client: Client) -> Verified:
    """Confirm an email address with the token from the verification message."""
    identity_service.verify_email(session, token=verify_in.token, client=client)
    return Verified()


@auth_router.post(
    "/login",
    response_model=TokenPair,
    status_code=200,
    dependencies=limited,
    responses=problem_responses(401, 403, 422, 429),
)
def login(
    login_in: Login,
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> TokenPair:
    """Exchange email and password for an access token (15 min) and a refresh token (rotated on
    each use, at most 7 days from this login). `use_cookies` puts them in httpOnly cookies."""
    replaces = None
    old_refresh = request.cookies.get(REFRESH_COOKIE)
    if login_in.use_cookies and old_refresh:  # a browser logging in again: end its old session
        replaces = identity_service.session_for_refresh_token(session, refresh_token=old_refresh)
    with keep_failure_records(session):
        issued = identity_service.login(
            session,
            email=login_in.email,
            password=login_in.password,
            client=client,
            settings=settings,
            replaces_session_id=replaces,
        )
    return _token_response(
        issued, response=response, settings=settings, cookies=login_in.use_cookies
    )


@auth_router.post(
    "/refresh",
    response_model=TokenPair,
    status_code=200,
    responses=problem_responses(401, 403, 422),
)
def refresh(
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    client: Client,
    refresh_in: Refresh | None = None,
) -> TokenPair:
    """Rotate the refresh token and get a new access token. Without a body, the refresh cookie
    is used (and `X-CSRF-Token` is required). A token used twice ends its whole session."""
    from_cookie = refresh_in is None or refresh_in.refresh_token is None
    token = request.cookies.get(REFRESH_COOKIE) if from_cookie else refresh_in.refresh_token  # type: ignore[union-attr]
    if not token:
        raise InvalidRefreshToken()
    csrf = (
        (request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER))
        if from_cookie
        else None
    )
    with keep_failure_records(session):
        issued = identity_service.refresh(
            session, refresh_token=token, client=client, settings=settings, csrf=csrf
        )
    return _token_response(issued, response=response, settings=settings, cookies=from_cookie)


@auth_router.post(
    "/logout", response_model=None, status_code=204, responses=problem_responses(401, 403)
)
def logout(
    user: CurrentUser, response: Response, session: DbSession, settings: AppSettings, client: Client
) -> None:
    """End this session (its refresh token and access tokens stop working) and clear cookies."""
    identity_service.logout(session, user_id=user.id, session_id=user.session_id, client=client)
    _clear_cookies(response, settings)


@auth_router.post(
    "/logout-all", response_model=None, status_code=204, responses=problem_responses(401, 403)
)
def logout_all(
    user: CurrentUser, response: Response, session: DbSession, settings: AppSettings, client: Client
) -> None:
    """End every session of the account, on every device."""
    identity_service.logout_all(session, user_id=user.id, client=client)
    _clear_cookies(response, settings)


@auth_router.post(
    "/password/forgot",
    response_model=Accepted,
    status_code=202,
    dependencies=limited,
    responses=problem_responses(422, 429),
)
def forgot_password(forgot_in: ForgotPassword, session: DbSession, client: Client) -> Accepted:
    """Email a password-reset link (valid 30 minutes, once). Same answer for every address."""
    identity_service.forgot_password(session, email=forgot_in.email, client=client)
    return Accepted(detail=FORGOT_ACCEPTED)


@auth_router.post(
    "/password/reset",
    response_model=None,
    status_code=204,
    dependencies=limited,
    responses=problem_responses(400, 422, 429),
)
def reset_password(
    reset_in: ResetPassword, session: DbSession, settings: AppSettings, client: Client
) -> None:
    """Choose a new password with the token from the reset message; every session ends."""
    identity_service.reset_password(
        session,
        token=reset_in.token,
        new_password=reset_in.new_password,
        client=client,
        settings=settings,
    )


@auth_router.post(
    "/password/change",
    response_model=None,
    status_code=204,
    dependencies=limited,
    responses=problem_responses(401, 403, 422, 429),
)
def change_password(
    change_in: ChangePassword,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> None:
    """Change the password (the current one is required); other sessions end."""
    with keep_failure_records(session):
        identity_service.change_password(
            session,
            user_id=user.id,
            session_id=user.session_id,
            current_password=change_in.current_password,
            new_password=change_in.new_password,
            client=client,
            settings=settings,
        )


@me_router.get("", response_model=User, status_code=200, responses=problem_responses(401))
def get_me(user: CurrentUser, session: DbSession) -> User:
    """The signed-in user's profile and preferences."""
    return User.model_validate(identity_service.require_user(session, user_id=user.id))


@me_router.patch(
    "", response_model=User, status_code=200, responses=problem_responses(401, 403, 422)
)
def update_me(user_in: UserUpdate, user: CurrentUser, session: DbSession) -> User:
    """Change profile fields and preferences (only the fields sent)."""
    return User.model_validate(
        identity_service.update_profile(session, user_id=user.id, user_in=user_in)
    )


@me_router.get(
    "/sessions",
    response_model=list[SessionInfo],
    status_code=200,
    responses=problem_responses(401),
)
def list_my_sessions(user: CurrentUser, session: DbSession) -> list[SessionInfo]:
    """Active sessions (logins) of the account, most recently used first."""
    return identity_service.list_sessions(
        session, user_id=user.id, current_session_id=user.session_id
    )


@me_router.delete(
    "/sessions/{session_id}",
    response_model=None,
    status_code=204,
    responses=problem_responses(401, 403, 404),
)
def revoke_my_session(
    session_id: SessionId, user: CurrentUser, session: DbSession, client: Client
) -> None:
    """End one session (log that device out)."""
    identity_service.revoke_session(session, user_id=user.id, session_id=session_id, client=client)


router.include_router(auth_router)
router.include_router(me_router)
