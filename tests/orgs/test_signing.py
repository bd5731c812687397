"""The key format, the sealed signing secret and signature checks, without HTTP."""

from __future__ import annotations

import time

import pytest

from ecotrack.orgs.apikeys import parse_credential
from ecotrack.orgs.signing import (
    ApiKeyInvalid,
    MemoryReplayCache,
    decrypt_signing_secret,
    encrypt_signing_secret,
    hash_secret,
    new_secret,
    parse_secret,
    secret_matches,
    sign,
    verify_signature,
)

SERVER = "s" * 48


def test_secrets_are_unique_well_formed_and_checksummed() -> None:
    made = [new_secret() for _ in range(200)]
    assert len({m.secret for m in made}) == 200
    assert len({m.key_id for m in made}) == 200
    for m in made[:20]:
        assert m.secret.startswith(f"eco_{m.key_id}_")
        assert parse_secret(m.secret) == m.key_id
        assert m.secret not in repr(m)
    secret = made[0].secret
    for broken in (secret[:-1], secret + "x", secret.replace("eco_", "eko_"), secret.upper()):
        assert parse_secret(broken) is None
    flipped = secret[:-7] + ("A" if secret[-7] != "A" else "B") + secret[-6:]
    assert parse_secret(flipped) is None


def test_credentials_are_a_secret_or_a_bare_prefix() -> None:
    m = new_secret()
    assert parse_credential(f"  {m.secret} ") == (m.key_id, m.secret)
    assert parse_credential(f"eco_{m.key_id}") == (m.key_id, None)
    assert parse_credential(f"eco_{m.key_id}_") is None
    assert parse_credential("eco_SHOUTING1234") is None


def test_hashing() -> None:
    m = new_secret()
    stored = hash_secret(m.secret)
    assert len(stored) == 64
    assert secret_matches(m.secret, stored)
    assert not secret_matches(new_secret().secret, stored)


def test_sealed_secret_opens_only_for_its_key_and_server_secret() -> None:
    m = new_secret()
    sealed = encrypt_signing_secret(m.secret, key_id=m.key_id, server_secret=SERVER)
    assert m.secret not in sealed
    assert sealed != encrypt_signing_secret(m.secret, key_id=m.key_id, server_secret=SERVER)
    assert decrypt_signing_secret(sealed, key_id=m.key_id, server_secret=SERVER) == m.secret
    assert decrypt_signing_secret(sealed, key_id="otherkey0000", server_secret=SERVER) is None
    assert decrypt_signing_secret(sealed, key_id=m.key_id, server_secret="t" * 48) is None
    tampered = sealed[:-4] + ("AAAA" if sealed[-4:] != "AAAA" else "BBBB")
    assert decrypt_signing_secret(tampered, key_id=m.key_id, server_secret=SERVER) is None
    assert decrypt_signing_secret("v0." + sealed[3:], key_id=m.key_id, server_secret=SERVER) is None
    assert decrypt_signing_secret("garbage", key_id=m.key_id, server_secret=SERVER) is None


def test_signature_value_is_hmac_sha256_of_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, b"{}") == f"v1={expected}"


def _verify(cache, *, key="k", ts=None, sig=None, body=b"b", now=None, window=300) -> None:
    ts = str(int(time.time())) if ts is None else ts
    sig = sign(key, ts, body) if sig is None else sig
    verify_signature(
        secret=key,
        key_id="key",
        timestamp=ts,
        signature=sig,
        body=body,
        window_s=window,
        cache=cache,
        now=now,
    )


@pytest.mark.parametrize(
    ("ts", "sig", "code"),
    [
        (None, "", "signature-required"),
        ("", "v1=" + "0" * 64, "signature-required"),
        ("12.5", None, "signature-invalid"),
        ("-5", None, "signature-invalid"),
        ("1" * 13, None, "signature-invalid"),
        (None, "v1=" + "0" * 63, "signature-invalid"),
        (None, "v2=" + "0" * 64, "signature-invalid"),
        (None, "v1=" + "0" * 64, "signature-invalid"),
    ],
)
def test_bad_signatures(ts, sig, code: str) -> None:
    with pytest.raises(ApiKeyInvalid) as info:
        _verify(MemoryReplayCache(), ts=ts, sig=sig)
    assert info.value.code == code
    assert info.value.status_code == 401


def test_window_edges_and_timestamp_text_as_sent() -> None:
    now = 1_800_000_000
    _verify(MemoryReplayCache(), ts=str(now - 300), now=now)
    _verify(MemoryReplayCache(), ts=str(now + 300), now=now)
    with pytest.raises(ApiKeyInvalid, match="300 s"):
        _verify(MemoryReplayCache(), ts=str(now - 301), now=now)
    # the signature covers the timestamp exactly as sent (leading zeros included)
    _verify(MemoryReplayCache(), ts="0" + str(now), now=now)
    with pytest.raises(ApiKeyInvalid):
        _verify(MemoryReplayCache(), ts="0" + str(now), sig=sign("k", now, b"b"), now=now)


def test_replay_cache_remembers_for_its_ttl() -> None:
    cache = MemoryReplayCache()
    assert cache.remember("a", ttl_s=60)
    assert not cache.remember("a", ttl_s=60)
    assert cache.remember("b", ttl_s=60)
    expired = MemoryReplayCache()
    assert expired.remember("a", ttl_s=0)
    assert expired.remember("a", ttl_s=60)  # a zero ttl is already over


def test_upper_case_hex_is_accepted_once() -> None:
    cache = MemoryReplayCache()
    ts = str(int(time.time()))
    sig = sign("k", ts, b"b")
    _verify(cache, ts=ts, sig="v1=" + sig[3:].upper())
    with pytest.raises(ApiKeyInvalid) as info:
        _verify(cache, ts=ts, sig=sig)
    assert info.value.code == "signature-replayed"
