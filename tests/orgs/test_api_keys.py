"""API keys: shown once, stored hashed, revocable, scoped, optionally HMAC-signed."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, update

from ecotrack.core.db import Base, utcnow
from ecotrack.orgs.models import ApiKey
from ecotrack.orgs.signing import BODY_LENGTH, parse_secret, replay_cache, sign
from tests.orgs.conftest import World

API = "/api/v1"


def _create(client, world: World, scopes, *, signed: bool = False, who: str = "org_admin"):
    return client.post(
        f"{API}/orgs/{world.a.id}/api-keys",
        json={"name": "k", "scopes": scopes, "signed": signed},
        headers=world.headers(who),
    )


def _key(client, world: World, scopes, *, signed: bool = False) -> dict:
    r = _create(client, world, scopes, signed=signed)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _everything_stored(session) -> str:
    """Every value of every table, as one string."""
    session.flush()
    present = set(inspect(session.connection()).get_table_names())
    out = []
    for table in Base.metadata.sorted_tables:
        if table.name not in present:  # a model whose migration is not written yet
            continue
        for row in session.execute(select(table)).all():
            out.append(repr(tuple(row)))
    return "\n".join(out)


def _prefix(secret: str) -> str:
    return secret[: secret.index("_", 4)]


def _signed(secret: str, body: bytes = b"", ts: int | None = None, key: str | None = None):
    ts = int(time.time()) if ts is None else ts
    return {
        "X-API-Key": key or _prefix(secret),
        "X-EcoTrack-Timestamp": str(ts),
        "X-EcoTrack-Signature": sign(secret, ts, body),
    }


@pytest.fixture(autouse=True)
def _fresh_replay_cache():
    cache = replay_cache(None)
    cache.clear()  # type: ignore[attr-defined]
    yield
    cache.clear()  # type: ignore[attr-defined]


# --- create, list, revoke -----------------------------------------------------------------


def test_secret_is_shown_once_and_only_its_hash_is_stored(client, world: World, session) -> None:
    key = _key(client, world, ["ingest", "read"])
    secret = key["secret"]
    assert secret.startswith("eco_")
    assert key["prefix"] == _prefix(secret)
    assert parse_secret(secret) == key["prefix"][4:]
    assert len(secret.rsplit("_", 1)[1]) >= BODY_LENGTH  # 256 random bits, base62
    assert key["scopes"] == ["ingest", "read"]
    stored = session.execute(select(ApiKey).where(ApiKey.id == key["id"])).scalar_one()
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert stored.signing_secret_enc is None
    dump = _everything_stored(session)
    body = secret.rsplit("_", 1)[1]
    assert secret not in dump
    assert body[:20] not in dump
    listing = client.get(f"{API}/orgs/{world.a.id}/api-keys", headers=world.headers("owner"))
    assert listing.status_code == 200
    item = listing.json()["items"][0]
    assert "secret" not in item
    assert secret not in listing.text
    assert set(item) == {
        "id",
        "prefix",
        "name",
        "scopes",
        "signed",
        "created_by_id",
        "created_at",
        "last_used_at",
        "revoked_at",
    }
    assert item["created_by_id"] == world.uid("org_admin")
    one = client.get(
        f"{API}/orgs/{world.a.id}/api-keys/{key['id']}", headers=world.headers("owner")
    )
    assert one.json() == item


def test_signed_key_secret_is_stored_encrypted_not_plain(client, world: World, session) -> None:
    key = _key(client, world, ["ingest"], signed=True)
    stored = session.execute(select(ApiKey).where(ApiKey.id == key["id"])).scalar_one()
    assert stored.signing_secret_enc is not None
    assert stored.signing_secret_enc.startswith("v1.")
    dump = _everything_stored(session)
    assert key["secret"] not in dump
    assert key["secret"].rsplit("_", 1)[1][:20] not in dump


def test_members_cannot_manage_keys(client, world: World) -> None:
    for who in ("member", "viewer"):
        assert _create(client, world, ["read"], who=who).status_code == 403
        r = client.get(f"{API}/orgs/{world.a.id}/api-keys", headers=world.headers(who))
        assert r.status_code == 403


def test_validation(client, world: World) -> None:
    url = f"{API}/orgs/{world.a.id}/api-keys"
    h = world.headers("owner")
    for body in (
        {"name": "k", "scopes": []},
        {"name": "k", "scopes": ["root"]},
        {"name": "", "scopes": ["read"]},
        {"name": "k", "scopes": ["read"], "signed": "yes"},
        {"name": "k", "scopes": ["read"], "signed": 1},
        {"name": "k", "scopes": ["read"], "org_id": world.b.id},
    ):
        assert client.post(url, json=body, headers=h).status_code == 422, body
    assert client.get(url, headers=h).json()["total"] == 0


def test_key_count_is_capped(client, world: World, settings) -> None:
    settings.api_keys_max_per_org = 1
    _key(client, world, ["read"])
    r = _create(client, world, ["read"])
    assert r.status_code == 409
    assert r.json()["code"] == "api-key-limit-reached"


def test_revoked_key_stops_working(client, world: World) -> None:
    key = _key(client, world, ["read"])
    h = {"Authorization": f"Bearer {key['secret']}"}
    assert client.get(f"{API}/api-keys/whoami", headers=h).status_code == 200
    r = client.post(
        f"{API}/orgs/{world.a.id}/api-keys/{key['id']}/revoke", headers=world.headers("org_admin")
    )
    assert r.status_code == 200
    assert r.json()["revoked_at"] is not None
    denied = client.get(f"{API}/api-keys/whoami", headers=h)
    assert denied.status_code == 401
    assert denied.headers["content-type"] == "application/problem+json"
    assert denied.json()["code"] == "api-key-revoked"


# --- authentication and scopes ------------------------------------------------------------


def test_whoami_with_bearer_or_header(client, world: World) -> None:
    key = _key(client, world, ["read"])
    for headers in ({"Authorization": f"Bearer {key['secret']}"}, {"X-API-Key": key["secret"]}):
        r = client.get(f"{API}/api-keys/whoami", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() == {
            "id": key["id"],
            "prefix": key["prefix"],
            "name": "k",
            "org_id": world.a.id,
            "scopes": ["read"],
            "signed": False,
        }


@pytest.mark.parametrize(
    "credential",
    ["", "eco_", "not-a-key", "eco_aaaaaaaaaaaa_" + "A" * 49, "Bearer", "eco_aaaaaaaaaaaa"],
)
def test_bad_credentials_are_401(client, world: World, credential: str) -> None:
    r = client.get(f"{API}/api-keys/whoami", headers={"X-API-Key": credential})
    assert r.status_code == 401
    assert r.json()["code"] in {"api-key-invalid", "api-key-required"}


def test_wrong_secret_with_a_real_key_id_is_401(client, world: World) -> None:
    from ecotrack.orgs.signing import _checksum

    key = _key(client, world, ["read"])
    head = key["secret"][:-6]
    forged_head = head[:-1] + ("a" if head[-1] != "a" else "b")
    forged = forged_head + _checksum(forged_head)
    r = client.get(f"{API}/api-keys/whoami", headers={"X-API-Key": forged})
    assert r.status_code == 401
    assert r.json()["code"] == "api-key-invalid"


def test_no_key_is_401_and_a_user_token_is_not_a_key(client, world: World) -> None:
    r = client.get(f"{API}/api-keys/whoami")
    assert r.status_code == 401
    assert r.json()["code"] == "api-key-required"
    assert client.get(f"{API}/api-keys/whoami", headers=world.headers("owner")).status_code == 401


def test_scopes_are_enforced(client, world: World) -> None:
    ingest = {"X-API-Key": _key(client, world, ["ingest"])["secret"]}
    read = {"X-API-Key": _key(client, world, ["read"])["secret"]}
    admin = {"X-API-Key": _key(client, world, ["admin"])["secret"]}
    r = client.get(f"{API}/api-keys/whoami", headers=ingest)
    assert r.status_code == 403
    assert r.json()["code"] == "api-key-scope"
    assert client.post(f"{API}/api-keys/ping", headers=read).status_code == 403
    assert client.post(f"{API}/api-keys/ping", content=b"x", headers=ingest).status_code == 200
    assert client.get(f"{API}/api-keys/whoami", headers=admin).status_code == 200
    assert client.post(f"{API}/api-keys/ping", headers=admin).status_code == 200
    # a key is not a user credential: user routes refuse it
    for headers in (ingest, {"Authorization": ingest["X-API-Key"].join(("Bearer ", ""))}):
        assert client.get(f"{API}/orgs", headers=headers).status_code == 401
        assert client.get(f"{API}/orgs/{world.a.id}/teams", headers=headers).status_code == 401


def test_last_used_at_is_written_at_most_once_a_minute(client, world: World, session) -> None:
    key = _key(client, world, ["read"])
    h = {"X-API-Key": key["secret"]}

    def last_used():
        session.expire_all()
        return session.get(ApiKey, key["id"]).last_used_at

    assert last_used() is None
    client.get(f"{API}/api-keys/whoami", headers=h)
    first = last_used()
    assert first is not None
    client.get(f"{API}/api-keys/whoami", headers=h)
    assert last_used() == first
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == key["id"])
        .values(last_used_at=utcnow() - timedelta(minutes=2))
    )
    session.commit()
    client.get(f"{API}/api-keys/whoami", headers=h)
    assert last_used() > first


def test_keys_are_rate_limited(client, world: World, settings) -> None:
    settings.api_key_rate_limit_per_minute = 2
    h = {"X-API-Key": _key(client, world, ["read"])["secret"]}
    assert client.get(f"{API}/api-keys/whoami", headers=h).status_code == 200
    assert client.get(f"{API}/api-keys/whoami", headers=h).status_code == 200
    r = client.get(f"{API}/api-keys/whoami", headers=h)
    assert r.status_code == 429
    assert "Retry-After" in r.headers


def test_deleting_the_org_kills_its_keys(client, world: World) -> None:
    h = {"X-API-Key": _key(client, world, ["read"])["secret"]}
    assert (
        client.delete(f"{API}/orgs/{world.a.id}", headers=world.headers("owner")).status_code == 204
    )
    assert client.get(f"{API}/api-keys/whoami", headers=h).status_code == 401


# --- HMAC signing ---------------------------------------------------------------------------

BODY = b'{"events": [{"id": "e1"}]}'


def _ping(client, headers, body: bytes = BODY):
    return client.post(f"{API}/api-keys/ping", content=body, headers=headers)


def test_signed_request_by_prefix_is_accepted(client, world: World) -> None:
    key = _key(client, world, ["ingest"], signed=True)
    r = _ping(client, _signed(key["secret"], BODY))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "ok": True,
        "org_id": world.a.id,
        "prefix": key["prefix"],
        "signed": True,
        "received_bytes": len(BODY),
    }


def test_signed_request_with_the_whole_secret_is_accepted(client, world: World) -> None:
    key = _key(client, world, ["ingest"], signed=True)
    headers = _signed(key["secret"], BODY, key=None) | {"X-API-Key": key["secret"]}
    assert _ping(client, headers).status_code == 200


def _assert_401(response, code: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_unsigned_request_for_a_signed_key_is_401(client, world: World) -> None:
    key = _key(client, world, ["ingest"], signed=True)
    _assert_401(_ping(client, {"X-API-Key": key["secret"]}), "signature-required")
    _assert_401(_ping(client, {"X-API-Key": key["prefix"]}), "signature-required")


def test_wrong_signature_is_401(client, world: World) -> None:
    key = _key(client, world, ["ingest"], signed=True)
    other = _key(client, world, ["ingest"], signed=True)
    wrong_key = _signed(other["secret"], BODY) | {"X-API-Key": key["prefix"]}
    _assert_401(_ping(client, wrong_key), "signature-invalid")
    tampered = _signed(key["secret"], BODY)
    _assert_401(_ping(client, tampered, BODY + b" "), "signature-invalid")
    malformed = _signed(key["secret"], BODY) | {"X-EcoTrack-Signature": "sha256=abc"}
    _assert_401(_ping(client, malformed), "signature-invalid")


def test_stale_or_future_timestamp_is_401(client, world: World) -> None:
    """The tolerance is 300 s either way. Each timestamp is taken just before its request and
    sits 30 s beyond (or 50 s within) it, so a slow machine cannot move it across the line."""
    key = _key(client, world, ["ingest"], signed=True)

    def at(offset: int) -> dict[str, str]:
        return _signed(key["secret"], BODY, ts=int(time.time()) + offset)

    _assert_401(_ping(client, at(-330)), "signature-expired")
    _assert_401(_ping(client, at(+330)), "signature-expired")
    assert _ping(client, at(-250)).status_code == 200


def test_replayed_request_is_401(client, world: World) -> None:
    key = _key(client, world, ["ingest"], signed=True)
    headers = _signed(key["secret"], BODY)
    assert _ping(client, headers).status_code == 200
    _assert_401(_ping(client, headers), "signature-replayed")


def test_unsigned_keys_need_the_whole_secret(client, world: World) -> None:
    key = _key(client, world, ["ingest"])
    _assert_401(_ping(client, {"X-API-Key": key["prefix"]}), "api-key-invalid")
    assert _ping(client, {"X-API-Key": key["secret"]}).status_code == 200


def test_prefix_only_fails_clearly_after_the_server_secret_changes(
    client, world: World, settings
) -> None:
    key = _key(client, world, ["ingest"], signed=True)
    settings.secret_key = "another-secret-key-of-at-least-32-characters"
    _assert_401(_ping(client, _signed(key["secret"], BODY)), "signature-unverifiable")
    # presenting the whole secret still works: it is checked against its hash
    headers = _signed(key["secret"], BODY) | {"X-API-Key": key["secret"]}
    assert _ping(client, headers).status_code == 200


@pytest.mark.redis
def test_replays_are_refused_across_processes_with_redis(redis_url: str) -> None:
    import secrets as pysecrets

    from ecotrack.orgs.signing import RedisReplayCache

    first, second = RedisReplayCache(redis_url), RedisReplayCache(redis_url)
    key = f"test:{pysecrets.token_hex(8)}"
    assert first.remember(key, ttl_s=5) is True
    assert second.remember(key, ttl_s=5) is False


def test_signed_requests_through_redis(client, world: World, settings, redis_url: str) -> None:
    settings.redis_url = redis_url
    key = _key(client, world, ["ingest"], signed=True)
    headers = _signed(key["secret"], BODY)
    assert _ping(client, headers).status_code == 200
    _assert_401(_ping(client, headers), "signature-replayed")
