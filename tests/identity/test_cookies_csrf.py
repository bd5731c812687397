"""The web app's path: tokens in httpOnly cookies, CSRF by a session-bound double-submit token
(ASVS 3.3.x cookie attributes, 3.5.x CSRF; 7.2.4 new session on re-login)."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import jwt
import pytest
from sqlalchemy.orm import Session

from ecotrack.core.settings import Settings
from ecotrack.identity import tokens
from tests.identity.conftest import MakeClient
from tests.identity.helpers import (
    api_login,
    assert_problem,
    assert_unauthorized,
    fresh_user,
    tokens_for,
    unique_email,
)
from tests.principals import bearer, make_user

HTTPS = "https://testserver"
CSRF_DETAIL = (
    "Cookie-authenticated requests that change state need an X-CSRF-Token header equal to the "
    "csrf_token cookie"
)


def set_cookies(response: Any) -> dict[str, Any]:
    """name -> Morsel for each Set-Cookie header."""
    out = {}
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        out.update(dict(jar.items()))
    return out


@pytest.fixture
def web(make_client: MakeClient) -> Any:
    """A browser-like client: HTTPS, keeps cookies."""
    return make_client(base_url=HTTPS)


def cookie_login(client: Any, email: str) -> Any:
    response = api_login(client, email, use_cookies=True)
    assert response.status_code == 200, response.text
    return response


def test_cookie_login_sets_hardened_cookies(web: Any, session: Session) -> None:
    user = make_user(session, unique_email("cookie"))
    response = cookie_login(web, user.email)

    body = response.json()
    assert body["access_token"] is None
    assert body["refresh_token"] is None
    assert body["expires_in"] == 900
    cookies = set_cookies(response)
    assert set(cookies) == {"ecotrack_access", "ecotrack_refresh", "csrf_token"}
    access, refresh_cookie, csrf = (
        cookies[n] for n in ("ecotrack_access", "ecotrack_refresh", "csrf_token")
    )
    assert (access["path"], access["max-age"]) == ("/api", "900")
    assert (refresh_cookie["path"], refresh_cookie["max-age"]) == ("/api/v1/auth", "604800")
    assert csrf["path"] == "/"
    for morsel in (access, refresh_cookie):
        assert morsel["httponly"] is True
    assert csrf["httponly"] == ""  # the SPA must read it to echo it
    for morsel in (access, refresh_cookie, csrf):
        assert morsel["secure"] is True
        assert morsel["samesite"].lower() == "lax"
        assert morsel["domain"] == ""
    assert csrf.value == body["csrf_token"]
    assert access.value.count(".") == 2  # the access JWT itself
    assert refresh_cookie.value.startswith("etr_")


def test_secure_flag_follows_the_setting(make_client: MakeClient, session: Session) -> None:
    client = make_client(auth_cookie_secure=False, auth_cookie_domain="testserver.local")
    user = make_user(session, unique_email("insecure"))
    cookies = set_cookies(cookie_login(client, user.email))
    for morsel in cookies.values():
        assert morsel["secure"] == ""
        assert morsel["domain"] == "testserver.local"


def test_cookie_auth_reads_without_csrf(web: Any, session: Session) -> None:
    user = make_user(session, unique_email("reader"))
    cookie_login(web, user.email)
    response = web.get("/api/v1/users/me")  # no Authorization header: the cookie authenticates
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_cookie_auth_state_change_needs_the_csrf_header(web: Any, session: Session) -> None:
    user = make_user(session, unique_email("csrf"))
    csrf = cookie_login(web, user.email).json()["csrf_token"]

    missing = web.patch("/api/v1/users/me", json={"display_name": "Forged"})
    wrong = web.patch(
        "/api/v1/users/me", json={"display_name": "Forged"}, headers={"X-CSRF-Token": "a.b"}
    )

    for response in (missing, wrong):
        body = assert_problem(response, 403, "csrf-failed")
        assert body["detail"] == CSRF_DETAIL
    assert fresh_user(session, user.id).display_name is None

    ok = web.patch(
        "/api/v1/users/me", json={"display_name": "Real"}, headers={"X-CSRF-Token": csrf}
    )
    assert ok.status_code == 200
    assert fresh_user(session, user.id).display_name == "Real"


def test_csrf_header_must_match_the_cookie(web: Any, session: Session) -> None:
    """A header with a valid token of the same session but a different cookie value is refused
    (double submit): an attacker who can set headers cannot also read the victim's cookie."""
    user = make_user(session, unique_email("double"))
    cookie_login(web, user.email)
    sid = _sid(web.cookies.get("ecotrack_access"))
    other_valid = tokens.csrf_token(_settings(web), sid)
    assert other_valid != web.cookies.get("csrf_token")
    response = web.patch(
        "/api/v1/users/me", json={"display_name": "x"}, headers={"X-CSRF-Token": other_valid}
    )
    assert_problem(response, 403, "csrf-failed")


