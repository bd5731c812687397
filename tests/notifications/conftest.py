"""A committed database and real uvicorn servers for the Server-Sent Events tests.

The stream is read over real HTTP (httpx streaming) from uvicorn in a thread, or in a subprocess
for the Redis fan-out between two instances. Their data must be committed, so these tests use a
throwaway database of their own (SQLite file or PostgreSQL, per ECOTRACK_TEST_DB) built by the
migrations, instead of the rolled-back transaction of the other tests.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ecotrack.core import jobs
from ecotrack.core.db import Database, create_db_engine, set_database
from ecotrack.core.migrate import upgrade
from ecotrack.core.settings import Settings
from ecotrack.notifications.realtime import reset_realtime
from tests.conftest import _DATA_DIR, create_pg_database, drop_pg_database, test_db_kind

SECRET = "stream-tests-secret-key-0123456789abcdef"


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if test_db_kind() == "postgresql":
        name, url = create_pg_database("ecotrack_sse")
        upgrade(url)
        yield url
        drop_pg_database(name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sse') / 'live.db'}"
        upgrade(url)
        yield url


def live_settings(url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": _DATA_DIR,
        "database_url": url,
        "secret_key": SECRET,
        "password_hash_profile": "test",
        "log_json": False,
        "preload_factors": False,
        "rate_limit_per_minute": 100_000,
        "auth_rate_limit_per_minute": 10_000,
        "auth_cookie_secure": False,
        "notifications_stream_heartbeat_s": 0.3,
        "notifications_stream_max_s": 20.0,
    }
    values.update(extra)
    return Settings(**values)


@pytest.fixture(scope="module")
def live_db(live_url: str) -> Iterator[Database]:
    database = Database(create_db_engine(live_url, pool_size=5, max_overflow=5))
    set_database(database)
    jobs.reset_backend()
    reset_realtime()
    yield database
    reset_realtime()
    set_database(None)
    database.engine.dispose()


class ServerThread:
    """uvicorn serving `app` on a free port of 127.0.0.1, in a daemon thread."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@dataclass
class Event:
    event: str | None = None
    id: str | None = None
    data: Any = None
    comment: str | None = None


@dataclass
class StreamReader:
    """Reads an SSE stream in a thread; `next()` returns parsed events (and comments)."""

    url: str
    headers: dict[str, str]
    cookies: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    events: queue.Queue[Event | None] = field(default_factory=queue.Queue)
    connected: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    body: str = ""

    def start(self) -> StreamReader:
        threading.Thread(target=self._run, daemon=True).start()
        assert self.connected.wait(15), "the stream did not answer"
        return self

    def _run(self) -> None:
        headers = {"Accept": "text/event-stream", **self.headers}
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(30, read=30), cookies=self.cookies) as client,
                client.stream("GET", self.url, headers=headers) as response,
            ):
                self.response = response
                self.status = response.status_code
                self.content_type = response.headers.get("content-type", "")
                if response.status_code != 200:
                    self.body = response.read().decode()
                    self.connected.set()
                    return
                self.connected.set()
                current = Event()
                for line in response.iter_lines():
                    if line == "":
                        if current != Event():
                            self.events.put(current)
                        current = Event()
                    elif line.startswith(":"):
                        self.events.put(Event(comment=line[1:].strip()))
                    else:
                        name, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if name == "event":
                            current.event = value
                        elif name == "id":
                            current.id = value
                        elif name == "data":
                            current.data = json.loads(value)
        except (httpx.HTTPError, ValueError, OSError):
            pass  # closed by the test
        finally:
            self.connected.set()
            self.ended.set()
            self.events.put(None)

    def close(self) -> None:
        response = getattr(self, "response", None)
        if response is not None:
            response.close()
        self.ended.wait(5)

    def next(self, *, timeout: float = 10, skip_comments: bool = True) -> Event | None:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no event arrived in time"
            item = self.events.get(timeout=remaining)
            if item is not None and skip_comments and item.comment is not None:
                continue
            return item

    def nothing_for(self, seconds: float) -> bool:
        """True when no event (comments aside) arrives for `seconds`."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                item = self.events.get(timeout=remaining)
            except queue.Empty:
                return True
            if item is None or item.comment is None:
                return False
        return True


def write_server_script(path: Path) -> Path:
    path.write_text(
        "import sys, uvicorn\n"
        "from ecotrack.app import create_app\n"
        "uvicorn.run(create_app(run_jobs=False), host='127.0.0.1', port=int(sys.argv[1]),"
        " log_level='warning')\n"
    )
    return path


def wait_healthy(base: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except (httpx.HTTPError, ValueError, OSError):
            pass  # closed by the test
        time.sleep(0.1)
    raise AssertionError(f"{base} did not become healthy")
