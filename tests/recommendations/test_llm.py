"""The optional LLM pass end to end: a real local OpenAI-compatible server, the job that asks it,
the cache, the log, and the rules answering alone whenever anything fails."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from ecotrack.app import create_app
from ecotrack.assistant.models import AssistantCache, AssistantCall
from ecotrack.core.db import utcnow
from ecotrack.core.jobs import EmbeddedRunner
from ecotrack.core.ratelimit import RedisRateLimiter
from ecotrack.core.settings import get_settings
from tests.assistant.server import FakeOpenAI
from tests.principals import auth_headers, make_user

URL = "/api/v1/recommendations"


@pytest.fixture
def llm_client(settings, db, llm_server: FakeOpenAI, monkeypatch):  # type: ignore[no-untyped-def]
    values = {
        "llm_provider": "openai_compatible",
        "llm_base_url": llm_server.base_url,
        "llm_model": "local-model",
        "llm_timeout_s": 1.0,
        "llm_rate_limit_per_hour": 3,
    }
    for name, value in values.items():  # the job reads the environment's settings
        monkeypatch.setenv(f"ECOTRACK_{name.upper()}", str(value))
    get_settings.cache_clear()
    app = create_app(settings.model_copy(update=values), db=db, run_jobs=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    get_settings.cache_clear()


@pytest.fixture
def headers(session, llm_client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    user = make_user(session)
    headers = auth_headers(session, user)
    response = llm_client.post(
        "/api/v1/activities",
        headers=headers,
        json={
            "activity": "electricity",
            "amount": 300,
            "unit": "kWh",
            "occurred_on": str(utcnow().date()),
        },
    )
    assert response.status_code == 201
    return headers


def run_jobs() -> int:
    runner, ran = EmbeddedRunner(), 0
    while runner.run_one():
        ran += 1
    return ran


def calls(session) -> list[AssistantCall]:  # type: ignore[no-untyped-def]
    return list(session.execute(select(AssistantCall).order_by(AssistantCall.id)).scalars())


def test_the_llm_rewrites_and_reranks_but_savings_stay_the_engines(
    llm_client, headers, llm_server: FakeOpenAI, session
) -> None:
    first = llm_client.get(URL, headers=headers).json()
    assert (first["ranked_by"], first["llm_status"]) == ("rules", "pending")
    rules = {i["action"]: i for i in first["items"]}
    assert [i["action"] for i in first["items"]] == [
        "green_tariff",
        "cut_electricity",
        "led_lighting",
    ]
    llm_server.answer = {
        "recommendations": [
            {
                "id": "led_lighting",
                "title": "**Brighter** <i>ideas</i>",
                "description": "Swap bulbs, see [here](https://evil.example/x) or www.evil.example",
                "savings_kg_per_year": 999999,
            },
            {"id": "buy_offsets", "title": "Buy offsets", "description": "Not in the rules"},
            {"id": "cut_electricity", "title": "x" * 200, "description": "Unplug standby."},
            {"id": "led_lighting", "title": "Duplicate", "description": "Ignored"},
        ]
    }
    assert llm_client.get(URL, headers=headers).json()["llm_status"] == "pending"  # no 2nd job
    assert run_jobs() == 1

    body = llm_client.get(URL, headers=headers).json()
    assert (body["ranked_by"], body["llm_status"]) == ("llm", "ok")
    assert [i["action"] for i in body["items"]] == [
        "led_lighting",
        "cut_electricity",
        "green_tariff",
    ]
    led, cut, green = body["items"]
    assert led["title"] == "Brighter ideas"
    assert led["description"] == "Swap bulbs, see here or"
    assert cut["title"] == rules["cut_electricity"]["title"]  # over the length limit
    assert cut["description"] == "Unplug standby."
    assert green["title"] == rules["green_tariff"]["title"]  # not mentioned: the rule's text
    for item in body["items"]:  # never the model's numbers
        assert item["savings_kg_per_year"] == rules[item["action"]]["savings_kg_per_year"]
        assert item["terms"] == rules[item["action"]]["terms"]

    (request,) = llm_server.requests
    prompt = request["messages"][1]["content"]
    assert "@example.org" not in prompt  # no personal data beyond the country
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["recommendations"]["items"]["properties"]["id"]["enum"] == [
        "green_tariff",
        "cut_electricity",
        "led_lighting",
    ]
    (call,) = calls(session)
    assert (call.provider, call.model, call.outcome) == ("openai_compatible", "local-model", "ok")
    assert call.latency_ms >= 0
    assert len(call.input_hash) == 64
    assert llm_client.get(URL, headers=headers).json()["ranked_by"] == "llm"  # cached
    assert len(llm_server.requests) == 1


@pytest.mark.parametrize(
    ("mode", "outcome"),
    [
        ("http_500", "http_error"),
        ("slow", "timeout"),
        ("garbage", "invalid_json"),
        ("not_a_json_answer", "invalid_json"),
        ("schema", "schema_violation"),
        ("unknown_ids", "schema_violation"),
    ],
)
def test_a_failing_llm_leaves_the_rules_answering(
    llm_client, headers, llm_server: FakeOpenAI, session, mode, outcome
) -> None:
    llm_server.delay_s = 2.0
    if mode == "schema":
        llm_server.answer = {"recommendations": "not a list"}
    elif mode == "unknown_ids":
        llm_server.answer = {"recommendations": [{"id": "x", "title": "t", "description": "d"}]}
    else:
        llm_server.mode = mode
    first = llm_client.get(URL, headers=headers)
    assert first.status_code == 200
    assert run_jobs() == 1
    after = llm_client.get(URL, headers=headers)
    assert after.status_code == 200
    body = after.json()
    assert (body["ranked_by"], body["llm_status"]) == ("rules", "failed")
    assert [(i["action"], i["title"]) for i in body["items"]] == [
        (i["action"], i["title"]) for i in first.json()["items"]
    ]
    assert [c.outcome for c in calls(session)] == [outcome]
    (entry,) = session.execute(select(AssistantCache)).scalars()
    assert (entry.status, entry.payload) == ("failed", None)


def test_the_llm_pass_is_rate_limited_per_user(llm_client, headers, redis_url) -> None:
    # Real Redis, a private key prefix (the in-process limiter mixes window sizes badly: see
    # the report). Each new activity changes the input, so each listing wants a new LLM pass.
    llm_client.app.state.rate_limiter = RedisRateLimiter(
        redis_url, prefix=f"ecotrack-test:{uuid.uuid4().hex}:"
    )
    statuses = []
    for amount in (10, 20, 30, 40):
        llm_client.post(
            "/api/v1/activities",
            headers=headers,
            json={
                "activity": "electricity",
                "amount": amount,
                "unit": "kWh",
                "occurred_on": str(utcnow().date()),
            },
        )
        got = llm_client.get(URL, headers=headers).json()
        statuses.append(got["llm_status"])
    assert statuses == ["pending", "pending", "pending", "rate_limited"]


def test_a_changed_input_makes_a_pending_job_stale(llm_client, headers, llm_server) -> None:
    llm_client.get(URL, headers=headers)
    llm_client.post(
        "/api/v1/activities",
        headers=headers,
        json={
            "activity": "electricity",
            "amount": 5,
            "unit": "kWh",
            "occurred_on": str(utcnow().date()),
        },
    )
    assert run_jobs() == 1
    assert llm_server.requests == []  # the job saw other data and did not call the model


def test_without_a_provider_nothing_is_asked(client, session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session)
    body: dict[str, Any] = client.get(URL, headers=auth_headers(session, user)).json()
    assert (body["ranked_by"], body["llm_status"]) == ("rules", "disabled")
    assert run_jobs() == 0
