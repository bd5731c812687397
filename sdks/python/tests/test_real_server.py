"""The SDK against a real EcoTrack: `ecotrack serve` in a subprocess on a free port with a
throwaway SQLite database; the user, organisation and keys made with the `ecotrack` CLI."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from conftest import FAST_RETRY
from ecotrack_sdk import EcoTrack, wrap_openai
from sdk_fakes import OPENAI_MODEL, FakeProviders

ECOTRACK = shutil.which("ecotrack", path=str(Path(sys.executable).parent)) or "ecotrack"


@dataclass
class Server:
    url: str
    org_id: int
    ingest_key: str
    read_key: str
    signed_key: str

    def events(self) -> list[dict[str, Any]]:
        """Every stored event of the organisation, through the read API."""
        out: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 200, "from": "2000-01-01T00:00:00Z"}
        headers = {"Authorization": f"Bearer {self.read_key}"}
        while True:
            page = httpx.get(
                f"{self.url}/api/v1/orgs/{self.org_id}/usage/events", params=params, headers=headers
            )
            assert page.status_code == 200, page.text
            body = page.json()
            out.extend(body["items"])
            if not body["next_cursor"]:
                return out
            params["cursor"] = body["next_cursor"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("ecotrack")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ECOTRACK_DATABASE_URL", "ECOTRACK_REDIS_URL", "ECOTRACK_BROKER_URL")
    }
    env.update(
        ECOTRACK_DATA_DIR=str(data),
        ECOTRACK_ENV="development",
        ECOTRACK_PASSWORD_HASH_PROFILE="test",
        ECOTRACK_PRELOAD_FACTORS="false",
        ECOTRACK_LOG_JSON="false",
    )

    def cli(*args: str) -> str:
        done = subprocess.run(
            [ECOTRACK, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        return (done.stdout.strip().splitlines() or [""])[-1]

    cli("migrate")
    cli(
        "user",
        "create",
        "sdk@example.org",
        "--password",
        "a sturdy test passphrase 42",
        "--verified",
    )
    slug = cli("org", "create", "SDK Test", "--owner", "sdk@example.org", "--slug", "sdk-test")
    ingest_key = cli("apikey", "create", "--org", slug, "--scopes", "ingest")
    read_key = cli("apikey", "create", "--org", slug, "--scopes", "read")
    signed_key = cli("apikey", "create", "--org", slug, "--scopes", "ingest", "--signed")
    port = _free_port()
    log = (data / "serve.log").open("w")
    process = subprocess.Popen(
        [ECOTRACK, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (data / "serve.log").read_text()
            assert time.monotonic() < deadline, "ecotrack serve did not start"
            time.sleep(0.2)
        whoami = httpx.get(
            f"{url}/api/v1/api-keys/whoami", headers={"Authorization": f"Bearer {read_key}"}
        ).json()
        yield Server(url, int(whoami["org_id"]), ingest_key, read_key, signed_key)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_same_batch_twice_is_stored_once(server: Server) -> None:
    before = len(server.events())
    first = EcoTrack(server.ingest_key, server.url, retry=FAST_RETRY, flush_interval=60)
    ids = [
        first.track("openai", "gpt-4o-mini", 100 + i, 20, latency_ms=321.5, user="ann", team="ml")
        for i in range(5)
    ]
    first.close()
    assert (first.stats.accepted, first.stats.duplicates, first.stats.failed) == (5, 0, 0)
    # The same events (same ids) again, e.g. a retry after a lost answer: duplicates.
    again = EcoTrack(server.ingest_key, server.url, retry=FAST_RETRY, flush_interval=60)
    for i, event_id in enumerate(ids):
        again.track("openai", "gpt-4o-mini", 100 + i, 20, id=event_id)
    again.close()
    assert (again.stats.accepted, again.stats.duplicates) == (0, 5)
    stored = {e["id"]: e for e in server.events()}
    assert len(stored) == before + 5
    event = stored[ids[0]]
    assert (event["provider"], event["model"], event["tokens_in"], event["tokens_out"]) == (
        "openai",
        "gpt-4o-mini",
        100,
        20,
    )
    assert (event["user"], event["team"], event["latency_ms"], event["status"]) == (
        "ann",
        "ml",
        321.5,
        "ok",
    )
    assert event["co2e_kg_min"] > 0


def test_signed_key(server: Server) -> None:
    signed = EcoTrack(
        server.signed_key, server.url, signing_secret=server.signed_key, retry=FAST_RETRY
    )
    event_id = signed.track("anthropic", "claude-haiku-4-5", 10, 5)
    signed.close()
    assert signed.stats.accepted == 1
    assert event_id in {e["id"] for e in server.events()}
    wrong = EcoTrack(server.signed_key, server.url, signing_secret="nope", retry=FAST_RETRY)
    lost = wrong.track("anthropic", "claude-haiku-4-5", 10, 5)
    wrong.close()
    assert (wrong.stats.failed, wrong.stats.accepted) == (1, 0)
    assert lost not in {e["id"] for e in server.events()}


def test_wrap_openai_records_a_completion_in_ecotrack(server: Server) -> None:
    tracker = EcoTrack(server.ingest_key, server.url, retry=FAST_RETRY, flush_interval=60)
    with FakeProviders() as providers:
        client = wrap_openai(
            openai.OpenAI(api_key="sk-test", base_url=f"{providers.url}/v1", max_retries=0),
            tracker,
            user="carol@example.org",
            app="sdk-test",
        )
        response = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
        )
        chunks = list(
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], stream=True
            )
        )
    tracker.close()
    assert response.choices[0].message.content == "Hello there!" and len(chunks) == 3
    recorded = [e for e in server.events() if e["app"] == "sdk-test"]
    assert len(recorded) == 2
    for event in recorded:
        assert (event["provider"], event["model"], event["tokens_in"], event["tokens_out"]) == (
            "openai",
            OPENAI_MODEL,
            12,
            5,
        )
        assert event["user"] == "carol@example.org" and event["latency_ms"] > 0
        assert event["status"] == "ok" and event["energy_kwh_max"] > 0
