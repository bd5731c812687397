"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error EcoTrack answers has `type`, `title`, `status`, `detail`, a stable `code`, the request
id as `instance`, and for validation an `errors` list of `{loc, msg, type}`. Domain code raises an
`AppError` subclass; the handlers here render it once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://ecotrack.dev/problems/"

logger = logging.getLogger("ecotrack.errors")


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, as EcoTrack answers them."""

    type: str = Field(examples=["https://ecotrack.dev/problems/not-found"])
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable error code")
    instance: str | None = Field(default=None, description="The request id")
    errors: list[FieldError] | None = None


class AppError(Exception):
    """Base of every domain error. Subclass per domain; set `status_code` and `code`."""

    status_code: int = 400
    code: str = "bad-request"
    title: str | None = None

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.errors = [dict(e) for e in errors] if errors else None
        self.headers = dict(headers or {})


class NotFoundError(AppError):
    status_code = 404
    code = "not-found"


class ConflictError(AppError):
    status_code = 409
    code = "conflict"


class ValidationFailed(AppError):
    """A payload that is well-formed but fails a rule the schema cannot express."""

    status_code = 422
    code = "validation-failed"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload-too-large"


class RateLimited(AppError):
    status_code = 429
    code = "rate-limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service-unavailable"


_DEFAULT_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "rate-limited",
    500: "internal-error",
    503: "service-unavailable",
}


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    title: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    code = code or _DEFAULT_CODES.get(status, "error")
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title or _title(status),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request_id:
        body["instance"] = f"urn:request:{request_id}"
    if errors is not None:
        body["errors"] = list(errors)
    return body


def problem_response(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    title: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    request_id: str | None = None,
) -> Response:
    body = problem_body(
        status, detail, code=code, title=title, errors=errors, request_id=request_id
    )
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _clean_loc(loc: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        out.append(
            {
                "loc": _clean_loc(err.get("loc", ())),
                "msg": err.get("msg", ""),
                "type": err.get("type", ""),
            }
        )
    return out


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)  # noqa: S101 - registered for AppError only
    return problem_response(
        exc.status_code,
        exc.detail,
        code=exc.code,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers,
        request_id=_request_id(request),
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else _title(status)
    if status == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}"
    elif status == 405 and detail == "Method Not Allowed":
        detail = f"{request.method} is not allowed on {request.url.path}"
    headers = getattr(exc, "headers", None)
    if status == 405:
        allowed = _allowed_methods(request)
        if allowed:
            headers = {**(headers or {}), "Allow": allowed}
    return problem_response(status, detail, headers=headers, request_id=_request_id(request))


def _allowed_methods(request: Request) -> str:
    """Every method the API documents at this path (RFC 9110 `Allow`). Starlette names only
    the first route whose path matched, so `PUT /goals` said `Allow: GET` though POST works."""
    path = request.url.path
    table = _method_table(request.app)
    matching = [(p, allowed) for p, allowed in table if p.fullmatch(path)]
    literal = [allowed for p, allowed in matching if p.pattern == re.escape(path)]
    methods: set[str] = set()
    for allowed in literal or [allowed for _, allowed in matching]:  # `/x/batch` over `/x/{id}`
        methods |= allowed
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _method_table(app: Any) -> list[tuple[re.Pattern[str], set[str]]]:
    """(path pattern, methods) from the app's OpenAPI document, built once per app."""
    cached: list[tuple[re.Pattern[str], set[str]]] | None = getattr(
        app.state, "allowed_methods", None
    )
    if cached is None:
        cached = []
        for template, operations in app.openapi().get("paths", {}).items():
            regex = re.sub(
                r"\\\{([^}:]+)(:path)?\\\}",
                lambda m: ".+" if m.group(2) else "[^/]+",
                re.escape(template),
            )
            verbs = {m.upper() for m in operations if m in _HTTP_METHODS}
            cached.append((re.compile(regex), verbs))
        app.state.allowed_methods = cached
    return cached


_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    errors = validation_errors(exc)
    n = len(errors)
    return problem_response(
        422,
        f"The request has {n} invalid field{'s' if n != 1 else ''}",
        code="validation-failed",
        errors=errors,
        request_id=_request_id(request),
    )


async def _unhandled(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error", exc_info=exc)
    return problem_response(
        500,
        "An unexpected error occurred. It has been logged; quote the request id when reporting it.",
        code="internal-error",
        request_id=_request_id(request),
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unhandled)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problem+json statuses a route can answer."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {
            "model": Problem,
            "description": _title(status),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return out
