"""Small helpers for the identity tests: API calls, the outbox, problem bodies."""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.audit.service import audit_service
from ecotrack.email.service import email_service
from ecotrack.identity.service import (
    PASSWORD_RESET_JOB,
    REGISTRATION_MAIL_JOB,
    identity_service,
)
from tests.jobs import run_jobs_named
from tests.principals import PASSWORD, bearer

PROBLEM_JSON = "application/problem+json"
TOKEN_IN_LINK = re.compile(r"#token=(eto_[A-Za-z0-9_-]+)")
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def api_login(client: Any, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    headers = extra.pop("headers", None)
    return client.post(
        "/api/v1/auth/login", json={"email": email, "password": password, **extra}, headers=headers
    )


def tokens_for(client: Any, email: str, password: str = PASSWORD, **extra: Any) -> dict[str, Any]:
    response = api_login(client, email, password, **extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refresh(client: Any, refresh_token: str) -> Any:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


def me(client: Any, access_token: str) -> Any:
    return client.get("/api/v1/users/me", headers=bearer(access_token))


def problem(response: Any) -> dict[str, Any]:
    """The problem body without `instance` (the request id, different on every request)."""
    assert response.headers["content-type"] == PROBLEM_JSON, response.text
    body: dict[str, Any] = response.json()
    body.pop("instance", None)
    return body


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = problem(response)
    assert body["status"] == status
    assert body["code"] == code
    return body


def assert_unauthorized(response: Any, code: str = "unauthorized") -> None:
    assert_problem(response, 401, code)
    assert response.headers["www-authenticate"] == "Bearer"


def outbox(session: Session, email: str) -> list[Any]:
    session.expire_all()
    return email_service.messages_to(session, to=email.lower())


def link_token(message: Any) -> str:
    match = TOKEN_IN_LINK.search(message.body_text)
    assert match is not None, message.body_text
    return match.group(1)


def audit_actions(session: Session, *, actor_id: int | None = None, prefix: str = "auth.") -> list:
    session.expire_all()
    records, _ = audit_service.list(session, actor_id=actor_id, action=prefix, limit=500)
    return records


def fresh_user(session: Session, user_id: int) -> Any:
    session.expire_all()
    return identity_service.get_user(session, user_id=user_id)


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{secrets.token_hex(5)}@example.org"


def random_password(length: int) -> str:
    """A password of exactly `length` characters that no common-password list holds."""
    alphabet = string.ascii_letters + string.digits + "-_.!"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def account(session: Session, email: str) -> Any:
    """The user row for `email` (which must exist), freshly loaded."""
    session.expire_all()
    user = identity_service.get_user_by_email(session, email=email)
    assert user is not None, email
    return user


def forgot(client: Any, email: str) -> Any:
    """POST forgot-password, then run the reset job it queued (as `serve`'s runner would)."""
    response = client.post("/api/v1/auth/password/forgot", json={"email": email})
    run_jobs_named(PASSWORD_RESET_JOB)
    return response


def register(client: Any, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    """POST register, then run the mail job it queued (as `serve`'s runner would)."""
    response = client.post(
        "/api/v1/auth/register", json={"email": email, "password": password, **extra}
    )
    run_jobs_named(REGISTRATION_MAIL_JOB)
    return response
