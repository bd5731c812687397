"""The HTTP edge as one pure-ASGI middleware (cheaper than a stack of BaseHTTPMiddleware).

For every request it:
* accepts a well-formed `X-Request-ID` or generates one, echoes it, and puts it in the log context;
* refuses bodies over the configured limit with 413 problem+json (by `Content-Length`, and by
  counting the bytes of a chunked body as they arrive);
* adds security headers;
* records Prometheus metrics by route template and writes one access-log line;
* turns an unhandled exception into a 500 problem+json that never carries a traceback.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecotrack.core.errors import PROBLEM_JSON, problem_body
from ecotrack.core.observability import (
    HTTP_IN_FLIGHT,
    HTTP_LATENCY,
    HTTP_REQUESTS,
    request_id_var,
)

access_log = logging.getLogger("ecotrack.access")
error_log = logging.getLogger("ecotrack.errors")

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
# The Swagger UI page (vendored assets, one inline bootstrap script) gets its own policy.
DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; frame-ancestors 'none'"
)


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        hsts_seconds: int = 0,
        trusted_hosts: list[str] | None = None,
    ) -> None:
        self.app = app
        hosts = [h.lower() for h in (trusted_hosts or ["*"])]
        self.any_host = "*" in hosts
        self.exact_hosts = frozenset(h for h in hosts if not h.startswith("*."))
        self.wildcard_hosts = tuple(h[1:] for h in hosts if h.startswith("*."))
        self.max_body_bytes = max_body_bytes
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains".encode() if hsts_seconds else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        start = time.perf_counter()
        status_holder = [500]
        started = [False]
        path: str = scope["path"]
        limit = self.max_body_bytes

        if not self.any_host and not self._host_allowed(scope):
            await _send_problem(
                send,
                400,
                "The Host header is not one this server answers to",
                request_id,
                self._headers(path, request_id),
                code="invalid-host",
            )
            self._record(scope, 400, start)
            request_id_var.reset(token)
            return

        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_problem(
                send, 413, _too_large(limit), request_id, self._headers(path, request_id)
            )
            self._record(scope, 413, start)
            request_id_var.reset(token)
            return

        received = [0]
        refused = [False]
        extra_headers = self._headers(path, request_id)

        async def limited_receive() -> Message:
            if refused[0]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received[0] += len(message.get("body", b""))
                if received[0] > limit:
                    # Answer 413 now; the application sees a disconnected client and whatever
                    # it tries to send afterwards is dropped.
                    refused[0] = True
                    if not started[0]:
                        started[0] = True
                        status_holder[0] = 413
                        await _send_problem(send, 413, _too_large(limit), request_id, extra_headers)
                    return {"type": "http.disconnect"}
            return message

        async def send_wrapper(message: Message) -> None:
            if refused[0]:
                return
            if message["type"] == "http.response.start":
                started[0] = True
                status_holder[0] = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in extra_headers if h[0] not in present)
                message["headers"] = headers
            await send(message)

        HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, limited_receive, send_wrapper)
        except Exception:
            if refused[0]:
                return  # the 413 is already sent; the app failed reading a truncated body
            error_log.exception("unhandled error on %s %s", scope.get("method"), path)
            if not started[0]:
                status_holder[0] = 500
                await _send_problem(
                    send,
                    500,
                    "An unexpected error occurred. It has been logged; quote the request id "
                    "when reporting it.",
                    request_id,
                    extra_headers,
                    code="internal-error",
                )
        finally:
            HTTP_IN_FLIGHT.dec()
            self._record(scope, status_holder[0], start)
            request_id_var.reset(token)

    def _host_allowed(self, scope: Scope) -> bool:
        host = ""
        for name, value in scope.get("headers", ()):
            if name == b"host":
                host = value.decode("latin-1").lower()
                break
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return host in self.exact_hosts or any(host.endswith(w) for w in self.wildcard_hosts)

    def _headers(self, path: str, request_id: str) -> list[tuple[bytes, bytes]]:
        headers = [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]
        is_docs = path.startswith("/api/docs") or path.startswith("/api/redoc")
        headers.append((b"content-security-policy", DOCS_CSP if is_docs else API_CSP))
        if self.hsts:
            headers.append((b"strict-transport-security", self.hsts))
        return headers

    @staticmethod
    def _record(scope: Scope, status: int, start: float) -> None:
        elapsed = time.perf_counter() - start
        ctx = (scope.get("fastapi") or {}).get("effective_route_context")
        template = (
            getattr(ctx, "path", None) or getattr(scope.get("route"), "path", None) or "unmatched"
        )
        method = scope.get("method", "")
        counter, histogram = _metric_children(method, template, status)
        counter.inc()
        histogram.observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %d %.1fms",
                method,
                scope["path"],
                status,
                elapsed * 1000,
                extra={
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                    "client": (scope.get("client") or ("-",))[0],
                },
            )


_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _metric_children(method: str, template: str, status: int) -> tuple[Any, Any]:
    """Labelled metric children, cached: `.labels()` costs a lock and a dict build per call."""
    key = (method, template, status)
    children = _CHILDREN.get(key)
    if children is None:
        children = (
            HTTP_REQUESTS.labels(method=method, route=template, status=str(status)),
            HTTP_LATENCY.labels(method=method, route=template),
        )
        if len(_CHILDREN) < 10_000:  # unmatched paths share one template; this bounds memory
            _CHILDREN[key] = children
    return children


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            try:
                candidate = value.decode("ascii")
            except UnicodeDecodeError:
                return None
            return candidate if _REQUEST_ID_RE.match(candidate) else None
    return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _too_large(limit: int) -> str:
    return f"The request body exceeds the limit of {limit} bytes"


async def _send_problem(
    send: Send,
    status: int,
    detail: str,
    request_id: str,
    extra_headers: list[tuple[bytes, bytes]],
    *,
    code: str | None = None,
) -> None:
    body = orjson.dumps(problem_body(status, detail, code=code, request_id=request_id))
    headers: list[Any] = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *extra_headers,
    ]
    if status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
