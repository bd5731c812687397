"""POST /v1/ingest: idempotency, partial rejection, envelope and size limits, keys, rate limits."""

from __future__ import annotations

import gzip
import uuid
from datetime import timedelta, timezone

import orjson
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from ecotrack.usage.models import UsageEvent, UsageEventKey, UsageRollupDaily
from tests.usage.conftest import (
    INGEST,
    Org,
    assert_rollups_equal_raw,
    batch,
    event,
    gz,
    now_utc,
    post,
    signed_headers,
    stored,
)


def test_same_batch_twice_is_stored_once_and_counted_as_duplicates(
    client, org: Org, session, published
) -> None:
    events = [event(user="ana@example.org", team="search") for _ in range(5)]
    first = post(client, org, events)
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 5, "duplicates": 0, "rejected": []}
    second = post(client, org, events)
    assert second.status_code == 200
    assert second.json() == {"accepted": 0, "duplicates": 5, "rejected": []}
    assert stored(session, org.id) == 5
    keys = session.execute(
        select(func.count()).select_from(UsageEventKey).where(UsageEventKey.org_id == org.id)
    ).scalar_one()
    assert keys == 5
    rollup = session.execute(
        select(UsageRollupDaily).where(UsageRollupDaily.org_id == org.id)
    ).scalar_one()
    assert (rollup.calls, rollup.tokens_in, rollup.tokens_out) == (5, 600, 2500)
    assert (rollup.user_ref, rollup.team) == ("ana@example.org", "search")
    assert_rollups_equal_raw(session, org.id)
    # Published once, by the request that stored something.
    day = (now_utc() - timedelta(hours=1)).date()
    assert published == [{"org_id": org.id, "days": [day]}]


def test_repeated_id_inside_a_batch_and_ids_are_per_organisation(
    client, org: Org, other_org: Org, session
) -> None:
    e = event()
    r = post(client, org, [e, dict(e, tokens_out=1), e])
    assert r.json() == {"accepted": 1, "duplicates": 2, "rejected": []}
    stored_row = session.execute(select(UsageEvent).where(UsageEvent.org_id == org.id)).scalar_one()
    assert stored_row.tokens_out == 500  # the first occurrence wins
    # The same id in another organisation is another event.
    r = post(client, other_org, [e], Authorization=f"Bearer {other_org.ingest_key}")
    assert r.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert stored(session, other_org.id) == 1


def test_a_retry_with_another_ts_is_still_a_duplicate(client, org: Org, session) -> None:
    e = event()
    assert post(client, org, [e]).json()["accepted"] == 1
    moved = dict(e, ts=(now_utc() - timedelta(days=40)).isoformat())
    assert post(client, org, [moved]).json() == {"accepted": 0, "duplicates": 1, "rejected": []}
    assert stored(session, org.id) == 1


def test_valid_events_are_stored_when_others_are_rejected(client, org: Org, session) -> None:
    good = [event(), event()]
    bad_tokens = event(tokens_out=-1)
    no_id = event()
    del no_id["id"]
    naive_ts = event(ts="2026-11-30T10:00:00")
    future = event(ts=(now_utc() + timedelta(days=3)).isoformat())
    unknown_zone = event(zone="XX9")
    big_meta = event(metadata={"blob": "x" * 5000})
    not_object = "just a string"
    body = [good[0], bad_tokens, no_id, naive_ts, good[1], future, unknown_zone, big_meta]
    body.append(not_object)  # type: ignore[arg-type]
    r = post(client, org, body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["accepted"] == 2
    assert out["duplicates"] == 0
    rejected = {item["index"]: item for item in out["rejected"]}
    assert sorted(rejected) == [1, 2, 3, 5, 6, 7, 8]
    assert rejected[1]["id"] == bad_tokens["id"]
    assert rejected[1]["errors"][0]["loc"] == ["tokens_out"]
    assert rejected[2]["id"] is None
    assert rejected[2]["errors"][0]["loc"] == ["id"]
    assert rejected[3]["errors"][0]["loc"] == ["ts"]
    assert rejected[5]["errors"] == [{"loc": ["ts"], "msg": "in the future", "type": "value_error"}]
    assert rejected[6]["errors"][0]["loc"] == ["zone"]
    assert rejected[7]["errors"][0]["loc"] == ["metadata"]
    assert rejected[8]["id"] is None
    ids = set(session.execute(select(UsageEvent.event_id)).scalars())
    assert ids == {good[0]["id"], good[1]["id"]}
    assert_rollups_equal_raw(session, org.id)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"events": {"id": 1}}',
        b'{"items": []}',
        None,  # a valid event plus an unknown envelope field
    ],
)
def test_a_malformed_envelope_stores_nothing(client, org: Org, session, body) -> None:
    if body is None:
        body = orjson.dumps({"events": [event()], "extra": 1})
    r = client.post(INGEST, content=body, headers=org.key_headers())
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "invalid-envelope"
    assert stored(session, org.id) == 0


