"""Brute force: at most 100 failed logins per account per hour, per-IP limits on the credential
routes, 429 with Retry-After (ASVS 6.1.1 / 6.3.1, 4.0.3 2.2.1, 2.4.1; API4/API6)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from ecotrack.identity.lockout import WINDOW_S, MemoryFailureCounter, RedisFailureCounter
from tests.identity.conftest import MakeClient
from tests.identity.helpers import (
    api_login,
    assert_problem,
    assert_unauthorized,
    audit_actions,
    problem,
    unique_email,
)
from tests.principals import make_user

LOCKED_DETAIL = "Too many failed attempts for this account; try again later"
ROOMY = {"auth_rate_limit_per_minute": 10_000, "rate_limit_per_minute": 100_000}


def _retry_after(response: Any) -> int:
    value = int(response.headers["retry-after"])
    assert 1 <= value <= WINDOW_S + 1
    return value


def test_101st_login_for_one_account_within_an_hour_is_429(
    make_client: MakeClient, session: Session
) -> None:
    client = make_client(**ROOMY)
    victim = make_user(session, unique_email("victim"))
    bystander = make_user(session, unique_email("bystander"))

    for attempt in range(100):
        response = api_login(client, victim.email, f"guess number {attempt}")
        assert response.status_code == 401, f"attempt {attempt + 1}: {response.text}"

    locked = api_login(client, victim.email, "guess number 100")
    body = assert_problem(locked, 429, "too-many-failures")
    assert body["detail"] == LOCKED_DETAIL
    assert _retry_after(locked) > 3500  # the oldest failure leaves the window in about an hour
    # Locked means locked: the right password does not get through either...
    assert_problem(api_login(client, victim.email), 429, "too-many-failures")
    # ...but another account from the same IP still logs in (no malicious lockout of everyone).
    assert api_login(client, bystander.email).status_code == 200
    records = [
        r for r in audit_actions(session, actor_id=victim.id) if r.action == "auth.login_locked"
    ]
    assert len(records) == 2
    assert records[0].details == {"failures_last_hour": 100}
    failed = [
        r for r in audit_actions(session, actor_id=victim.id) if r.action == "auth.login_failed"
    ]
    assert len(failed) == 100


def test_lockout_of_unknown_and_known_accounts_looks_the_same(
    make_client: MakeClient, session: Session
) -> None:
    client = make_client(login_max_failures_per_hour=3, **ROOMY)
    known = make_user(session, unique_email("known"))
    unknown = unique_email("unknown")
    for _ in range(3):
        assert_unauthorized(api_login(client, known.email, "wrong guess 1"), "invalid-credentials")
        assert_unauthorized(api_login(client, unknown, "wrong guess 1"), "invalid-credentials")

    locked_known = api_login(client, known.email, "wrong guess 1")
    locked_unknown = api_login(client, unknown, "wrong guess 1")

    assert locked_known.status_code == locked_unknown.status_code == 429
    assert problem(locked_known) == problem(locked_unknown)
    assert abs(_retry_after(locked_known) - _retry_after(locked_unknown)) <= 2


def test_a_successful_login_clears_the_failures(make_client: MakeClient, session: Session) -> None:
    client = make_client(login_max_failures_per_hour=3, **ROOMY)
    user = make_user(session, unique_email("clears"))
    for _ in range(2):
        assert_unauthorized(api_login(client, user.email, "wrong guess 2"), "invalid-credentials")
    assert api_login(client, user.email).status_code == 200
    for _ in range(2):
        assert_unauthorized(api_login(client, user.email, "wrong guess 2"), "invalid-credentials")
    assert api_login(client, user.email).status_code == 200


def test_failed_reauthentication_counts_towards_the_lockout(
    make_client: MakeClient, session: Session
) -> None:
    client = make_client(login_max_failures_per_hour=2, **ROOMY)
    user = make_user(session, unique_email("reauth"))
    token = api_login(client, user.email).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"current_password": "not my password", "new_password": "a brand new passphrase 1"}
    for _ in range(2):
        response = client.post("/api/v1/auth/password/change", json=body, headers=headers)
        assert_problem(response, 403, "wrong-password")
    response = client.post("/api/v1/auth/password/change", json=body, headers=headers)
    assert_problem(response, 429, "too-many-failures")
    assert_problem(api_login(client, user.email), 429, "too-many-failures")


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/api/v1/auth/login", {"email": "ip@example.org", "password": "whatever it is"}),
        ("/api/v1/auth/register", {"email": "ip@example.org", "password": "a fine passphrase 1"}),
        ("/api/v1/auth/password/forgot", {"email": "ip@example.org"}),
        ("/api/v1/auth/verify-email", {"token": "eto_" + "C" * 43}),
        ("/api/v1/auth/password/reset", {"token": "eto_" + "C" * 43, "new_password": "x" * 12}),
    ],
)
def test_per_ip_limit_on_credential_routes(
    make_client: MakeClient, path: str, payload: dict[str, Any]
) -> None:
    client = make_client(auth_rate_limit_per_minute=3)
    statuses = [client.post(path, json=payload).status_code for _ in range(3)]
    assert 429 not in statuses

    limited = client.post(path, json=payload)

    body = assert_problem(limited, 429, "rate-limited")
    assert body["detail"] == "Too many requests: at most 3 per 60 s"
    assert 1 <= int(limited.headers["retry-after"]) <= 61
    # Another address is not affected.
    with TestClient(client.app, client=("198.51.100.7", 50000)) as other:
        assert other.post(path, json=payload).status_code == statuses[0]


def test_per_ip_limit_is_shared_by_the_credential_routes(
    make_client: MakeClient, session: Session
) -> None:
    client = make_client(auth_rate_limit_per_minute=2)
    user = make_user(session, unique_email("shared"))
    token = api_login(client, user.email).json()["access_token"]
    assert (
        client.post("/api/v1/auth/password/forgot", json={"email": user.email}).status_code == 202
    )
    assert_problem(api_login(client, user.email), 429, "rate-limited")
    # Other routes keep working (they have the general API limit only).
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200


# --- the counters ---------------------------------------------------------------------------


class Ticker:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_memory_counter_window_slides() -> None:
    ticker = Ticker()
    counter = MemoryFailureCounter(clock=ticker)
    for offset in (0, 10, 20):
        ticker.now = 1_000_000.0 + offset
        counter.add("acct:x")
    assert counter.failures("acct:x") == (3, WINDOW_S - 20 + 1)
    assert counter.failures("acct:y") == (0, 0)

    ticker.now = 1_000_000.0 + WINDOW_S + 5  # the first failure has left the window
    assert counter.failures("acct:x") == (2, 6)
    ticker.now = 1_000_000.0 + WINDOW_S + 20
    assert counter.failures("acct:x") == (0, 0)
    counter.add("acct:x")
    counter.clear("acct:x")
    assert counter.failures("acct:x") == (0, 0)


@pytest.mark.redis
def test_redis_counter_counts_and_clears(redis_url: str) -> None:
    counter = RedisFailureCounter(redis_url, prefix=f"ecotrack-test:lf:{secrets.token_hex(6)}:")
    try:
        assert counter.failures("acct:a") == (0, 0)
        for _ in range(3):
            counter.add("acct:a")
        count, retry_after = counter.failures("acct:a")
        assert count == 3
        assert WINDOW_S - 5 <= retry_after <= WINDOW_S + 1
        assert counter.failures("acct:b") == (0, 0)
        counter.clear("acct:a")
        assert counter.failures("acct:a") == (0, 0)
    finally:
        counter.clear("acct:a")
        counter.clear("acct:b")
