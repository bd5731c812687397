"""Login and access tokens (ASVS 9.1.1-9.1.3, 9.2.1-9.2.3, 7.2.3; API2 broken authentication).

Every forged or misused access token is answered 401 problem+json with `WWW-Authenticate: Bearer`,
and the untouched token (re-signed the same way) is accepted, so each 401 is due to the one thing
the case changes.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session

from ecotrack.core.db import utcnow
from ecotrack.core.settings import Settings
from ecotrack.identity import tokens
from tests.identity.helpers import (
    api_login,
    assert_problem,
    assert_unauthorized,
    audit_actions,
    me,
    refresh,
    tokens_for,
    unique_email,
)
from tests.principals import PASSWORD, admin_headers, bearer, make_user

REFRESH_FORMAT = re.compile(r"^etr_[A-Za-z0-9_-]{43}$")  # 32 bytes of CSPRNG output, base64url


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_login_returns_the_token_pair(client: Any, session: Session, settings: Settings) -> None:
    user = make_user(session, unique_email("login"))
    response = api_login(client, user.email, headers={"User-Agent": "pytest-agent"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "csrf_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["csrf_token"] is None  # bearer mode: no cookies, no CSRF token
    assert "set-cookie" not in response.headers
    assert REFRESH_FORMAT.match(body["refresh_token"])
    assert me(client, body["access_token"]).json()["email"] == user.email
    actions = [r.action for r in audit_actions(session, actor_id=user.id)]
    assert actions == ["auth.login_succeeded"]


def test_access_token_claims_and_lifetime(
    client: Any, session: Session, settings: Settings
) -> None:
    user = make_user(session, unique_email("claims"))
    token = tokens_for(client, user.email)["access_token"]

    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(
        token, tokens.jwt_key(settings), algorithms=["HS256"], audience="ecotrack-api"
    )
    assert set(claims) == {"iss", "aud", "sub", "sid", "typ", "role", "iat", "exp", "jti"}
    assert (claims["iss"], claims["aud"], claims["typ"]) == ("ecotrack", "ecotrack-api", "access")
    assert claims["sub"] == str(user.id)
    assert claims["role"] == "user"
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert abs(claims["iat"] - utcnow().timestamp()) < 60


def test_tokens_are_fresh_on_every_login(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("fresh"))
    first, second = tokens_for(client, user.email), tokens_for(client, user.email)
    assert first["refresh_token"] != second["refresh_token"]
    assert first["access_token"] != second["access_token"]
    claims = [
        jwt.decode(t["access_token"], options={"verify_signature": False}) for t in (first, second)
    ]
    assert claims[0]["sid"] != claims[1]["sid"]
    assert claims[0]["jti"] != claims[1]["jti"]


def test_wrong_password_is_401_problem(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("wrong"))
    response = api_login(client, user.email, PASSWORD + "!")
    assert_unauthorized(response, "invalid-credentials")
    assert response.json()["detail"] == "Email or password is incorrect"
    assert [r.action for r in audit_actions(session, actor_id=user.id)] == ["auth.login_failed"]


# --- forged and misused access tokens -------------------------------------------------------

Forge = Callable[[dict[str, Any], bytes, str], str]


def _resign(claims: dict[str, Any], key: bytes, _token: str) -> str:
    return jwt.encode(claims, key, algorithm="HS256", headers={"typ": "JWT"})


def _with(**changes: Any) -> Forge:
    def forge(claims: dict[str, Any], key: bytes, _token: str) -> str:
        return jwt.encode({**claims, **changes}, key, algorithm="HS256", headers={"typ": "JWT"})

    return forge


def _without(name: str) -> Forge:
    def forge(claims: dict[str, Any], key: bytes, _token: str) -> str:
        return jwt.encode({k: v for k, v in claims.items() if k != name}, key, algorithm="HS256")

    return forge


def _header(**extra: Any) -> Forge:
    def forge(claims: dict[str, Any], key: bytes, _token: str) -> str:
        return jwt.encode(claims, key, algorithm="HS256", headers={"typ": "JWT", **extra})

    return forge


def _alg_none(claims: dict[str, Any], _key: bytes, _token: str) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def _alg_none_keeping_signature(claims: dict[str, Any], _key: bytes, token: str) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.{token.rsplit('.', 1)[1]}"


def _alg(algorithm: str) -> Forge:
    def forge(claims: dict[str, Any], key: bytes, _token: str) -> str:
        return jwt.encode(claims, key, algorithm=algorithm)

    return forge


def _rs256(claims: dict[str, Any], _key: bytes, _token: str) -> str:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, private, algorithm="RS256")


def _wrong_key(claims: dict[str, Any], _key: bytes, _token: str) -> str:
    return jwt.encode(claims, b"x" * 64, algorithm="HS256", headers={"typ": "JWT"})


def _truncated(_claims: dict[str, Any], _key: bytes, token: str) -> str:
    return token[:-6]


def _no_signature(_claims: dict[str, Any], _key: bytes, token: str) -> str:
    return token.rsplit(".", 1)[0] + "."


def _tampered_payload(claims: dict[str, Any], _key: bytes, token: str) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{_b64({**claims, 'role': 'admin'})}.{signature}"


def _expired(claims: dict[str, Any], key: bytes, _token: str) -> str:
    now = int(utcnow().timestamp())
    past = {**claims, "iat": now - 16 * 60, "exp": now - 60}  # beyond the 5 s leeway
    return jwt.encode(past, key, algorithm="HS256", headers={"typ": "JWT"})


def _issued_in_future(claims: dict[str, Any], key: bytes, _token: str) -> str:
    now = int(utcnow().timestamp())
    future = {**claims, "iat": now + 3600, "exp": now + 3600 + 900}
    return jwt.encode(future, key, algorithm="HS256", headers={"typ": "JWT"})


FORGERIES: dict[str, Forge] = {
    "alg-none": _alg_none,
    "alg-none-with-signature": _alg_none_keeping_signature,
    "alg-HS384": _alg("HS384"),
    "alg-HS512": _alg("HS512"),
    "alg-RS256": _rs256,
    "wrong-key": _wrong_key,
    "truncated-signature": _truncated,
    "no-signature": _no_signature,
    "tampered-payload": _tampered_payload,
    "embedded-jwk": _header(jwk={"kty": "oct", "k": base64.urlsafe_b64encode(b"k" * 32).decode()}),
    "jku-header": _header(jku="https://attacker.example/jwks.json"),
    "x5u-header": _header(x5u="https://attacker.example/cert.pem"),
    "kid-header": _header(kid="../../dev/null"),
    "crit-header": _header(crit=["exp"]),
    "wrong-aud": _with(aud="another-api"),
    "wrong-iss": _with(iss="someone-else"),
    "typ-refresh": _with(typ="refresh"),
    "expired": _expired,
    "iat-in-future": _issued_in_future,
    "sid-not-an-int": _with(sid="1"),
    "sid-of-no-session": _with(sid=2_000_000_000),
    **{f"missing-{name}": _without(name) for name in tokens.REQUIRED_CLAIMS},
}


@pytest.fixture
def signed_in(client: Any, session: Session, settings: Settings) -> dict[str, Any]:
    user = make_user(session, unique_email("forge"))
    token = tokens_for(client, user.email)["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    return {"token": token, "claims": claims, "key": tokens.jwt_key(settings)}


def test_the_forging_harness_itself_is_accepted(client: Any, signed_in: dict[str, Any]) -> None:
    assert me(client, signed_in["token"]).status_code == 200
    resigned = _resign(signed_in["claims"], signed_in["key"], signed_in["token"])
    assert me(client, resigned).status_code == 200


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_or_misused_access_tokens_are_401(
    client: Any, signed_in: dict[str, Any], name: str
) -> None:
    forged = FORGERIES[name](signed_in["claims"], signed_in["key"], signed_in["token"])
    assert forged != signed_in["token"]
    assert_unauthorized(me(client, forged))
    # A state-changing route refuses it as well, and nothing changes.
    patch = client.patch("/api/v1/users/me", json={"display_name": "x"}, headers=bearer(forged))
    assert_unauthorized(patch)
    assert me(client, signed_in["token"]).json()["display_name"] is None


def test_access_token_is_accepted_until_its_15_minutes_end(
    client: Any, session: Session, settings: Settings
) -> None:
    user = make_user(session, unique_email("ttl"))
    sid = jwt.decode(
        tokens_for(client, user.email)["access_token"], options={"verify_signature": False}
    )["sid"]
    now = utcnow()
    young, _ = tokens.issue_access_token(
        settings, user_id=user.id, session_id=sid, role="user", now=now - timedelta(minutes=14)
    )
    old, _ = tokens.issue_access_token(
        settings,
        user_id=user.id,
        session_id=sid,
        role="user",
        now=now - timedelta(minutes=15, seconds=10),
    )
    assert me(client, young).status_code == 200
    assert_unauthorized(me(client, old))


def test_refresh_token_is_not_a_bearer_token(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("rt-bearer"))
    pair = tokens_for(client, user.email)
    assert_unauthorized(me(client, pair["refresh_token"]))
    # ...nor is an access token a refresh token (too long to even be one).
    assert_problem(refresh(client, pair["access_token"]), 422, "validation-failed")
    assert refresh(client, pair["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    "authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc.def.ghi", "garbage"]
)
def test_malformed_authorization_headers_are_401(client: Any, authorization: str) -> None:
    response = client.get("/api/v1/users/me", headers={"Authorization": authorization})
    assert_unauthorized(response)


def test_no_credentials_is_401(client: Any) -> None:
    assert_unauthorized(client.get("/api/v1/users/me"))


def test_role_claim_grants_nothing_the_account_does_not_have(
    client: Any, session: Session, settings: Settings
) -> None:
    """The role in a token is informational: admin routes look the account up."""
    user = make_user(session, unique_email("role"))
    sid = jwt.decode(
        tokens_for(client, user.email)["access_token"], options={"verify_signature": False}
    )["sid"]
    token, _ = tokens.issue_access_token(settings, user_id=user.id, session_id=sid, role="admin")
    assert me(client, token).json()["role"] == "user"
    response = client.get("/api/v1/admin/users", headers=bearer(token))
    assert_problem(response, 403, "admin-only")


def test_disabled_account_loses_access_and_refresh_at_once(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("disabled"))
    pair = tokens_for(client, user.email)
    assert me(client, pair["access_token"]).status_code == 200

    disable = client.patch(
        f"/api/v1/admin/users/{user.id}", json={"is_active": False}, headers=admin_headers(session)
    )
    assert disable.status_code == 200
    assert disable.json()["is_active"] is False

    assert_unauthorized(me(client, pair["access_token"]))
    assert_unauthorized(refresh(client, pair["refresh_token"]), "invalid-refresh-token")
    # The right password now meets a clear 403 (only someone who knows it learns the state).
    assert_problem(api_login(client, user.email), 403, "account-disabled")
    assert_unauthorized(api_login(client, user.email, "not the password"), "invalid-credentials")


def test_reenabled_account_can_log_in_again_but_old_sessions_stay_dead(
    client: Any, session: Session
) -> None:
    user = make_user(session, unique_email("reenabled"))
    pair = tokens_for(client, user.email)
    admin = admin_headers(session)
    url = f"/api/v1/admin/users/{user.id}"
    assert client.patch(url, json={"is_active": False}, headers=admin).status_code == 200
    assert client.patch(url, json={"is_active": True}, headers=admin).status_code == 200

    assert_unauthorized(me(client, pair["access_token"]))
    assert_unauthorized(refresh(client, pair["refresh_token"]), "invalid-refresh-token")
    assert me(client, tokens_for(client, user.email)["access_token"]).status_code == 200
