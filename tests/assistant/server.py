"""A real OpenAI-compatible HTTP server on 127.0.0.1 (a free port), for the openai and
openai_compatible plugins: it answers `POST /v1/chat/completions` in the recorded response
shape, or fails as told (500, a slow answer, garbage)."""

from __future__ import annotations

import copy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RECORDINGS = Path(__file__).parent / "recordings"


def recording(name: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / name).read_text(encoding="utf-8"))


class FakeOpenAI:
    """`mode`: ok | http_500 | slow | garbage | not_a_json_answer; `answer`: the JSON object
    the model 'returns' in mode ok (None: the recording's own content)."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.answer: dict[str, Any] | None = None
        self.delay_s = 3.0
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # quiet
                return

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                server.requests.append(json.loads(raw))
                server.headers.append(dict(self.headers.items()))
                if self.path != "/v1/chat/completions":
                    self._send(404, b'{"error": {"message": "not found"}}')
                elif server.mode == "http_500":
                    self._send(500, b'{"error": {"message": "internal", "type": "server_error"}}')
                elif server.mode == "garbage":
                    self._send(200, b"<html>upstream proxy error</html>{")
                else:
                    if server.mode == "slow":
                        time.sleep(server.delay_s)
                    body = recording("openai_chat_completion.json")
                    message = body["choices"][0]["message"]
                    if server.mode == "not_a_json_answer":
                        message["content"] = "Sure! Here are your recommendations: ..."
                    elif server.answer is not None:
                        message["content"] = json.dumps(copy.deepcopy(server.answer))
                    self._send(200, json.dumps(body).encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
