"""The HTTP edge: problem+json for every error, request ids, security headers, body limits."""

from __future__ import annotations

import pytest
from fastapi import APIRouter

from ecotrack.core.errors import PROBLEM_JSON, AppError

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert PROBLEM_KEYS <= body.keys()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith("/" + code)
    assert body["instance"] == f"urn:request:{response.headers['x-request-id']}"
    return body


def test_unknown_route_is_problem_404(client) -> None:
    body = assert_problem(client.get("/api/v1/does-not-exist"), 404, "not-found")
    assert "/api/v1/does-not-exist" in body["detail"]


def test_wrong_method_is_problem_405(client) -> None:
    assert_problem(client.delete("/healthz"), 405, "method-not-allowed")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("put", "/api/v1/goals", "GET, HEAD, POST"),  # two routes share the path
        ("post", "/api/v1/goals/7", "DELETE, GET, HEAD, PATCH"),  # three do
        ("put", "/api/v1/activities/import", "POST"),  # the literal path, not `/{activity_id}`
    ],
)
def test_405_allow_lists_every_method_of_the_path(client, method, path, allow) -> None:
    """RFC 9110: `Allow` names the methods the resource supports (Starlette named only the
    first route whose path matched)."""
    response = client.request(method.upper(), path)
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == allow


def test_validation_error_lists_fields(client) -> None:
    body = assert_problem(
        client.post("/api/v1/system/probes", json={"token": "has spaces"}), 422, "validation-failed"
    )
    assert body["errors"] == [
        {
            "loc": ["body", "token"],
            "msg": body["errors"][0]["msg"],
            "type": "string_pattern_mismatch",
        }
    ]


def test_malformed_json_is_problem_422(client) -> None:
    response = client.post(
        "/api/v1/system/probes", content=b"{not json", headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422, "validation-failed")
    assert body["errors"][0]["type"] == "json_invalid"


def test_body_over_limit_by_content_length_is_413(client, settings) -> None:
    payload = b"x" * (settings.max_request_bytes + 1)
    response = client.post(
        "/api/v1/system/probes", content=payload, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "payload-too-large")


def test_chunked_body_over_limit_is_413(client, settings) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(settings.max_request_bytes // 65536 + 2):
            yield b"x" * 65536

    response = client.post(
        "/api/v1/system/probes", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "payload-too-large")


def test_request_id_is_echoed_when_valid_and_generated_otherwise(client) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == (
        "abc-123"
    )
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert generated.headers["x-request-id"] != "bad id\twith spaces"
    assert len(generated.headers["x-request-id"]) == 32


def test_security_headers_on_success_and_error(client) -> None:
    for response in (client.get("/healthz"), client.get("/api/v1/nope")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    # The web app's pages (any other path) load only their own scripts.
    page = client.get("/some/app/route")
    assert page.headers["x-frame-options"] == "DENY"
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-eval" not in csp


def test_unhandled_error_is_problem_500_without_traceback(app, client) -> None:
    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    app.include_router(router)
    response = client.get("/boom")
    body = assert_problem(response, 500, "internal-error")
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"].startswith("An unexpected error occurred")


def test_domain_error_renders_its_code_and_headers(app, client) -> None:
    class QuotaExceeded(AppError):
        status_code = 409
        code = "quota-exceeded"

    router = APIRouter()

    @router.get("/quota")
    def quota() -> None:
        raise QuotaExceeded("Out of quota", headers={"X-Quota": "0"})

    app.include_router(router)
    response = client.get("/quota")
    assert_problem(response, 409, "quota-exceeded")
    assert response.headers["x-quota"] == "0"


def test_untrusted_host_is_refused(settings, db) -> None:
    from starlette.testclient import TestClient

    from ecotrack.app import create_app

    settings.trusted_hosts = ["api.example.org", "*.example.net"]
    with TestClient(create_app(settings, db=db, run_jobs=False)) as client:
        assert_problem(client.get("/healthz", headers={"host": "evil.test"}), 400, "invalid-host")
        assert client.get("/healthz", headers={"host": "api.example.org"}).status_code == 200
        assert client.get("/healthz", headers={"host": "a.example.net:8000"}).status_code == 200


def test_cors_allow_list(settings, db) -> None:
    from starlette.testclient import TestClient

    from ecotrack.app import create_app

    settings.cors_origins = ["https://app.example.org"]
    with TestClient(create_app(settings, db=db, run_jobs=False)) as client:
        allowed = client.get("/healthz", headers={"Origin": "https://app.example.org"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.org"
        denied = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in denied.headers


@pytest.mark.parametrize("limiter_kind", ["memory", "redis"])
def test_rate_limit_answers_429_with_retry_after(settings, db, limiter_kind, request) -> None:
    from starlette.testclient import TestClient

    from ecotrack.app import create_app

    if limiter_kind == "redis":
        settings.redis_url = request.getfixturevalue("redis_url")
    settings.rate_limit_per_minute = 3
    app = create_app(settings, db=db, run_jobs=False)
    app.state.rate_limiter.reset()
    with TestClient(app) as client:
        codes = [client.get("/api/v1/system/probes/x").status_code for _ in range(4)]
        assert codes == [404, 404, 404, 429]
        limited = client.get("/api/v1/system/probes/x")
        assert_problem(limited, 429, "rate-limited")
        assert 1 <= int(limited.headers["retry-after"]) <= 61
    app.state.rate_limiter.reset()


def test_memory_limiter_keeps_long_windows_while_short_ones_turn_over(monkeypatch) -> None:
    """An hourly limit must still count after minute-long windows have come and gone."""
    from ecotrack.core import ratelimit
    from ecotrack.core.errors import RateLimited

    now = [1_800_000_000.0]  # the start of an hour (and of a minute)
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    limiter = ratelimit.MemoryRateLimiter()
    for minute in range(3):
        now[0] = 1_800_000_000.0 + minute * 60 + 1
        limiter.hit("ip:a", limit=100, window_s=60)  # a new minute window each time
        limiter.hit("hourly:a", limit=3, window_s=3600)
    with pytest.raises(RateLimited) as exc:
        limiter.hit("hourly:a", limit=3, window_s=3600)
    assert exc.value.retry_after == 3600 - 121 + 1
