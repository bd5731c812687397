"""Token primitives: access JWTs, opaque refresh/one-time tokens, CSRF tokens.

* Access tokens are JWTs signed with HS256 only (the allow-list has one entry), keyed by
  `settings.resolved_secret_key()` (other uses of the secret get HMAC-derived keys). Every
  claim that matters is required and checked: `iss`, `aud`, `typ` ("access"), `exp`, `iat`,
  `jti`, `sub`, `sid`. Headers other than `alg` and `typ`
  (`jwk`, `jku`, `x5u`, `kid`, `crit`, ...) are refused outright.
* Refresh and one-time tokens are opaque: 32 bytes from the OS CSPRNG (256 bits), with a short
  prefix so secret scanners can spot them; only their SHA-256 is stored.
* CSRF tokens are `nonce.mac` with mac = HMAC-SHA256(secret, "csrf|<session id>|<nonce>"), so a
  token minted for one session is useless in another (double-submit, bound to the session).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from ecotrack.core.db import utcnow
from ecotrack.core.settings import Settings

ALGORITHM = "HS256"
ALLOWED_ALGORITHMS = [ALGORITHM]
ALLOWED_HEADERS = frozenset({"alg", "typ"})
ACCESS_TYPE = "access"
REQUIRED_CLAIMS = ["iss", "aud", "typ", "exp", "iat", "jti", "sub", "sid"]
LEEWAY_S = 5

REFRESH_PREFIX = "etr_"
ONE_TIME_PREFIX = "eto_"
TOKEN_BYTES = 32


class InvalidToken(Exception):
    """The token is malformed, forged, expired or not meant for this use."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: int
    role: str
    jti: str
    issued_at: datetime


def jwt_key(settings: Settings) -> bytes:
    """The HS256 signing key: the instance secret (`ECOTRACK_SECRET_KEY` or the generated one)."""
    return settings.resolved_secret_key().encode("utf-8")


def _key(settings: Settings, purpose: str) -> bytes:
    # Other uses of the secret (CSRF, pseudonyms, digests) get keys derived from it by HMAC.
    secret = settings.resolved_secret_key().encode("utf-8")
    return hmac.new(secret, f"ecotrack:{purpose}".encode(), hashlib.sha256).digest()


def issue_access_token(
    settings: Settings, *, user_id: int, session_id: int, role: str, now: datetime | None = None
) -> tuple[str, int]:
    """A signed access JWT and its lifetime in seconds."""
    now = now or utcnow()
    ttl = settings.access_token_ttl_s
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "sid": session_id,
        "typ": ACCESS_TYPE,
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": secrets.token_urlsafe(16),
    }
    token = jwt.encode(claims, jwt_key(settings), algorithm=ALGORITHM, headers={"typ": "JWT"})
    return token, ttl


def decode_access_token(token: str, settings: Settings) -> AccessClaims:
    try:
        header = jwt.get_unverified_header(token)
        if set(header) - ALLOWED_HEADERS or header.get("alg") not in ALLOWED_ALGORITHMS:
            raise InvalidToken("unexpected token header")
        claims = jwt.decode(
            token,
            jwt_key(settings),
            algorithms=ALLOWED_ALGORITHMS,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=LEEWAY_S,
            options={"require": REQUIRED_CLAIMS, "verify_signature": True},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("typ") != ACCESS_TYPE:
        raise InvalidToken("not an access token")
    try:
        user_id = int(claims["sub"])
        session_id = int(claims["sid"])
        issued_at = datetime.fromtimestamp(int(claims["iat"]), tz=utcnow().tzinfo)
    except (TypeError, ValueError) as exc:
        raise InvalidToken("malformed claims") from exc
    if not isinstance(claims["sid"], int) or isinstance(claims["sid"], bool):
        raise InvalidToken("malformed claims")
    return AccessClaims(
        user_id=user_id,
        session_id=session_id,
        role=str(claims.get("role", "user")),
        jti=str(claims["jti"]),
        issued_at=issued_at,
    )


def new_opaque_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """SHA-256 hex of a token: what the database keeps (ASVS 6.5.2: entropy ≥ 112 bits, so a fast
    hash suffices)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(settings: Settings, session_id: int) -> str:
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_csrf_mac(settings, session_id, nonce)}"


def csrf_valid(settings: Settings, session_id: int, token: str) -> bool:
    nonce, sep, mac = token.partition(".")
    if not sep or not nonce or not mac:
        return False
    return hmac.compare_digest(mac, _csrf_mac(settings, session_id, nonce))


def _csrf_mac(settings: Settings, session_id: int, nonce: str) -> str:
    digest = hmac.new(
        _key(settings, "csrf"), f"csrf|{session_id}|{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pseudonym(settings: Settings, user_id: int) -> str:
    """A stable pseudonym for a user id (keyed, so it can't be reversed without the secret)."""
    digest = hmac.new(_key(settings, "pseudonym"), f"user|{user_id}".encode(), hashlib.sha256)
    return "user-" + digest.hexdigest()[:20]


def email_digest(settings: Settings, email: str) -> str:
    """A keyed digest of an email address, for rate-limit keys and audit details."""
    return hmac.new(_key(settings, "email"), email.encode("utf-8"), hashlib.sha256).hexdigest()
