"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 (a free port) that verifies
Standard Webhooks signatures with its own implementation of the spec, written from the spec
(https://www.standardwebhooks.com/) and independent of `ecotrack.webhooks.signing`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_S = 300  # the reference library's ±5 minutes


class SignatureError(Exception):
    pass


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None) -> None:
    """Raise SignatureError unless `body` carries a valid, fresh v1 signature for `secret`."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        raise SignatureError("missing webhook headers")
    try:
        sent_at = int(timestamp)
    except ValueError as exc:
        raise SignatureError("bad timestamp") from exc
    if abs((now if now is not None else time.time()) - sent_at) > TOLERANCE_S:
        raise SignatureError("timestamp outside the tolerance")
    if not secret.startswith("whsec_"):
        raise SignatureError("not a whsec_ secret")
    key = base64.b64decode(secret[len("whsec_") :])
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return
    raise SignatureError("no matching v1 signature")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str | None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """Answers each POST with the next queued `Reply` (200 when the queue is empty) and records
    what it received, with the signature check's verdict."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.received: list[Received] = []
        self.replies: deque[Reply] = deque()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                error = None
                try:
                    verify(receiver.secret or "", headers, body)
                except SignatureError as exc:
                    error = str(exc)
                receiver.received.append(Received(self.path, headers, body, error is None, error))
                reply = receiver.replies.popleft() if receiver.replies else Reply()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "/hooks", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
