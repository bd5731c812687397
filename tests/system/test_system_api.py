from __future__ import annotations

from ecotrack.core.jobs import EmbeddedRunner


def test_healthz(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_reports_each_configured_dependency(client) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["mode"] == "embedded"
    assert [c["name"] for c in body["checks"]] == ["database"]


def test_readyz_with_redis_and_broker(settings, db, redis_url) -> None:
    from starlette.testclient import TestClient

    from ecotrack.app import create_app

    settings.redis_url = redis_url
    settings.broker_url = redis_url
    with TestClient(create_app(settings, db=db, run_jobs=False)) as client:
        body = client.get("/readyz").json()
    assert body["mode"] == "distributed"
    assert {c["name"]: c["status"] for c in body["checks"]} == {
        "database": "ok",
        "redis": "ok",
        "broker": "ok",
    }


def test_readyz_is_503_problem_when_a_dependency_is_down(settings, db) -> None:
    from starlette.testclient import TestClient

    from ecotrack.app import create_app

    settings.redis_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    with TestClient(create_app(settings, db=db, run_jobs=False)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not-ready"
    checks = {c["name"]: c["status"] for c in body["checks"]}
    assert checks == {"database": "ok", "redis": "fail"}


def test_probe_job_runs_after_commit(client) -> None:
    assert client.post("/api/v1/system/probes", json={"token": "p1"}).status_code == 202
    assert client.get("/api/v1/system/probes/p1").status_code == 404  # not run yet
    assert EmbeddedRunner().run_one() is True
    assert client.get("/api/v1/system/probes/p1").json()["runs"] == 1


def test_probe_is_hidden_in_production(settings, db) -> None:
    from starlette.testclient import TestClient

    from ecotrack.app import create_app

    settings.env = "production"
    with TestClient(create_app(settings, db=db, run_jobs=False)) as client:
        assert client.post("/api/v1/system/probes", json={"token": "p"}).status_code == 404


def test_metrics_count_requests_by_route_template(client) -> None:
    client.get("/api/v1/system/probes/abc")
    client.get("/api/v1/system/probes/def")
    text = client.get("/metrics").text
    line = next(
        ln
        for ln in text.splitlines()
        if ln.startswith("ecotrack_http_requests_total")
        and 'route="/api/v1/system/probes/{token}"' in ln
        and 'status="404"' in ln
    )
    assert float(line.rsplit(" ", 1)[1]) >= 2
    assert "ecotrack_http_request_duration_seconds_bucket" in text
    assert "ecotrack_db_pool_connections" in text
    assert 'ecotrack_jobs_queued{status="pending"}' in text


def test_metrics_can_be_disabled(settings, db) -> None:
    from starlette.testclient import TestClient

    from ecotrack.app import create_app

    settings.metrics_enabled = False
    with TestClient(create_app(settings, db=db, run_jobs=False)) as client:
        assert client.get("/metrics").status_code == 404
