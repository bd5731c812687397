"""Startup builds FastAPI's per-route request contexts, so a worker's first caller does not."""

from __future__ import annotations

from typing import Any

import fastapi.routing
from starlette.testclient import TestClient

from ecotrack.app import create_app


def test_the_first_request_after_startup_builds_no_route_context(settings, db, monkeypatch) -> None:
    """FastAPI 0.165 builds a route's context (dependencies, parameter models) the first time
    it scans the route, ≈ 0.6 s for this app: `create_app`'s startup sends one request that
    matches nothing, so it happens there. Counted through FastAPI's builder: if FastAPI moves
    it, this test fails loudly rather than passing vacuously."""
    built: list[Any] = []
    original = fastapi.routing._EffectiveRouteContext.from_api_route

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(kwargs.get("original_route"))
        return original(*args, **kwargs)

    monkeypatch.setattr(
        fastapi.routing._EffectiveRouteContext, "from_api_route", staticmethod(counting)
    )
    settings.warm_routes = True  # what `serve` runs with (the suite turns it off)
    app = create_app(settings, db=db, run_jobs=False)
    with TestClient(app) as client:
        at_startup = len(built)
        assert at_startup > 100  # every API route, built during startup
        assert client.get("/api/v1/orgs/1/usage/summary").status_code == 401
        assert client.get("/api/v1/factors").status_code == 200
        assert len(built) == at_startup  # nothing left to build for the first callers
    settings.warm_routes = False
    built.clear()
    with TestClient(create_app(settings, db=db, run_jobs=False)) as client:
        assert built == []  # off: built lazily, by the requests
        client.get("/api/v1/factors")
        assert built
