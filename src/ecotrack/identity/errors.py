"""Identity errors. Authentication failures share one body so they reveal nothing."""

from __future__ import annotations

from ecotrack.core.errors import AppError, RateLimited


class Unauthorized(AppError):
    """Missing, invalid or expired credentials (401 with `WWW-Authenticate: Bearer`)."""

    status_code = 401
    code = "unauthorized"

    def __init__(self, detail: str = "Authentication required", *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class CsrfFailed(Forbidden):
    code = "csrf-failed"

    def __init__(self) -> None:
        super().__init__(
            "Cookie-authenticated requests that change state need an X-CSRF-Token header "
            "equal to the csrf_token cookie"
        )


class InvalidToken(AppError):
    """A verification or reset token that is unknown, used or expired (one answer for all)."""

    status_code = 400
    code = "invalid-token"

    def __init__(self) -> None:
        super().__init__("The link is invalid or has expired; request a new one")


class PersistingFailure(AppError):
    """A failure whose side effects (audit record, revoked tokens) must be committed anyway.

    Routes that can raise one commit the session before re-raising (`keep_failure_records`).
    """


class InvalidCredentials(PersistingFailure, Unauthorized):
    def __init__(self) -> None:
        Unauthorized.__init__(self, "Email or password is incorrect", code="invalid-credentials")


class InvalidRefreshToken(PersistingFailure, Unauthorized):
    def __init__(self) -> None:
        Unauthorized.__init__(
            self, "The refresh token is invalid, expired or revoked; log in again",
            code="invalid-refresh-token",
        )  # fmt: skip


class WrongPassword(PersistingFailure, Forbidden):
    code = "wrong-password"

    def __init__(self) -> None:
        Forbidden.__init__(self, "The current password is incorrect")


class AccountDisabled(Forbidden):
    code = "account-disabled"

    def __init__(self) -> None:
        super().__init__("This account is disabled; contact the administrator")


class LoginLocked(PersistingFailure, RateLimited):
    code = "too-many-failures"

    def __init__(self, retry_after: int) -> None:
        RateLimited.__init__(
            self,
            "Too many failed attempts for this account; try again later",
            retry_after=retry_after,
        )
