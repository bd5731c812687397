"""Passwords: storage (ASVS 11.4.2 + Appendix C), rules (6.2.1, 6.2.4, 6.2.5, 6.2.8, 6.2.9,
6.2.12), change (6.2.3) and reset by email (6.4.x, 7.4.3).

Must show (issue 4): the stored password hash is argon2id with parameters at or above the ASVS
floor. Tests hash with the fast "test" profile unless they are about hashing; those build
settings with the production ("strong") profile.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecotrack.core.jobs import JobRecord
from ecotrack.core.settings import Settings, SettingsError
from ecotrack.identity import passwords
from ecotrack.identity.models import UserToken
from ecotrack.identity.router import FORGOT_ACCEPTED
from ecotrack.identity.service import PASSWORD_RESET_JOB, identity_service
from tests.identity.conftest import FakeClock, MakeClient
from tests.identity.helpers import (
    account,
    api_login,
    assert_problem,
    assert_unauthorized,
    audit_actions,
    forgot,
    fresh_user,
    link_token,
    me,
    outbox,
    random_password,
    refresh,
    register,
    tokens_for,
    unique_email,
)
from tests.jobs import run_jobs_named
from tests.principals import PASSWORD, bearer, make_user

PHC = re.compile(
    r"^\$argon2id\$v=19\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)$"
)
ASVS_MIN_MEMORY_KIB = 19456  # Appendix C: argon2id, t = 2, m >= 19 MiB, p = 1
ASVS_MIN_TIME_COST = 2


def phc(password_hash: str) -> dict[str, Any]:
    match = PHC.match(password_hash)
    assert match is not None, password_hash

    def raw(b64: str) -> bytes:
        return base64.b64decode(b64 + "=" * (-len(b64) % 4))

    return {
        "m": int(match["m"]),
        "t": int(match["t"]),
        "p": int(match["p"]),
        "salt": raw(match["salt"]),
        "hash": raw(match["hash"]),
    }


def strong(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update={"password_hash_profile": "strong", **overrides})


# --- storage ----------------------------------------------------------------------------------


def test_stored_hash_is_argon2id_at_or_above_the_asvs_floor(
    make_client: MakeClient, session: Session
) -> None:
    client = make_client(password_hash_profile="strong")
    email = unique_email("phc")
    assert (
        client.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
        ).status_code
        == 202
    )

    stored = account(session, email).password_hash
    params = phc(stored)
    assert params["m"] >= ASVS_MIN_MEMORY_KIB
    assert params["t"] >= ASVS_MIN_TIME_COST
    assert params["p"] == 1
    assert (params["m"], params["t"]) == (19456, 3)  # the shipped defaults
    assert len(params["salt"]) == 16
    assert len(params["hash"]) == 32
    assert PASSWORD not in stored


def test_salts_differ_per_hash(settings: Settings) -> None:
    config = strong(settings)
    first, second = (passwords.hash_password(PASSWORD, config) for _ in range(2))
    assert first != second
    assert phc(first)["salt"] != phc(second)["salt"]


@pytest.mark.parametrize(
    "overrides",
    [{"argon2_memory_kib": 19455}, {"argon2_memory_kib": 12288}, {"argon2_time_cost": 1}],
)
def test_settings_refuse_parameters_below_the_floor(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Settings(env="test", **overrides)


def test_production_refuses_the_test_profile(settings: Settings) -> None:
    with pytest.raises(SettingsError):
        Settings(env="production", secret_key="k" * 40, password_hash_profile="test")
    # ...even if a settings object is forced into that state.
    forced = settings.model_copy(update={"env": "production", "password_hash_profile": "test"})
    with pytest.raises(SettingsError):
        passwords.hash_password(PASSWORD, forced)


def test_login_rehashes_when_parameters_rise(
    make_client: MakeClient, session: Session, settings: Settings
) -> None:
    user = identity_service.create_user(
        session, email=unique_email("rehash"), password=PASSWORD, settings=strong(settings)
    )
    session.commit()
    original = fresh_user(session, user.id).password_hash
    assert (phc(original)["m"], phc(original)["t"]) == (19456, 3)

    same = make_client(password_hash_profile="strong")
    assert api_login(same, user.email).status_code == 200
    assert fresh_user(session, user.id).password_hash == original  # nothing to upgrade

    raised = make_client(
        password_hash_profile="strong", argon2_time_cost=4, argon2_memory_kib=20480
    )
    assert api_login(raised, user.email).status_code == 200
    upgraded = fresh_user(session, user.id).password_hash
    assert (phc(upgraded)["m"], phc(upgraded)["t"], phc(upgraded)["p"]) == (20480, 4, 1)
    assert api_login(raised, user.email).status_code == 200  # the new hash verifies
    assert fresh_user(session, user.id).password_hash == upgraded


def test_failed_login_never_rehashes(
    make_client: MakeClient, session: Session, settings: Settings
) -> None:
    user = make_user(session, unique_email("norehash"))  # test profile: weaker than strong
    original = fresh_user(session, user.id).password_hash
    client = make_client(password_hash_profile="strong")
    assert_unauthorized(api_login(client, user.email, "wrong password 1"), "invalid-credentials")
    assert fresh_user(session, user.id).password_hash == original
    assert api_login(client, user.email).status_code == 200
    assert phc(fresh_user(session, user.id).password_hash)["m"] == 19456


# --- rules --------------------------------------------------------------------------------------


def test_no_truncation_beyond_72_bytes(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("long"), password="a" * 72 + "X")
    assert_unauthorized(api_login(client, user.email, "a" * 72 + "Y"), "invalid-credentials")
    assert_unauthorized(api_login(client, user.email, "a" * 72), "invalid-credentials")
    assert api_login(client, user.email, "a" * 72 + "X").status_code == 200


def test_password_is_verified_exactly_as_typed(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("case"), password="Correct Horse Battery 9")
    for variant in (
        "correct horse battery 9",
        "CORRECT HORSE BATTERY 9",
        "Correct Horse Battery 9 ",
    ):
        assert_unauthorized(api_login(client, user.email, variant), "invalid-credentials")
    assert api_login(client, user.email, "Correct Horse Battery 9").status_code == 200


def test_unicode_passwords_are_normalised_nfc(client: Any, session: Session) -> None:
    composed, decomposed = "Cr\u00e8me br\u00fbl\u00e9e 77", "Cre\u0300me bru\u0302le\u0301e 77"
    user = make_user(session, unique_email("nfc"), password=composed)
    assert api_login(client, user.email, decomposed).status_code == 200


@pytest.mark.parametrize(
    ("length", "status"), [(7, 422), (8, 202), (64, 202), (128, 202), (129, 422)]
)
def test_register_password_length(client: Any, session: Session, length: int, status: int) -> None:
    email = unique_email(f"len{length}")
    response = register(client, email, random_password(length))
    assert response.status_code == status, response.text
    user = identity_service.get_user_by_email(session, email=email)
    if status == 422:
        body = assert_problem(response, 422, "validation-failed")
        assert [e["loc"] for e in body["errors"]] == [["body", "password"]]
        assert user is None
    else:
        assert user is not None


def test_length_counts_characters_not_bytes(client: Any, session: Session) -> None:
    # 128 characters, 256 bytes of UTF-8: allowed, and verified whole.
    password = "\u00e9" * 127 + "x"
    email = unique_email("bytes")
    assert register(client, email, password).status_code == 202
    assert identity_service.get_user_by_email(session, email=email) is not None


@pytest.mark.parametrize("password", ["password123", "PassWord123", "12345678", "qwertyuiop"])
def test_common_passwords_are_refused_at_register(
    client: Any, session: Session, password: str
) -> None:
    email = unique_email("common")
    body = assert_problem(register(client, email, password), 422, "weak-password")
    assert body["errors"] == [
        {
            "loc": ["body", "password"],
            "msg": "is too common (it appears in lists of leaked passwords)",
            "type": "weak_password",
        }
    ]
    assert identity_service.get_user_by_email(session, email=email) is None
    assert outbox(session, email) == []


def test_the_address_itself_is_refused_as_password(client: Any, session: Session) -> None:
    email = unique_email("selfpass")
    for password in (email, email.split("@")[0]):
        body = assert_problem(register(client, email, password), 422, "weak-password")
        assert body["errors"][0]["msg"] == "must not be your email address"


# --- change -------------------------------------------------------------------------------------

NEW_PASSWORD = "a brand new passphrase 77"


def change(client: Any, token: str, **body: Any) -> Any:
    return client.post("/api/v1/auth/password/change", json=body, headers=bearer(token))


def test_change_password_needs_the_current_one(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("change"))
    token = tokens_for(client, user.email)["access_token"]
    before = fresh_user(session, user.id).password_hash

    missing = change(client, token, new_password=NEW_PASSWORD)
    body = assert_problem(missing, 422, "validation-failed")
    assert [e["loc"] for e in body["errors"]] == [["body", "current_password"]]
    wrong = change(client, token, current_password="not it at all", new_password=NEW_PASSWORD)
    assert_problem(wrong, 403, "wrong-password")

    assert fresh_user(session, user.id).password_hash == before
    assert api_login(client, user.email).status_code == 200
    actions = [r.action for r in audit_actions(session, actor_id=user.id)]
    assert "auth.reauthentication_failed" in actions  # kept although the request failed
    assert "auth.password_changed" not in actions


def test_change_password_ends_other_sessions_and_notifies(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("changed"))
    this, other = tokens_for(client, user.email), tokens_for(client, user.email)

    response = change(
        client, this["access_token"], current_password=PASSWORD, new_password=NEW_PASSWORD
    )

    assert response.status_code == 204
    assert_unauthorized(api_login(client, user.email), "invalid-credentials")
    assert api_login(client, user.email, NEW_PASSWORD).status_code == 200
    assert me(client, this["access_token"]).status_code == 200  # this session stays
    assert refresh(client, this["refresh_token"]).status_code == 200
    assert_unauthorized(me(client, other["access_token"]))
    assert_unauthorized(refresh(client, other["refresh_token"]), "invalid-refresh-token")
    messages = outbox(session, user.email)
    assert [m.template for m in messages] == ["notice"]
    assert messages[0].subject == "Your EcoTrack password was changed"
    assert "auth.password_changed" in [r.action for r in audit_actions(session, actor_id=user.id)]


@pytest.mark.parametrize(
    ("new_password", "code"),
    [
        ("password123", "weak-password"),
        ("short7!", "validation-failed"),
        ("x" * 129, "validation-failed"),
    ],
)
def test_change_password_applies_the_rules(
    client: Any, session: Session, new_password: str, code: str
) -> None:
    user = make_user(session, unique_email("change-rules"))
    token = tokens_for(client, user.email)["access_token"]
    before = fresh_user(session, user.id).password_hash
    response = change(client, token, current_password=PASSWORD, new_password=new_password)
    body = assert_problem(response, 422, code)
    assert [e["loc"] for e in body["errors"]] == [["body", "new_password"]]
    assert fresh_user(session, user.id).password_hash == before


# --- forgot and reset ---------------------------------------------------------------------------


def reset(client: Any, token: str, new_password: str = NEW_PASSWORD) -> Any:
    return client.post(
        "/api/v1/auth/password/reset", json={"token": token, "new_password": new_password}
    )


def reset_token(client: Any, session: Session, email: str) -> str:
    response = forgot(client, email)
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "detail": FORGOT_ACCEPTED}
    messages = [m for m in outbox(session, email) if m.template == "password_reset"]
    return link_token(messages[-1])


def test_reset_sets_the_password_and_ends_every_session(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("reset"))
    sessions = [tokens_for(client, user.email) for _ in range(2)]
    token = reset_token(client, session, user.email)
    assert "/reset-password#token=eto_" in outbox(session, user.email)[0].body_text

    response = reset(client, token)

    assert response.status_code == 204
    for pair in sessions:
        assert_unauthorized(me(client, pair["access_token"]))
        assert_unauthorized(refresh(client, pair["refresh_token"]), "invalid-refresh-token")
    assert_unauthorized(api_login(client, user.email), "invalid-credentials")
    assert api_login(client, user.email, NEW_PASSWORD).status_code == 200
    assert [m.template for m in outbox(session, user.email)] == ["password_reset", "notice"]
    assert "auth.password_reset" in [r.action for r in audit_actions(session, actor_id=user.id)]


def test_reset_token_is_single_use(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("reset-once"))
    token = reset_token(client, session, user.email)
    assert reset(client, token).status_code == 204
    assert_problem(reset(client, token, "yet another passphrase 5"), 400, "invalid-token")
    assert api_login(client, user.email, NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(("minutes", "accepted"), [(29, True), (30, False), (31, False)])
def test_reset_token_expires_after_30_minutes(
    client: Any, session: Session, clock: FakeClock, minutes: int, accepted: bool
) -> None:
    user = make_user(session, unique_email("reset-ttl"))
    before = fresh_user(session, user.id).password_hash
    token = reset_token(client, session, user.email)
    clock.advance(minutes=minutes)

    response = reset(client, token)

    if accepted:
        assert response.status_code == 204
        assert fresh_user(session, user.id).password_hash != before
    else:
        assert_problem(response, 400, "invalid-token")
        assert fresh_user(session, user.id).password_hash == before


def test_a_newer_reset_link_retires_the_older_one(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("reset-two"))
    first = reset_token(client, session, user.email)
    second = reset_token(client, session, user.email)
    assert first != second
    assert_problem(reset(client, first), 400, "invalid-token")
    assert reset(client, second).status_code == 204


def test_weak_password_at_reset_keeps_the_token_usable(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("reset-weak"))
    token = reset_token(client, session, user.email)
    body = assert_problem(reset(client, token, "password123"), 422, "weak-password")
    assert body["errors"][0]["loc"] == ["body", "new_password"]
    assert api_login(client, user.email).status_code == 200  # unchanged
    assert reset(client, token).status_code == 204


def test_reset_confirms_an_unverified_address(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("reset-unverified"), verified=False)
    assert reset(client, reset_token(client, session, user.email)).status_code == 204
    assert fresh_user(session, user.id).is_verified is True


def test_forgot_for_unknown_or_disabled_addresses_sends_nothing(
    client: Any, session: Session
) -> None:
    unknown = unique_email("nobody")
    disabled = make_user(session, unique_email("disabled"))
    identity_service.set_active(
        session, user_id=disabled.id, is_active=False, actor_id=disabled.id, client=_client()
    )
    session.commit()
    for email in (unknown, disabled.email):
        response = forgot(client, email)
        assert response.status_code == 202
        assert response.json() == {"status": "accepted", "detail": FORGOT_ACCEPTED}
        assert outbox(session, email) == []


def test_forgot_request_does_the_same_work_for_any_address(client: Any, session: Session) -> None:
    """The request only queues `identity.password_reset` (one job row, whatever the address): no
    lookup result, token or message exists until the job runs, so timing cannot tell them apart."""
    known = make_user(session, unique_email("queued"))
    unknown = unique_email("nobody")
    for email in (known.email.upper(), unknown):
        r = client.post("/api/v1/auth/password/forgot", json={"email": email})
        assert r.status_code == 202
    session.expire_all()
    queued = session.execute(
        select(JobRecord.name, JobRecord.args).where(JobRecord.status == "pending")
    ).all()
    assert [(n, a[0]) for n, a in queued] == [
        (PASSWORD_RESET_JOB, known.email),
        (PASSWORD_RESET_JOB, unknown),
    ]
    assert outbox(session, known.email) == []
    assert session.execute(select(UserToken).where(UserToken.user_id == known.id)).all() == []
    assert audit_actions(session, prefix="auth.password_reset") == []

    assert run_jobs_named(PASSWORD_RESET_JOB) == [PASSWORD_RESET_JOB] * 2
    assert [m.template for m in outbox(session, known.email)] == ["password_reset"]
    assert outbox(session, unknown) == []
    requested = audit_actions(session, prefix="auth.password_reset_requested")
    assert sorted((r.actor_id or 0, r.ip) for r in requested) == [
        (0, "testclient"),
        (known.id, "testclient"),
    ]


def _client() -> Any:
    from ecotrack.identity.service import ClientInfo

    return ClientInfo(ip="127.0.0.1")


@pytest.mark.parametrize("token", ["eto_" + "B" * 43, "etr_" + "B" * 43])
def test_reset_with_unknown_token_is_400(client: Any, token: str) -> None:
    assert_problem(reset(client, token), 400, "invalid-token")


def test_verification_token_is_not_a_reset_token(client: Any, session: Session) -> None:
    email = unique_email("purpose")
    assert register(client, email, PASSWORD).status_code == 202
    verify_token = link_token(outbox(session, email)[0])
    assert_problem(reset(client, verify_token), 400, "invalid-token")
    assert client.post("/api/v1/auth/verify-email", json={"token": verify_token}).status_code == 200
