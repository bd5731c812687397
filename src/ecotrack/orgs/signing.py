"""API-key secrets and HMAC request signing: the format, what is stored, how requests verify.

**Secret format** (shown once): `eco_<key id>_<body><checksum>`, e.g.
`eco_k3j4h5g6f7d8_…` — `eco_` lets secret scanners find leaked keys; the 12-character key id
(public, also the displayed prefix) finds the row without a scan; the body is 32 bytes (256 bits)
from `secrets`, base62; the checksum is a base62 CRC32 of everything before it, so a mistyped or
truncated key is refused before any database work (GitHub's token format, same idea).

**Stored**: `sha256(secret)` for every key (a fast hash suffices for a 256-bit random secret,
ASVS 5.0 6.5.2). A *signed* key must also let the server compute `HMAC(secret, message)`, which
no one-way hash allows, so its secret is additionally kept encrypted: AES-256-GCM under a key
derived with HKDF-SHA256 from `ECOTRACK_SECRET_KEY`, with the key id as associated data (a
ciphertext copied to another row does not decrypt). A database dump alone reveals no secret;
rotating `ECOTRACK_SECRET_KEY` makes signed keys unusable (re-create them).

**Signature**: `X-EcoTrack-Timestamp: <unix seconds>` and
`X-EcoTrack-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`. Timestamps
outside ±`window` are refused; each accepted signature is remembered for twice the window (in
Redis when configured, else in process) so it cannot be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import string
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ecotrack.core.errors import AppError

KEY_PREFIX = "eco_"
KEY_ID_LENGTH = 12
BODY_BYTES = 32
BODY_LENGTH = 43  # base62 digits of 256 bits
CHECKSUM_LENGTH = 6  # base62 digits of 32 bits
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_KEY_ID_ALPHABET = string.digits + string.ascii_lowercase
SECRET_RE = re.compile(
    rf"^{KEY_PREFIX}([0-9a-z]{{{KEY_ID_LENGTH}}})_([0-9A-Za-z]{{{BODY_LENGTH + CHECKSUM_LENGTH}}})$"
)

TIMESTAMP_HEADER = "X-EcoTrack-Timestamp"
SIGNATURE_HEADER = "X-EcoTrack-Signature"
SIGNATURE_VERSION = "v1"
_SIGNATURE_RE = re.compile(r"^v1=([0-9a-fA-F]{64})$")
_TIMESTAMP_RE = re.compile(r"^[0-9]{1,12}$")
_ENC_VERSION = "v1"
_HKDF_INFO = b"ecotrack/api-key-signing-secret/v1"


class ApiKeyInvalid(AppError):
    status_code = 401
    code = "api-key-invalid"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": 'Bearer realm="api-key"'})


# --- secrets ---------------------------------------------------------------------------------


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rem = divmod(number, 62)
        digits.append(_BASE62[rem])
    return "".join(reversed(digits)).rjust(width, "0")


def _checksum(text: str) -> str:
    return _base62(zlib.crc32(text.encode("ascii")), CHECKSUM_LENGTH)


@dataclass(frozen=True, slots=True)
class NewSecret:
    key_id: str
    secret: str = field(repr=False)

    @property
    def prefix(self) -> str:
        return display_prefix(self.key_id)


def display_prefix(key_id: str) -> str:
    return f"{KEY_PREFIX}{key_id}"


def new_secret() -> NewSecret:
    """A fresh key id and secret (≥ 256 bits from the OS CSPRNG)."""
    key_id = "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(KEY_ID_LENGTH))
    body = _base62(int.from_bytes(secrets.token_bytes(BODY_BYTES), "big"), BODY_LENGTH)
    head = f"{KEY_PREFIX}{key_id}_{body}"
    return NewSecret(key_id=key_id, secret=head + _checksum(head))


def parse_secret(secret: str) -> str | None:
    """The key id of a well-formed secret with a valid checksum, else None."""
    match = SECRET_RE.match(secret)
    if match is None:
        return None
    head, check = secret[:-CHECKSUM_LENGTH], secret[-CHECKSUM_LENGTH:]
    if not hmac.compare_digest(_checksum(head), check):
        return None
    return match.group(1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


# --- the encrypted signing secret ------------------------------------------------------------


def _aead(server_secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        server_secret.encode("utf-8")
    )
    return AESGCM(key)


def encrypt_signing_secret(secret: str, *, key_id: str, server_secret: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _aead(server_secret).encrypt(nonce, secret.encode("utf-8"), key_id.encode("ascii"))
    return f"{_ENC_VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def decrypt_signing_secret(blob: str, *, key_id: str, server_secret: str) -> str | None:
    """The secret, or None if `blob` was not sealed for `key_id` under this server secret."""
    version, _, data = blob.partition(".")
    if version != _ENC_VERSION:
        return None
    try:
        raw = base64.urlsafe_b64decode(data.encode("ascii"))
        plain = _aead(server_secret).decrypt(raw[:12], raw[12:], key_id.encode("ascii"))
    except (InvalidTag, ValueError):
        return None
    return plain.decode("utf-8")


# --- request signatures ----------------------------------------------------------------------


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The `X-EcoTrack-Signature` value for `body` sent at `timestamp` (what clients compute)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


class ReplayCache(Protocol):
    def remember(self, key: str, *, ttl_s: int) -> bool:
        """Record `key` for `ttl_s` seconds; False if it was already recorded (a replay)."""
        ...


class MemoryReplayCache:
    """Signatures seen recently, in this process (embedded mode: one API process)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def remember(self, key: str, *, ttl_s: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if now >= self._next_sweep:
                self._seen = {k: exp for k, exp in self._seen.items() if exp > now}
                self._next_sweep = now + 10
            expiry = self._seen.get(key)
            if expiry is not None and expiry > now:
                return False
            self._seen[key] = now + ttl_s
            return True

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


class RedisReplayCache:
    """Signatures seen recently, in Redis (shared by every API process)."""

    def __init__(self, url: str, *, prefix: str = "ecotrack:sig:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix

    def remember(self, key: str, *, ttl_s: int) -> bool:
        return bool(self._redis.set(f"{self._prefix}{key}", b"1", nx=True, ex=max(1, ttl_s)))


_caches: dict[str | None, ReplayCache] = {}
_caches_lock = threading.Lock()


def replay_cache(redis_url: str | None) -> ReplayCache:
    """The process-wide replay cache for this configuration."""
    with _caches_lock:
        cache = _caches.get(redis_url)
        if cache is None:
            cache = RedisReplayCache(redis_url) if redis_url else MemoryReplayCache()
            _caches[redis_url] = cache
        return cache


def verify_signature(
    *,
    secret: str,
    key_id: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    window_s: int,
    cache: ReplayCache,
    now: float | None = None,
) -> None:
    """Accept a signed request or raise `ApiKeyInvalid` with a code saying why."""
    if not timestamp or not signature:
        raise ApiKeyInvalid(
            f"This API key requires signed requests: send {TIMESTAMP_HEADER} and "
            f"{SIGNATURE_HEADER}",
            code="signature-required",
        )
    match = _SIGNATURE_RE.match(signature.strip())
    if match is None or not _TIMESTAMP_RE.match(timestamp.strip()):
        raise ApiKeyInvalid(
            f"Malformed signature headers: expected {TIMESTAMP_HEADER}: <unix seconds> and "
            f"{SIGNATURE_HEADER}: v1=<64 hex digits>",
            code="signature-invalid",
        )
    ts_text = timestamp.strip()
    ts = int(ts_text)
    current = time.time() if now is None else now
    if abs(current - ts) > window_s:
        raise ApiKeyInvalid(
            f"The signature timestamp is more than {window_s} s from the server time",
            code="signature-expired",
        )
    expected = sign(secret, ts_text, body)
    given = f"{SIGNATURE_VERSION}={match.group(1).lower()}"
    if not hmac.compare_digest(expected, given):
        raise ApiKeyInvalid("The request signature does not match", code="signature-invalid")
    if not cache.remember(f"{key_id}:{given}", ttl_s=2 * window_s + 1):
        raise ApiKeyInvalid("This signed request was already received", code="signature-replayed")
