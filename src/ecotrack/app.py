"""The FastAPI application factory.

`create_app()` wires settings, the database, the job runner, middleware, error handlers and the
domain routers. The API lives under `/api/v1`; the OpenAPI document at `/api/openapi.json` and its
interactive docs at `/api/docs`. `/healthz`, `/readyz` and `/metrics` sit at the root.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from ecotrack import __version__
from ecotrack.admin.auth import maintenance_guard
from ecotrack.core import jobs
from ecotrack.core.db import Database, WalCheckpointer, ensure_database, set_database
from ecotrack.core.deps import rate_limit_by_ip
from ecotrack.core.discovery import domain_modules
from ecotrack.core.errors import PROBLEM_JSON, install_error_handlers
from ecotrack.core.middleware import EdgeMiddleware
from ecotrack.core.observability import configure_tracing
from ecotrack.core.ratelimit import make_rate_limiter
from ecotrack.core.settings import Settings, get_settings
from ecotrack.web import mount_spa

logger = logging.getLogger("ecotrack")

API_PREFIX = "/api/v1"


def _operation_id(route: APIRoute) -> str:
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}-{route.name}".replace("_", "-")


def api_routers() -> list[APIRouter]:
    """Every domain's `router` (mounted under /api/v1), found in `ecotrack.<domain>.router`."""
    return [m.router for m in domain_modules("router") if hasattr(m, "router")]


def root_routers() -> list[APIRouter]:
    """Domain routers mounted at the root (`root_router`, e.g. /healthz or /v1/ingest)."""
    return [m.root_router for m in domain_modules("router") if hasattr(m, "root_router")]


STATIC_DIR = Path(__file__).resolve().parent / "static"


def _mount_docs(app: FastAPI) -> None:
    """Interactive API docs at /api/docs from the Swagger UI shipped in the package."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    app.mount(
        "/api/docs/assets", StaticFiles(directory=STATIC_DIR / "swagger"), name="swagger-assets"
    )

    @app.get("/api/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="EcoTrack API",
            swagger_js_url="/api/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs/assets/swagger-ui.css",
            swagger_favicon_url="/api/docs/assets/favicon-32x32.png",
        )


def _preload_factors() -> None:
    """Load every factor table before the first request, then move those long-lived objects out
    of the cyclic GC's reach (`gc.freeze`): full collections stop rescanning them, which keeps
    large batch requests from stalling on GC pauses."""
    import gc

    from ecotrack.factors.registry import get_registry

    get_registry().load_all()
    gc.collect()
    gc.freeze()


async def _warm_routes(app: FastAPI) -> None:
    """Send one request that matches no route through the router at startup.

    FastAPI 0.165 builds the request context of every route it scans on first sight (its
    dependencies, parameter models and validators: ≈ 0.6 s for this app on the 2-core VM),
    so the first request of every worker process used to wait for it. A path nothing matches
    makes the router scan, and build, every route (under `/api/v1/`: elsewhere the web app's
    fallback answers); the 404 goes nowhere."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"{API_PREFIX}/.warm-up",
        "raw_path": f"{API_PREFIX}/.warm-up".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "client": None,
        "server": None,
        "state": {},
    }

    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(_message: Any) -> None:
        return None

    await app.router(scope, receive, send)


def create_app(
    settings: Settings | None = None, *, db: Database | None = None, run_jobs: bool | None = None
) -> FastAPI:
    """Build the application. `db` lets tests share a connection; `run_jobs` overrides whether the
    embedded job runner starts (default: when no broker is configured)."""
    settings = settings or get_settings()
    owns_db = db is None  # a database handed in (tests) is left as it is

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.preload_factors:
            _preload_factors()
        start_runner = (
            run_jobs if run_jobs is not None else settings.jobs_embedded and not settings.broker_url
        )
        if settings.warm_routes:
            await _warm_routes(app)
        checkpointer = None
        database = app.state.db
        if owns_db and database.dialect == "sqlite" and settings.sqlite_checkpoint_interval_s:
            checkpointer = WalCheckpointer(database.engine, settings.sqlite_checkpoint_interval_s)
            checkpointer.start()
        if start_runner:
            jobs.start_embedded_runner(
                poll_interval_s=settings.jobs_poll_interval_s,
                start_delay_s=settings.jobs_start_delay_s,
                max_attempts=settings.jobs_max_attempts,
            )
        try:
            yield
        finally:
            if start_runner:
                jobs.stop_embedded_runner()
            if checkpointer is not None:
                checkpointer.stop()

    app = FastAPI(
        title="EcoTrack API",
        version=__version__,
        description=(
            "Measure, explain and reduce environmental footprints. Every error is "
            "`application/problem+json` (RFC 9457) with a stable `code`."
        ),
        openapi_url="/api/openapi.json",
        docs_url=None,  # served below with the vendored Swagger UI (works offline)
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    if db is not None:
        set_database(db)
        app.state.db = db
    else:
        app.state.db = ensure_database(settings)
    app.state.rate_limiter = make_rate_limiter(settings.redis_url)
    jobs.load_task_modules()

    install_error_handlers(app)

    for router in root_routers():
        app.include_router(router)
    # Each API router straight under the app, not under one `/api/v1` router: FastAPI matches
    # a request once per nesting level to find it and again to hand it over, so the extra level
    # cost every API request another scan of the route table (≈ 1.3 ms measured in process).
    api_dependencies = [Depends(rate_limit_by_ip), Depends(maintenance_guard)]
    for router in api_routers():
        app.include_router(router, prefix=API_PREFIX, dependencies=api_dependencies)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "X-CSRF-Token"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(
        EdgeMiddleware,
        max_body_bytes=settings.max_request_bytes,
        hsts_seconds=settings.hsts_seconds if settings.env == "production" else 0,
        trusted_hosts=settings.trusted_hosts,
    )
    _mount_docs(app)
    mount_spa(app)  # last: the web app at / (never shadows the API)
    configure_tracing(app, settings)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every error response described as problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    from ecotrack.core.errors import FieldError, Problem

    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = components["Problem"].pop("$defs", {})
    components.update(defs)
    for path, item in schema.get("paths", {}).items():
        for _method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            extra = ["429", "500", "503"] if path.startswith(API_PREFIX) else ["500"]
            if "requestBody" in op:
                extra.append("413")
            if op.get("parameters") or "requestBody" in op:
                extra.append("422")
            for status in extra:
                responses.setdefault(status, {"description": "Error"})
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response["content"] = {PROBLEM_JSON: {"schema": problem_ref}}
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    components.setdefault("FieldError", FieldError.model_json_schema())
    app.openapi_schema = schema
    return schema
