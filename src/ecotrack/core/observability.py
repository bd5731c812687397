"""Observability: Prometheus metrics, structured JSON logs with the request id, OpenTelemetry.

Metrics live in one registry exposed at `/metrics`. Logs are one JSON object per line carrying the
`request_id` of the request being served. Tracing (OTLP over HTTP) is off unless
`ECOTRACK_OTEL_ENABLED=true`.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ecotrack.core.settings import Settings

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ecotrack_request_id", default=None
)

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "ecotrack_http_requests_total",
    "HTTP requests by method, route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "ecotrack_http_request_duration_seconds",
    "HTTP request latency by method and route template",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
HTTP_IN_FLIGHT = Gauge(
    "ecotrack_http_requests_in_flight", "HTTP requests being served", registry=REGISTRY
)
DB_POOL = Gauge(
    "ecotrack_db_pool_connections",
    "Database pool connections by state (checked_out, idle, overflow)",
    ["state"],
    registry=REGISTRY,
)
JOBS_TOTAL = Counter(
    "ecotrack_jobs_total",
    "Background jobs by task and outcome (enqueued, success, error)",
    ["task", "outcome"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "ecotrack_job_duration_seconds",
    "Background job run time by task",
    ["task"],
    registry=REGISTRY,
)
JOBS_QUEUED = Gauge(
    "ecotrack_jobs_queued",
    "Embedded-mode jobs in the durable queue by status",
    ["status"],
    registry=REGISTRY,
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extras, exception."""

    _RESERVED = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid:
            payload["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in self._RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(payload, default=str).decode()


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    root.setLevel(settings.log_level.upper())
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.addFilter(_RequestIdFilter())
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root.handlers = [handler]
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # The access log is ours (request id, route template, duration); uvicorn's would repeat it.
    logging.getLogger("uvicorn.access").disabled = True


def configure_tracing(app: FastAPI, settings: Settings) -> bool:
    """Install OpenTelemetry tracing with an OTLP/HTTP exporter. Returns whether it is on."""
    if not settings.otel_enabled:
        return False
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name})
    )
    exporter = (
        OTLPSpanExporter(endpoint=settings.otel_endpoint.rstrip("/") + "/v1/traces")
        if settings.otel_endpoint
        else OTLPSpanExporter()
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    try:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
    except ImportError:  # pragma: no cover - the instrumentation package is optional
        logging.getLogger("ecotrack").warning("opentelemetry-instrumentation-fastapi not installed")
    return True
