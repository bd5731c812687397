"""Health, readiness, metrics and the job probe."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ecotrack.core.deps import AppSettings, DbSession, get_db
from ecotrack.core.errors import PROBLEM_JSON, NotFoundError, problem_body, problem_responses
from ecotrack.core.observability import DB_POOL, JOBS_QUEUED, REGISTRY
from ecotrack.system.schemas import Health, Probe, ProbeAccepted, ProbeCreate, Readiness
from ecotrack.system.service import system_service

root_router = APIRouter(tags=["system"])
router = APIRouter(prefix="/system", tags=["system"])


@root_router.get("/healthz", response_model=Health, operation_id="system-health")
async def healthz() -> Health:
    """Liveness: the process answers."""
    return system_service.health()


@root_router.get(
    "/readyz",
    response_model=Readiness,
    operation_id="system-ready",
    responses={503: {"description": "A dependency is unavailable (problem+json with `checks`)"}},
)
def readyz(request: Request, settings: AppSettings) -> Response | Readiness:
    """Readiness: the database, and Redis and the broker when configured, each reported."""
    readiness = system_service.readiness(get_db(request), settings)
    if readiness.status == "ok":
        return readiness
    failed = ", ".join(c.name for c in readiness.checks if c.status != "ok")
    body = problem_body(
        503,
        f"Not ready: {failed}",
        code="not-ready",
        request_id=getattr(request.state, "request_id", None),
    )
    body["checks"] = [c.model_dump() for c in readiness.checks]
    return Response(orjson.dumps(body), status_code=503, media_type=PROBLEM_JSON)


@root_router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    if not request.app.state.settings.metrics_enabled:
        raise NotFoundError("Metrics are disabled (ECOTRACK_METRICS_ENABLED=false)")
    db = get_db(request)
    pool = db.engine.pool
    for state, getter in (
        ("checked_out", "checkedout"),
        ("idle", "checkedin"),
        ("overflow", "overflow"),
    ):
        fn = getattr(pool, getter, None)
        if callable(fn):
            DB_POOL.labels(state=state).set(max(0, int(fn())))
    if not request.app.state.settings.broker_url:
        from ecotrack.core.jobs import queue_depth

        with db.session_factory() as session:
            depth = queue_depth(session)
        for status in ("pending", "running", "done", "failed"):
            JOBS_QUEUED.labels(status=status).set(depth.get(status, 0))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _probes_enabled(settings: AppSettings) -> None:
    if settings.env == "production":
        raise NotFoundError("The job probe is disabled in production")


@router.post(
    "/probes",
    response_model=ProbeAccepted,
    status_code=202,
    operation_id="system-probe-create",
    responses=problem_responses(404, 422),
)
def create_probe(probe_in: ProbeCreate, session: DbSession, settings: AppSettings) -> ProbeAccepted:
    """Enqueue one run of the `system.probe` job (development and test only)."""
    _probes_enabled(settings)
    system_service.request_probe(session, token=probe_in.token)
    return ProbeAccepted(token=probe_in.token)


@router.get(
    "/probes/{token}",
    response_model=Probe,
    operation_id="system-probe-get",
    responses=problem_responses(404),
)
def get_probe(token: str, session: DbSession, settings: AppSettings) -> Probe:
    """How many times the probe job ran for `token`."""
    _probes_enabled(settings)
    return Probe.model_validate(system_service.get_probe(session, token=token))
