"""Standard Webhooks 1.0 signatures and the endpoint secrets they are made with.

* A secret is 32 random bytes shown as `whsec_<base64>`; the HMAC key is the decoded bytes.
* `webhook-signature: v1,<base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}"))>`
  (space-separated when several secrets are valid, e.g. during a rotation).
* The secret is kept sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the server
  secret and bound to its endpoint id, so a database dump alone reveals no secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32
_ENC_VERSION = "w1"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(24)


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` entry for one attempt: `v1,<base64 HMAC-SHA256>`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def _aead(server_secret: str) -> AESGCM:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"ecotrack webhook secret v1"
    ).derive(server_secret.encode("utf-8"))
    return AESGCM(key)


def _aad(endpoint_id: int) -> bytes:
    return f"webhook_endpoint:{endpoint_id}".encode("ascii")


def seal(secret: str, *, endpoint_id: int, server_secret: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _aead(server_secret).encrypt(nonce, secret.encode("utf-8"), _aad(endpoint_id))
    return f"{_ENC_VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def unseal(blob: str, *, endpoint_id: int, server_secret: str) -> str | None:
    """The secret, or None when `blob` was not sealed for this endpoint under this server secret."""
    version, _, data = blob.partition(".")
    if version != _ENC_VERSION:
        return None
    try:
        raw = base64.urlsafe_b64decode(data.encode("ascii"))
        plain = _aead(server_secret).decrypt(raw[:12], raw[12:], _aad(endpoint_id))
    except (InvalidTag, ValueError):
        return None
    return plain.decode("utf-8")