def test_more_than_1000_events_is_413_and_stores_nothing(client, org: Org, session) -> None:
    r = post(client, org, [event() for _ in range(1001)])
    assert r.status_code == 413
    assert r.json()["code"] == "payload-too-large"
    assert stored(session, org.id) == 0
    assert post(client, org, [event() for _ in range(1000)]).json()["accepted"] == 1000


def test_body_over_1_mib_is_413(client, org: Org, session) -> None:
    events = [event(metadata={"pad": "y" * 3000}) for _ in range(400)]  # ≈ 1.3 MB
    body = batch(events)
    assert 1024 * 1024 < len(body) < 2 * 1024 * 1024
    r = client.post(INGEST, content=body, headers=org.key_headers())
    assert r.status_code == 413
    assert stored(session, org.id) == 0


def test_gzip_is_accepted(client, org: Org, session) -> None:
    events = [event() for _ in range(50)]
    r = client.post(
        INGEST, content=gz(batch(events)), headers={**org.key_headers(), "Content-Encoding": "gzip"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 50
    assert stored(session, org.id) == 50


def test_gzip_bomb_is_413_without_inflating_it(client, org: Org, session) -> None:
    bomb = gzip.compress(b'{"events": [' + b" " * (200 * 1024 * 1024) + b"]}", compresslevel=9)
    assert len(bomb) < 400 * 1024  # 200 MB of JSON in a small body
    r = client.post(INGEST, content=bomb, headers={**org.key_headers(), "Content-Encoding": "gzip"})
    assert r.status_code == 413
    assert "decompressed" in r.json()["detail"]
    assert stored(session, org.id) == 0


def test_bad_gzip_and_unknown_encoding(client, org: Org, session) -> None:
    r = client.post(
        INGEST, content=b"not gzip", headers={**org.key_headers(), "Content-Encoding": "gzip"}
    )
    assert (r.status_code, r.json()["code"]) == (400, "invalid-envelope")
    r = client.post(
        INGEST, content=batch([event()]), headers={**org.key_headers(), "Content-Encoding": "br"}
    )
    assert (r.status_code, r.json()["code"]) == (415, "unsupported-encoding")
    assert stored(session, org.id) == 0


def test_x_api_key_header_works(client, org: Org, session) -> None:
    r = client.post(INGEST, content=batch([event()]), headers={"X-API-Key": org.ingest_key})
    assert r.json()["accepted"] == 1


def test_signed_key_requires_a_signature(client, org: Org, session) -> None:
    body = batch([event()])
    unsigned = client.post(INGEST, content=body, headers=org.key_headers(org.signed_key))
    assert unsigned.status_code == 401
    assert stored(session, org.id) == 0
    ok = client.post(INGEST, content=body, headers=signed_headers(org.signed_key, body))
    assert ok.status_code == 200, ok.text
    assert ok.json()["accepted"] == 1
    # The signature covers the exact bytes sent: gzip bodies are signed compressed.
    compressed = gz(batch([event()]))
    headers = {**signed_headers(org.signed_key, compressed), "Content-Encoding": "gzip"}
    assert client.post(INGEST, content=compressed, headers=headers).json()["accepted"] == 1
    tampered = client.post(
        INGEST,
        content=batch([event()]),
        headers=signed_headers(org.signed_key, body),  # signature of another body
    )
    assert tampered.status_code == 401
    assert stored(session, org.id) == 2


def test_no_key_user_token_and_read_key_cannot_ingest(client, org: Org, session) -> None:
    body = batch([event()])
    assert client.post(INGEST, content=body).status_code == 401
    assert client.post(INGEST, content=body, headers=org.viewer_headers).status_code == 401
    r = client.post(INGEST, content=body, headers=org.key_headers(org.read_key))
    assert (r.status_code, r.json()["code"]) == (403, "api-key-scope")
    assert stored(session, org.id) == 0


def test_ingest_key_cannot_read_and_read_key_can(client, org: Org, other_org: Org) -> None:
    url = f"{org.base()}/summary"
    r = client.get(url, headers=org.key_headers(org.ingest_key))
    assert (r.status_code, r.json()["code"]) == (403, "api-key-scope")
    assert client.get(url, headers=org.key_headers(org.read_key)).status_code == 200
    assert client.get(url, headers=org.viewer_headers).status_code == 200
    # Another organisation's read key: the organisation does not exist for it.
    assert client.get(url, headers=org.key_headers(other_org.read_key)).status_code == 404
    assert client.get(url).status_code == 401


def _app_with(settings, db, **changes):  # type: ignore[no-untyped-def]
    from ecotrack.app import create_app

    return create_app(settings.model_copy(update=changes), db=db, run_jobs=False)


def test_rate_limit_per_organisation_and_plan(settings, db, org: Org, other_org: Org) -> None:
    app = _app_with(
        settings,
        db,
        usage_plans={"free": 2, "enterprise": 4},
        usage_default_plan="free",
        usage_org_plans={other_org.slug: "enterprise"},
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        codes = [post(client, org, [event()]).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = post(client, org, [event()])
        assert limited.json()["code"] == "rate-limited"
        assert 1 <= int(limited.headers["Retry-After"]) <= 61
        # Another organisation has its own budget, and its plan's.
        other = [
            post(client, other_org, [event()], Authorization=f"Bearer {other_org.ingest_key}")
            for _ in range(5)
        ]
        assert [r.status_code for r in other] == [200, 200, 200, 200, 429]


@pytest.mark.redis
def test_rate_limit_is_shared_through_redis(settings, db, org: Org, redis_url) -> None:
    from ecotrack.core.ratelimit import RedisRateLimiter

    prefix = f"ecotrack:test:{uuid.uuid4().hex}:"
    apps = []
    for _ in range(2):  # two API processes sharing one Redis
        app = _app_with(settings, db, usage_plans={"standard": 3}, redis_url=redis_url)
        app.state.rate_limiter = RedisRateLimiter(redis_url, prefix=prefix)
        apps.append(app)
    codes = []
    for i in range(4):
        with TestClient(apps[i % 2], raise_server_exceptions=False) as client:
            codes.append(post(client, org, [event()]).status_code)
    assert codes == [200, 200, 200, 429]
    apps[0].state.rate_limiter.reset()


def test_every_field_is_stored_as_sent(client, org: Org, session) -> None:
    """The write path (binary COPY on PostgreSQL, executemany on SQLite) keeps each value:
    microseconds, offsets normalised to UTC, floats, nulls, Unicode and nested metadata."""
    ts = (now_utc() - timedelta(hours=2)).replace(microsecond=123456)
    meta = {"prompt_tag": "résumé ✓", "nested": {"n": [1, 2.5, None, True]}, "empty": {}}
    full = event(
        ts=ts.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(),
        latency_ms=812.25,
        region="eu-west-3",
        user="zoë@example.org",
        team="search",
        app="assistant",
        metadata=meta,
    )
    bare = event(model="no-such-model-xyz", zone="FR")
    r = post(client, org, [full, bare])
    assert r.json() == {"accepted": 2, "duplicates": 0, "rejected": []}, r.text
    session.expire_all()
    rows = {
        e.event_id: e
        for e in session.execute(select(UsageEvent).where(UsageEvent.org_id == org.id)).scalars()
    }
    a, b = rows[full["id"]], rows[bare["id"]]
    assert a.ts == ts
    assert a.ts.utcoffset() == timedelta(0)
    assert a.day == ts.date()
    assert (a.latency_ms, a.region, a.zone) == (812.25, "eu-west-3", None)
    assert (a.user_ref, a.team, a.app, a.meta) == ("zoë@example.org", "search", "assistant", meta)
    assert (a.tokens_in, a.tokens_out, a.status) == (120, 500, "ok")
    assert a.co2e_kg_min is not None
    assert 0 < a.co2e_kg_min <= a.co2e_kg_max
    assert a.received_at.utcoffset() == timedelta(0)
    # An unregistered model: kept, flagged, no impact figures (nulls, not zeros).
    assert (b.zone, b.latency_ms, b.meta, b.user_ref, b.team) == ("FR", None, None, "", "")
    assert b.status == "model-not-registered"
    assert (b.energy_kwh_min, b.water_l_max, b.co2e_kg_min, b.co2e_kg_max) == (None,) * 4
    assert_rollups_equal_raw(session, org.id)


def test_ingest_records_the_keys_last_use(client, org: Org, session) -> None:
    """On SQLite the key check runs in a read phase (no write lock) and leaves the
    `last_used_at` write to the ingest's write section; on PostgreSQL the check writes it.
    Either way a batch marks the key used."""
    from ecotrack.orgs.apikeys import parse_credential
    from ecotrack.orgs.models import ApiKey

    parsed = parse_credential(org.ingest_key)
    assert parsed is not None
    key_id = parsed[0]

    def last_used():  # type: ignore[no-untyped-def]
        session.expire_all()
        return session.execute(
            select(ApiKey.last_used_at).where(ApiKey.key_id == key_id)
        ).scalar_one()

    assert last_used() is None
    r = post(client, org, [event()])
    assert r.status_code == 200, r.text
    assert last_used() is not None


def test_awkward_values_are_rejected_per_event_not_500(client, org: Org, session) -> None:
    """Found by the fast path's differential tests: metadata nested past orjson's limit and a
    `ts` that overflows once converted to UTC raised out of validation (500s); unix times
    and `true` as a latency were taken. Each is now the event's own rejection."""
    bad = [
        event(metadata="DEEP"),  # replaced in the JSON text: orjson cannot write it
        event(ts="0001-01-01T00:00:00+01:00"),
        event(ts=1_700_000_000),
        event(ts="1700000000"),
        event(latency_ms=True),
    ]
    good = event(metadata={" spaced ": 1, "spaced": 2}, latency_ms=5)
    deep = b'{"a":' * 300 + b"{}" + b"}" * 300
    r = client.post(
        INGEST,
        content=batch([*bad, good]).replace(b'"DEEP"', deep),
        headers={**org.key_headers(), "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 1
    assert [x["index"] for x in body["rejected"]] == [0, 1, 2, 3, 4]
    locs = [x["errors"][0]["loc"] for x in body["rejected"]]
    assert locs == [["metadata"], ["ts"], ["ts"], ["ts"], ["latency_ms"]]
    row = session.execute(select(UsageEvent).where(UsageEvent.event_id == good["id"])).scalar_one()
    assert row.meta == {" spaced ": 1, "spaced": 2}  # keys kept as sent, none merged
    assert row.latency_ms == 5.0