def test_csrf_token_of_another_session_is_refused(
    make_client: MakeClient, session: Session
) -> None:
    """The CSRF token is bound to its session: one minted for the attacker's own session (cookie
    and header both set to it) does not pass for the victim's."""
    victim = make_user(session, unique_email("victim"))
    attacker = make_user(session, unique_email("attacker"))
    attacker_client = make_client(base_url=HTTPS)
    attacker_csrf = cookie_login(attacker_client, attacker.email).json()["csrf_token"]
    web = make_client(base_url=HTTPS)
    cookie_login(web, victim.email)
    web.cookies.delete("csrf_token")
    web.cookies.set("csrf_token", attacker_csrf)

    response = web.patch(
        "/api/v1/users/me", json={"display_name": "x"}, headers={"X-CSRF-Token": attacker_csrf}
    )

    assert_problem(response, 403, "csrf-failed")
    assert fresh_user(session, victim.id).display_name is None


def test_bearer_requests_need_no_csrf(make_client: MakeClient, session: Session) -> None:
    client = make_client(base_url=HTTPS)
    user = make_user(session, unique_email("bearer"))
    token = tokens_for(client, user.email)["access_token"]
    response = client.patch("/api/v1/users/me", json={"display_name": "B"}, headers=bearer(token))
    assert response.status_code == 200
    assert "set-cookie" not in response.headers


def test_cookie_refresh_rotates_and_needs_csrf(web: Any, session: Session) -> None:
    user = make_user(session, unique_email("cookie-refresh"))
    csrf = cookie_login(web, user.email).json()["csrf_token"]
    old_refresh = web.cookies.get("ecotrack_refresh")

    refused = web.post("/api/v1/auth/refresh")
    assert_problem(refused, 403, "csrf-failed")
    assert web.cookies.get("ecotrack_refresh") == old_refresh  # nothing rotated

    response = web.post("/api/v1/auth/refresh", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    body = response.json()
    assert body["access_token"] is None
    assert body["refresh_token"] is None
    cookies = set_cookies(response)
    assert set(cookies) == {"ecotrack_access", "ecotrack_refresh", "csrf_token"}
    assert cookies["ecotrack_refresh"].value != old_refresh
    assert body["csrf_token"] == cookies["csrf_token"].value
    # The cookie's old refresh token is spent: presenting it again revokes the family.
    replay = web.post("/api/v1/auth/refresh", json={"refresh_token": old_refresh})
    assert_unauthorized(replay, "invalid-refresh-token")
    assert_unauthorized(web.get("/api/v1/users/me"))


def test_cookie_logout_needs_csrf_and_clears_cookies(web: Any, session: Session) -> None:
    user = make_user(session, unique_email("cookie-logout"))
    csrf = cookie_login(web, user.email).json()["csrf_token"]
    access = web.cookies.get("ecotrack_access")

    assert_problem(web.post("/api/v1/auth/logout"), 403, "csrf-failed")
    assert web.get("/api/v1/users/me").status_code == 200  # still signed in

    response = web.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    cleared = set_cookies(response)
    assert set(cleared) == {"ecotrack_access", "ecotrack_refresh", "csrf_token"}
    assert all(m["max-age"] == "0" for m in cleared.values())
    assert web.cookies.get("ecotrack_access") is None
    assert_unauthorized(web.get("/api/v1/users/me", headers=bearer(access)))


def test_cookie_relogin_ends_the_previous_session(web: Any, session: Session) -> None:
    """ASVS 7.2.4: a new login from the same browser replaces its old session."""
    user = make_user(session, unique_email("relogin"))
    cookie_login(web, user.email)
    old_access = web.cookies.get("ecotrack_access")
    old_refresh = web.cookies.get("ecotrack_refresh")

    cookie_login(web, user.email)

    assert_unauthorized(web.get("/api/v1/users/me", headers=bearer(old_access)))
    assert_unauthorized(
        web.post("/api/v1/auth/refresh", json={"refresh_token": old_refresh}),
        "invalid-refresh-token",
    )
    assert web.get("/api/v1/users/me").status_code == 200


def test_cookie_relogin_as_someone_else_leaves_the_other_account_alone(
    web: Any, session: Session
) -> None:
    first = make_user(session, unique_email("first"))
    second = make_user(session, unique_email("second"))
    cookie_login(web, first.email)
    first_access = web.cookies.get("ecotrack_access")
    cookie_login(web, second.email)
    # The refresh cookie belonged to `first`: `second`'s login may not end it.
    assert web.get("/api/v1/users/me", headers=bearer(first_access)).status_code == 200
    assert web.get("/api/v1/users/me").json()["email"] == second.email


def test_csrf_tokens_are_session_bound(settings: Settings) -> None:
    token = tokens.csrf_token(settings, 7)
    assert tokens.csrf_valid(settings, 7, token)
    assert not tokens.csrf_valid(settings, 8, token)
    nonce, mac = token.split(".")
    for bad in ("", ".", nonce, f"{nonce}.", f".{mac}", f"{nonce}.{mac[:-1]}", f"x{nonce}.{mac}"):
        assert not tokens.csrf_valid(settings, 7, bad)
    assert tokens.csrf_token(settings, 7) != token  # a fresh nonce each time


def _sid(access_token: str | None) -> int:
    assert access_token is not None
    return int(jwt.decode(access_token, options={"verify_signature": False})["sid"])


def _settings(client: Any) -> Settings:
    settings: Settings = client.app.state.settings
    return settings
