"""The built web app served by `ecotrack serve` at `/` (with a small stand-in build)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ecotrack.app import create_app
from ecotrack.core.db import Database
from ecotrack.core.settings import Settings

INDEX = '<!doctype html><div id="app"></div><script type="module" src="/assets/app-1.js"></script>'


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX, encoding="utf-8")
    (tmp_path / "assets" / "app-1.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path / "sw.js").write_text("self.x = 1", encoding="utf-8")
    (tmp_path.parent / "secret.txt").write_text("nope", encoding="utf-8")
    return tmp_path


def _client(
    settings: Settings, db: Database, app_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> TestClient:
    monkeypatch.setattr("ecotrack.web.APP_DIR", app_dir)
    return TestClient(create_app(settings, db=db, run_jobs=False), raise_server_exceptions=False)


@pytest.fixture
def web(
    settings: Settings, db: Database, built: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    with _client(settings, db, built, monkeypatch) as client:
        yield client


def test_root_and_client_routes_get_the_app(web: TestClient) -> None:
    for path in ("/", "/dashboard", "/verify-email", "/orgs/3/usage"):
        response = web.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "default-src 'none'" not in csp


def test_built_files_are_served_with_cache_headers(web: TestClient) -> None:
    asset = web.get("/assets/app-1.js")
    assert asset.status_code == 200
    assert asset.text == "console.log(1)"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    worker = web.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["cache-control"] == "no-cache"
    assert web.head("/dashboard").status_code == 200


def test_missing_files_and_traversal_are_404_problems(web: TestClient) -> None:
    missing = ("/assets/app-2.js", "/favicon.ico", "/assets/../../secret.txt", "/%2e%2e/secret.txt")
    for path in missing:
        response = web.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json", path
        assert "nope" not in response.text


def test_the_api_is_never_shadowed(web: TestClient) -> None:
    missing = web.get("/api/v1/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "not-found"
    assert web.get("/v1/nope").status_code == 404
    assert web.get("/v1").status_code == 404
    assert web.get("/healthz").json()["status"] == "ok"
    assert web.get("/api/docs").headers["content-type"].startswith("text/html")
    assert web.get("/api/openapi.json").json()["info"]["title"] == "EcoTrack API"
    # a method the route does not allow stays a 405 problem, not the app
    wrong_method = web.put("/api/v1/auth/login")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"
    # unsafe methods on app paths are not served the app
    assert web.post("/dashboard").status_code == 405
    # and the SPA route is not part of the API document
    paths = web.get("/api/openapi.json").json()["paths"]
    assert "/{path}" not in paths


def test_without_a_build_the_root_explains_how_to_build(
    settings: Settings, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client(settings, db, tmp_path / "missing", monkeypatch) as client:
        response = client.get("/")
        assert response.status_code == 200
        assert "npm ci" in response.text
        assert "Node.js 20" in response.text
        assert client.get("/api/v1/nope").status_code == 404
