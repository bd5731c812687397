"""Logout, "log out everywhere", the session list, and the profile (ASVS 7.4.1-7.4.3, 10.4.9,
15.3.3 mass assignment; API3 broken object property level authorisation)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy.orm import Session

from tests.identity.conftest import FakeClock
from tests.identity.helpers import (
    BROWSER_UA,
    assert_problem,
    assert_unauthorized,
    audit_actions,
    fresh_user,
    me,
    refresh,
    tokens_for,
    unique_email,
)
from tests.principals import bearer, make_user

CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)


def _sid(pair: dict[str, Any]) -> int:
    return int(jwt.decode(pair["access_token"], options={"verify_signature": False})["sid"])


def _sessions(client: Any, pair: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/users/me/sessions", headers=bearer(pair["access_token"]))
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


# --- logout -----------------------------------------------------------------------------------


def test_logout_ends_this_session_only(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("logout"))
    this, other = tokens_for(client, user.email), tokens_for(client, user.email)

    response = client.post("/api/v1/auth/logout", headers=bearer(this["access_token"]))

    assert response.status_code == 204
    assert response.content == b""
    assert_unauthorized(me(client, this["access_token"]))  # the access token dies with it
    assert_unauthorized(refresh(client, this["refresh_token"]), "invalid-refresh-token")
    assert me(client, other["access_token"]).status_code == 200
    assert [s["id"] for s in _sessions(client, other)] == [_sid(other)]
    assert "auth.logout" in [r.action for r in audit_actions(session, actor_id=user.id)]


def test_logout_needs_a_live_session(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("logout-twice"))
    pair = tokens_for(client, user.email)
    assert (
        client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"])).status_code == 204
    )
    assert_unauthorized(client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"])))
    assert_unauthorized(client.post("/api/v1/auth/logout"))


def test_logout_all_ends_every_session(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("logout-all"))
    stranger = make_user(session, unique_email("stranger"))
    pairs = [tokens_for(client, user.email) for _ in range(3)]
    theirs = tokens_for(client, stranger.email)

    response = client.post("/api/v1/auth/logout-all", headers=bearer(pairs[0]["access_token"]))

    assert response.status_code == 204
    for pair in pairs:
        assert_unauthorized(me(client, pair["access_token"]))
        assert_unauthorized(refresh(client, pair["refresh_token"]), "invalid-refresh-token")
    assert me(client, theirs["access_token"]).status_code == 200
    records = [r for r in audit_actions(session, actor_id=user.id) if r.action == "auth.logout_all"]
    assert [r.details for r in records] == [{"sessions_revoked": 3}]


# --- the session list -------------------------------------------------------------------------


def test_session_list_shows_device_ip_agent_and_times(
    client: Any, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, unique_email("list"))
    first_at = clock.now
    firefox = tokens_for(client, user.email, headers={"User-Agent": BROWSER_UA})
    clock.advance(minutes=5)
    chrome = tokens_for(client, user.email, headers={"User-Agent": CHROME_MAC})

    rows = _sessions(client, firefox)

    assert [r["id"] for r in rows] == [_sid(chrome), _sid(firefox)]  # most recently used first
    newest, oldest = rows
    assert set(oldest) == {
        "id",
        "device",
        "ip",
        "user_agent",
        "created_at",
        "last_used_at",
        "expires_at",
        "current",
    }
    assert (oldest["device"], oldest["ip"], oldest["user_agent"]) == (
        "Firefox on Linux",
        "testclient",
        BROWSER_UA,
    )
    assert (newest["device"], newest["current"], oldest["current"]) == (
        "Chrome on macOS",
        False,
        True,
    )
    assert oldest["created_at"] == oldest["last_used_at"]
    assert _parse(oldest["created_at"]) == first_at
    assert _parse(oldest["expires_at"]) == first_at + timedelta(days=7)


def test_refresh_moves_last_used(client: Any, session: Session, clock: FakeClock) -> None:
    user = make_user(session, unique_email("last-used"))
    login_at = clock.now
    pair = tokens_for(client, user.email)
    clock.advance(hours=3)
    assert refresh(client, pair["refresh_token"]).status_code == 200

    # (the first access token: JWT times follow the real clock, which stayed behind)
    [row] = _sessions(client, pair)
    assert _parse(row["created_at"]) == login_at
    assert _parse(row["last_used_at"]) == login_at + timedelta(hours=3)


def _parse(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_delete_own_other_session(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("revoke"))
    keep, lost = tokens_for(client, user.email), tokens_for(client, user.email)

    response = client.delete(
        f"/api/v1/users/me/sessions/{_sid(lost)}", headers=bearer(keep["access_token"])
    )

    assert response.status_code == 204
    assert_unauthorized(me(client, lost["access_token"]))
    assert_unauthorized(refresh(client, lost["refresh_token"]), "invalid-refresh-token")
    assert [r["id"] for r in _sessions(client, keep)] == [_sid(keep)]
    # Deleting it again: it is gone.
    again = client.delete(
        f"/api/v1/users/me/sessions/{_sid(lost)}", headers=bearer(keep["access_token"])
    )
    assert_problem(again, 404, "not-found")


def test_delete_another_users_session_is_404_and_changes_nothing(
    client: Any, session: Session
) -> None:
    user = make_user(session, unique_email("attacker"))
    victim = make_user(session, unique_email("victim"))
    mine, theirs = tokens_for(client, user.email), tokens_for(client, victim.email)

    response = client.delete(
        f"/api/v1/users/me/sessions/{_sid(theirs)}", headers=bearer(mine["access_token"])
    )
    missing = client.delete(
        "/api/v1/users/me/sessions/999999", headers=bearer(mine["access_token"])
    )

    assert_problem(response, 404, "not-found")
    assert problem_without_ids(response) == problem_without_ids(missing)
    assert me(client, theirs["access_token"]).status_code == 200
    assert refresh(client, theirs["refresh_token"]).status_code == 200


def problem_without_ids(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    body.pop("instance", None)
    body["detail"] = "".join(c for c in body["detail"] if not c.isdigit())
    return body


@pytest.mark.parametrize("session_id", ["0", "-1", "abc", "2147483648"])
def test_delete_session_refuses_bad_ids(client: Any, session: Session, session_id: str) -> None:
    pair = tokens_for(client, make_user(session, unique_email("bad-id")).email)
    response = client.delete(
        f"/api/v1/users/me/sessions/{session_id}", headers=bearer(pair["access_token"])
    )
    assert_problem(response, 422, "validation-failed")


# --- the profile ------------------------------------------------------------------------------


def test_get_me_shape_has_no_secrets(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("shape"), display_name="Grace")
    body = me(client, tokens_for(client, user.email)["access_token"]).json()
    assert set(body) == {
        "id",
        "email",
        "display_name",
        "country",
        "household_size",
        "units",
        "privacy",
        "role",
        "is_verified",
        "created_at",
    }
    assert body["units"] == {"system": "metric", "energy": "kWh", "distance": "km"}
    assert body["privacy"] == {"profile_visibility": "private", "share_anonymous_statistics": False}
    assert (body["email"], body["display_name"], body["role"]) == (user.email, "Grace", "user")


def test_patch_me_updates_only_profile_fields(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("patch"))
    token = tokens_for(client, user.email)["access_token"]
    changes = {
        "display_name": "Lin",
        "country": "DE",
        "household_size": 3,
        "units": {"system": "imperial", "energy": "MJ", "distance": "mi"},
        "privacy": {"profile_visibility": "organisation", "share_anonymous_statistics": True},
    }
    response = client.patch("/api/v1/users/me", json=changes, headers=bearer(token))
    assert response.status_code == 200
    assert {k: response.json()[k] for k in changes} == changes
    stored = fresh_user(session, user.id)
    assert (stored.display_name, stored.country, stored.household_size) == ("Lin", "DE", 3)
    assert stored.units == changes["units"]
    # Only the fields sent change.
    again = client.patch("/api/v1/users/me", json={"household_size": 4}, headers=bearer(token))
    assert {k: again.json()[k] for k in ("display_name", "household_size")} == {
        "display_name": "Lin",
        "household_size": 4,
    }


@pytest.mark.parametrize(
    "field_value",
    [
        ("is_admin", True),
        ("role", "admin"),
        ("email", "someone-else@example.org"),
        ("is_verified", True),
        ("is_active", False),
        ("password_hash", "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA"),
        ("id", 1),
        ("org_id", 1),
    ],
    ids=lambda fv: fv[0],
)
def test_patch_me_refuses_privileged_fields(
    client: Any, session: Session, field_value: tuple[str, Any]
) -> None:
    name, value = field_value
    user = make_user(session, unique_email("mass"), verified=False)
    before = fresh_user(session, user.id)
    snapshot = (
        before.email,
        before.role,
        before.is_verified,
        before.is_active,
        before.password_hash,
    )
    token = tokens_for(client, user.email)["access_token"]

    response = client.patch(
        "/api/v1/users/me", json={"display_name": "Eve", name: value}, headers=bearer(token)
    )

    body = assert_problem(response, 422, "validation-failed")
    assert [e["loc"] for e in body["errors"]] == [["body", name]]
    after = fresh_user(session, user.id)
    assert (
        after.email,
        after.role,
        after.is_verified,
        after.is_active,
        after.password_hash,
    ) == snapshot
    assert after.display_name is None  # the valid part of the request was not applied either


@pytest.mark.parametrize(
    "changes",
    [
        {"country": "de"},
        {"country": "DEU"},
        {"household_size": 0},
        {"household_size": 51},
        {"display_name": ""},
        {"display_name": "x" * 101},
        {"units": {"system": "imperial", "speed": "knots"}},
        {"privacy": {"profile_visibility": "everyone"}},
    ],
)
def test_patch_me_validates(client: Any, session: Session, changes: dict[str, Any]) -> None:
    user = make_user(session, unique_email("invalid"))
    token = tokens_for(client, user.email)["access_token"]
    response = client.patch("/api/v1/users/me", json=changes, headers=bearer(token))
    assert_problem(response, 422, "validation-failed")


def test_no_response_ever_carries_a_password_hash(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("nohash"))
    pair = tokens_for(client, user.email)
    headers = bearer(pair["access_token"])
    responses = [
        client.post("/api/v1/auth/login", json={"email": user.email, "password": "nope nope 1"}),
        client.get("/api/v1/users/me", headers=headers),
        client.patch("/api/v1/users/me", json={"display_name": "H"}, headers=headers),
        client.get("/api/v1/users/me/sessions", headers=headers),
        refresh(client, pair["refresh_token"]),
    ]
    stored = fresh_user(session, user.id).password_hash
    for response in responses:
        assert "argon2" not in response.text
        assert "password_hash" not in response.text
        assert stored not in response.text
