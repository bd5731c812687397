"""Registration and email verification (issue 4 item 1; ASVS 6.3.8 for the enumeration part)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecotrack.core.jobs import JobRecord
from ecotrack.identity.models import User, UserToken
from ecotrack.identity.router import REGISTER_ACCEPTED
from ecotrack.identity.service import (
    ALREADY_REGISTERED,
    REGISTERED,
    REGISTRATION_MAIL_JOB,
    identity_service,
)
from tests.identity.conftest import FakeClock
from tests.identity.helpers import (
    account,
    api_login,
    assert_problem,
    audit_actions,
    fresh_user,
    link_token,
    outbox,
    register,
    unique_email,
)
from tests.jobs import run_jobs_named
from tests.principals import PASSWORD, make_user

ACCEPTED = {"status": "accepted", "detail": REGISTER_ACCEPTED}


def users_with(session: Session, email: str) -> int:
    session.expire_all()
    stmt = select(func.count()).select_from(User).where(User.email == email.lower())
    return int(session.execute(stmt).scalar_one())


def test_register_creates_an_unverified_account_and_emails_a_link(
    client: Any, session: Session
) -> None:
    email = unique_email("new")
    response = register(client, email, display_name="Ada")

    assert response.status_code == 202
    assert response.json() == ACCEPTED
    user = identity_service.get_user_by_email(session, email=email)
    assert user is not None
    assert (user.email, user.display_name, user.role) == (email, "Ada", "user")
    assert user.is_verified is False
    assert user.verified_at is None
    assert user.password_hash.startswith("$argon2id$")
    messages = outbox(session, email)
    assert [m.template for m in messages] == ["verify_email"]
    assert messages[0].status == "pending"
    link_token(messages[0])  # the link carries a one-time token in its fragment
    assert "/verify-email#token=eto_" in messages[0].body_text
    assert [r.action for r in audit_actions(session, actor_id=user.id)] == ["auth.registered"]


def test_register_stores_the_address_lower_cased(client: Any, session: Session) -> None:
    email = unique_email("Mixed").replace("Mixed", "MiXeD")
    assert register(client, email).status_code == 202
    user = identity_service.get_user_by_email(session, email=email)
    assert user is not None
    assert user.email == email.lower()


def test_register_with_a_taken_address_answers_the_same_and_notifies_the_owner(
    client: Any, session: Session
) -> None:
    owner = make_user(session, unique_email("owner"), display_name="Owner")
    before_hash = owner.password_hash

    taken = register(client, owner.email.upper(), "another password 99", display_name="Mallory")
    fresh = register(client, unique_email("fresh"))

    assert taken.status_code == fresh.status_code == 202
    assert taken.json() == fresh.json() == ACCEPTED
    assert users_with(session, owner.email) == 1
    kept = fresh_user(session, owner.id)
    assert kept.password_hash == before_hash  # the second registration changed nothing
    assert kept.display_name == "Owner"
    messages = outbox(session, owner.email)
    assert [m.template for m in messages] == ["existing_account"]
    assert "already has one" in messages[0].body_text
    assert "#token=" not in messages[0].body_text  # verified already: no link to confirm
    actions = [r.action for r in audit_actions(session, actor_id=owner.id)]
    assert "auth.register_existing" in actions


def test_register_again_while_unverified_sends_a_fresh_working_link(
    client: Any, session: Session
) -> None:
    email = unique_email("twice")
    assert register(client, email).status_code == 202
    first = link_token(outbox(session, email)[0])
    assert register(client, email).status_code == 202

    messages = outbox(session, email)
    assert [m.template for m in messages] == ["verify_email", "existing_account"]
    second = link_token(messages[1])
    assert second != first
    # Only the newest link works: issuing one retires the older ones.
    stale = client.post("/api/v1/auth/verify-email", json={"token": first})
    assert_problem(stale, 400, "invalid-token")
    assert client.post("/api/v1/auth/verify-email", json={"token": second}).status_code == 200


def test_register_request_does_the_same_work_for_any_address(client: Any, session: Session) -> None:
    """Both paths hash, try one insert and queue one `identity.registration_mail` job: the
    lookup, the token, the message and the audit record come with the job, so timing cannot
    tell a taken address from a free one."""
    taken = make_user(session, unique_email("taken"))
    free = unique_email("free")
    for email in (taken.email, free):
        r = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
        assert r.status_code == 202
    session.expire_all()
    queued = session.execute(
        select(JobRecord.name, JobRecord.args).where(JobRecord.status == "pending")
    ).all()
    assert [(n, a[:2]) for n, a in queued] == [
        (REGISTRATION_MAIL_JOB, [taken.email, ALREADY_REGISTERED]),
        (REGISTRATION_MAIL_JOB, [free, REGISTERED]),
    ]
    assert users_with(session, free) == 1  # the account exists before the job runs
    assert outbox(session, taken.email) == outbox(session, free) == []
    assert session.execute(select(UserToken)).all() == []

    assert run_jobs_named(REGISTRATION_MAIL_JOB) == [REGISTRATION_MAIL_JOB] * 2
    assert [m.template for m in outbox(session, taken.email)] == ["existing_account"]
    assert [m.template for m in outbox(session, free)] == ["verify_email"]


def test_register_refuses_privileged_fields(client: Any, session: Session) -> None:
    email = unique_email("sneaky")
    for extra in ({"role": "admin"}, {"is_admin": True}, {"is_verified": True}):
        response = register(client, email, **extra)
        body = assert_problem(response, 422, "validation-failed")
        assert body["errors"][0]["loc"] == ["body", next(iter(extra))]
    assert users_with(session, email) == 0
    assert outbox(session, email) == []


def test_register_returns_no_tokens_and_does_not_log_in(client: Any, session: Session) -> None:
    email = unique_email("nologin")
    response = register(client, email)
    assert set(response.json()) == {"status", "detail"}
    assert "set-cookie" not in response.headers
    user = account(session, email)
    assert identity_service.list_sessions(session, user_id=user.id, current_session_id=None) == []


def test_verify_email_is_single_use(client: Any, session: Session) -> None:
    email = unique_email("verify")
    register(client, email)
    token = link_token(outbox(session, email)[0])

    first = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert first.status_code == 200
    assert first.json() == {"status": "verified"}
    user = account(session, email)
    assert user.is_verified is True
    verified_at = user.verified_at
    assert verified_at is not None

    again = client.post("/api/v1/auth/verify-email", json={"token": token})
    body = assert_problem(again, 400, "invalid-token")
    assert body["detail"] == "The link is invalid or has expired; request a new one"
    assert fresh_user(session, user.id).verified_at == verified_at
    assert "auth.email_verified" in [r.action for r in audit_actions(session, actor_id=user.id)]


@pytest.mark.parametrize(
    ("hours", "accepted"), [(47.99, True), (48, False), (49, False)], ids=["inside", "at", "past"]
)
def test_verify_email_link_expires_after_48_hours(
    client: Any, session: Session, clock: FakeClock, hours: float, accepted: bool
) -> None:
    email = unique_email("expiry")
    register(client, email)
    token = link_token(outbox(session, email)[0])
    clock.advance(hours=hours)

    response = client.post("/api/v1/auth/verify-email", json={"token": token})

    user = account(session, email)
    if accepted:
        assert response.status_code == 200
        assert user.is_verified is True
    else:
        assert_problem(response, 400, "invalid-token")
        assert user.is_verified is False


@pytest.mark.parametrize(
    ("token", "status"),
    [
        ("eto_" + "A" * 43, 400),  # well-formed, unknown
        ("etr_" + "A" * 43, 400),  # a refresh-token lookalike is no verification token
        ("short", 422),
    ],
)
def test_verify_email_refuses_unknown_tokens(client: Any, token: str, status: int) -> None:
    response = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert_problem(response, status, "invalid-token" if status == 400 else "validation-failed")


def test_unverified_accounts_can_log_in(client: Any, session: Session) -> None:
    """Documented behaviour: an unconfirmed address does not block login; features that need a
    confirmed address (accepting organisation invitations) check `is_verified` themselves, and
    `GET /users/me` shows it."""
    user = make_user(session, unique_email("unverified"), verified=False)
    response = api_login(client, user.email)
    assert response.status_code == 200
    me = client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["is_verified"] is False
