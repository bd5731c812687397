"""Structured logs carry the request id; tracing exports real OTLP spans when switched on."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from ecotrack.core.observability import JsonFormatter, request_id_var


def test_json_log_lines_carry_the_request_id() -> None:
    record = logging.makeLogRecord(
        {"name": "ecotrack.test", "levelname": "INFO", "levelno": 20, "msg": "hello %s",
         "args": ("world",), "route": "/x"}
    )  # fmt: skip
    token = request_id_var.set("req-42")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["msg"] == "hello world"
    assert line["request_id"] == "req-42"
    assert line["route"] == "/x"
    assert line["level"] == "INFO"


def test_access_log_has_route_status_and_request_id(client, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="ecotrack.access"):
        client.get("/api/v1/system/probes/zzz", headers={"X-Request-ID": "trace-me"})
    records = [r for r in caplog.records if r.name == "ecotrack.access"]
    assert records
    assert records[-1].route == "/api/v1/system/probes/{token}"
    assert records[-1].status == 404
    formatted = json.loads(JsonFormatter().format(records[-1]))
    assert formatted["status"] == 404


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        _Collector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_tracing_exports_spans_over_otlp_http(settings, db) -> None:
    from opentelemetry import trace
    from starlette.testclient import TestClient

    from ecotrack.app import create_app

    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.otel_enabled = True
        settings.otel_endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        settings.otel_service_name = "ecotrack-test"
        with TestClient(create_app(settings, db=db, run_jobs=False)) as client:
            assert client.get("/healthz").status_code == 200
        provider = trace.get_tracer_provider()
        provider.force_flush()  # type: ignore[attr-defined]
        paths = [path for path, _ in _Collector.received]
        assert "/v1/traces" in paths
        body = b"".join(b for p, b in _Collector.received if p == "/v1/traces")
        assert b"ecotrack-test" in body  # the service name travels in the resource
        assert b"/healthz" in body  # the request span
    finally:
        trace.get_tracer_provider().shutdown()  # type: ignore[attr-defined]  # stop exporting
        server.shutdown()
