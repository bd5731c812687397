"""Local servers for the SDK tests (127.0.0.1 only, real sockets):

* `FakeIngest`: the `POST /v1/ingest` contract of EcoTrack (bearer/X-API-Key keys, HMAC for
  signed keys with replay refusal, gzip, ≤ 1,000 events and 1 MiB, idempotent ids) plus a
  script of failures to answer first (status codes, Retry-After, dropped connections).
* `FakeProviders`: OpenAI `POST /v1/chat/completions` and Anthropic `POST /v1/messages` in the
  shapes the real APIs answer, JSON and SSE streams (OpenAI sends the usage chunk only when
  `stream_options.include_usage` is true, as the real API does).
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_EVENTS = 1000
MAX_BYTES = 1024 * 1024


@dataclass
class Received:
    headers: dict[str, str]
    raw: bytes
    events: list[dict[str, Any]]
    at: float
    status: int


@dataclass
class Scripted:
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without an answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Base:
    handler: type[BaseHTTPRequestHandler]

    def __init__(self) -> None:
        self.server = _Server(("127.0.0.1", 0), self.handler)
        self.server.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Any:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _IngestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        ingest: FakeIngest = self.server.owner  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, body, extra = ingest.handle(self.path, headers, raw)
        if status == 0:  # drop the connection
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._answer(status, body, extra)


class FakeIngest(_Base):
    handler = _IngestHandler

    def __init__(self, keys: dict[str, str | None]) -> None:
        """`keys`: API key → its signing secret (None: an unsigned key)."""
        super().__init__()
        self.keys = keys
        self.script: list[Scripted] = []
        self.requests: list[Received] = []
        self.stored: dict[str, dict[str, Any]] = {}
        self.seen_signatures: set[str] = set()
        self.lock = threading.Lock()

    @property
    def stored_ids(self) -> list[str]:
        return sorted(self.stored)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> None:
        end = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > end:
                raise AssertionError(f"{len(self.requests)} requests, expected {count}")
            time.sleep(0.01)

    def handle(
        self, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self.lock:
            status, body, extra = self._handle(path, headers, raw)
            events = []
            try:
                data = gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw
                events = json.loads(data).get("events", [])
            except Exception:  # noqa: S110 - recorded as received
                pass
            self.requests.append(Received(headers, raw, events, time.monotonic(), status))
            return status, body, extra

    def _handle(
        self, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if path != "/v1/ingest":
            return 404, {"code": "not-found"}, {}
        if self.script:
            step = self.script.pop(0)
            return (0 if step.drop else step.status), {"code": "scripted"}, step.headers
        auth = headers.get("authorization", "")
        key = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
        key = key or headers.get("x-api-key")
        if key not in self.keys:
            return 401, {"code": "api-key-invalid"}, {}
        secret = self.keys[key]
        if secret is not None:
            stamp = headers.get("x-ecotrack-timestamp", "")
            signature = headers.get("x-ecotrack-signature", "")
            expected = hmac.new(
                secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256
            ).hexdigest()
            fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= 300
            if not fresh or not hmac.compare_digest(signature, f"v1={expected}"):
                return 401, {"code": "api-key-signature"}, {}
            if signature in self.seen_signatures:
                return 401, {"code": "api-key-replay"}, {}
            self.seen_signatures.add(signature)
        try:
            data = gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw
        except OSError:
            return 400, {"code": "bad-gzip"}, {}
        if len(data) > MAX_BYTES:
            return 413, {"code": "payload-too-large"}, {}
        try:
            envelope = json.loads(data)
            events = envelope["events"]
            assert isinstance(events, list)
        except Exception:
            return 422, {"code": "validation-failed"}, {}
        if len(events) > MAX_EVENTS:
            return 413, {"code": "payload-too-large"}, {}
        accepted = duplicates = 0
        rejected = []
        for index, event in enumerate(events):
            required = ("id", "ts", "provider", "model", "tokens_in", "tokens_out")
            missing = [name for name in required if name not in event]
            if missing:
                rejected.append({"index": index, "id": event.get("id"), "errors": missing})
            elif event["id"] in self.stored:
                duplicates += 1
            else:
                self.stored[event["id"]] = event
                accepted += 1
        return 200, {"accepted": accepted, "duplicates": duplicates, "rejected": rejected}, {}


# --- providers -----------------------------------------------------------------------------

OPENAI_MODEL = "gpt-4o-mini-2024-07-18"
ANTHROPIC_MODEL = "claude-3-5-haiku-20241022"
OPENAI_USAGE = {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
ANTHROPIC_USAGE = {"input_tokens": 20, "output_tokens": 7}


def _openai_completion() -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": OPENAI_MODEL,
        "system_fingerprint": "fp_1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello there!", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": OPENAI_USAGE,
    }


def _openai_chunks(include_usage: bool) -> Iterator[dict[str, Any]]:
    base = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1_700_000_000}
    base["model"] = OPENAI_MODEL
    pieces = [{"role": "assistant", "content": ""}, {"content": "Hello"}, {"content": " there!"}]
    extra = {"usage": None} if include_usage else {}
    for i, delta in enumerate(pieces):
        finish = "stop" if i == len(pieces) - 1 else None
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        yield {**base, "choices": [choice], **extra}
    if include_usage:
        yield {**base, "choices": [], "usage": OPENAI_USAGE}


def _anthropic_message() -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_MODEL,
        "content": [{"type": "text", "text": "Hi!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": ANTHROPIC_USAGE,
    }


def _anthropic_events() -> Iterator[tuple[str, dict[str, Any]]]:
    start = {**_anthropic_message(), "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": 20, "output_tokens": 1}
    yield "message_start", {"type": "message_start", "message": start}
    yield (
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    )
    for text in ("Hi", "!"):
        delta = {"type": "text_delta", "text": text}
        yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 7},
        },
    )
    yield "message_stop", {"type": "message_stop"}


class _ProviderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:
        owner: FakeProviders = self.server.owner  # type: ignore[attr-defined]
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        owner.requests.append((self.path, request))
        if owner.fail_next:
            owner.fail_next = False
            return self._json(400, {"error": {"message": "bad request", "type": "invalid"}})
        if self.path == "/v1/chat/completions":
            if not request.get("stream"):
                return self._json(200, _openai_completion())
            include = bool((request.get("stream_options") or {}).get("include_usage"))
            return self._sse((None, chunk) for chunk in _openai_chunks(include))
        if self.path == "/v1/messages":
            if not request.get("stream"):
                return self._json(200, _anthropic_message())
            return self._sse(_anthropic_events(), done=False)
        return self._json(404, {"error": {"message": "no such route"}})

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: Any, *, done: bool = True) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for name, data in events:
            head = f"event: {name}\n" if name else ""
            self.wfile.write(f"{head}data: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()
        if done:
            self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


class FakeProviders(_Base):
    handler = _ProviderHandler

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.fail_next = False
