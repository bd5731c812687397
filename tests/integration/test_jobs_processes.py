"""Jobs across real processes: the embedded runner survives a crash, Celery workers on Redis run
the same tasks, and `worker`/`beat` refuse to start without a broker."""

from __future__ import annotations

import signal
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import create_pg_database, drop_pg_database
from tests.integration.servers import (
    ECOTRACK,
    child_env,
    free_port,
    poll,
    serving,
    start,
    stop,
    wait_http,
)

pytestmark = pytest.mark.slow


def _probe_runs(base: str, token: str) -> int:
    response = httpx.get(f"{base}/api/v1/system/probes/{token}", timeout=5)
    return response.json()["runs"] if response.status_code == 200 else 0


def test_embedded_job_survives_a_crash_and_runs_once(tmp_path: Path) -> None:
    env = child_env(ECOTRACK_DATA_DIR=str(tmp_path), ECOTRACK_JOBS_START_DELAY_S="120")
    log = tmp_path / "serve.log"
    port = free_port()
    proc = start(["serve", "--port", str(port)], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz", proc)
        accepted = httpx.post(f"{base}/api/v1/system/probes", json={"token": "crash"}, timeout=5)
        assert accepted.status_code == 202
    finally:
        stop(proc, signal.SIGKILL)  # dies before its runner ever starts

    engine = create_engine(f"sqlite:///{tmp_path / 'ecotrack.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM job WHERE name='system.probe'")).all() == [
            ("pending",)
        ]
        assert conn.execute(text("SELECT count(*) FROM system_probe")).scalar() == 0

    env["ECOTRACK_JOBS_START_DELAY_S"] = "0"
    env["ECOTRACK_JOBS_POLL_INTERVAL_S"] = "0.2"
    with serving(env, log) as base:
        assert poll(lambda: _probe_runs(base, "crash") == 1)
        # several more runner iterations: still exactly once
        assert not poll(lambda: _probe_runs(base, "crash") > 1, timeout=1.5)
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT status, attempts FROM job WHERE name='system.probe'")
        ).all() == [("done", 1)]
    engine.dispose()


def test_distributed_worker_runs_the_same_job(
    tmp_path: Path, redis_url: str, pg_available: None
) -> None:
    name, url = create_pg_database("ecotrack_it")
    queue = f"ecotrack-test-{uuid.uuid4().hex[:8]}"
    env = child_env(
        ECOTRACK_DATA_DIR=str(tmp_path),
        ECOTRACK_DATABASE_URL=url,
        ECOTRACK_BROKER_URL=redis_url,
        ECOTRACK_REDIS_URL=redis_url,
        ECOTRACK_JOBS_QUEUE=queue,
    )
    log = tmp_path / "distributed.log"
    worker = None
    try:
        subprocess.run([*ECOTRACK, "migrate"], env=env, check=True, capture_output=True)  # noqa: S603
        worker = start(["worker", "--pool", "threads", "--concurrency", "2"], env, log)
        with serving(env, log, "--no-migrate") as base:
            ready = httpx.get(base + "/readyz", timeout=5).json()
            assert ready["mode"] == "distributed"
            assert {c["name"] for c in ready["checks"]} == {"database", "redis", "broker"}
            token = uuid.uuid4().hex[:12]
            assert (
                httpx.post(f"{base}/api/v1/system/probes", json={"token": token}).status_code == 202
            )
            assert poll(lambda: _probe_runs(base, token) == 1, timeout=30), log.read_text()[-3000:]
            ran_by = httpx.get(f"{base}/api/v1/system/probes/{token}").json()["ran_by"]
            assert ran_by.split(":")[1] == str(worker.pid)  # the worker process ran it, not serve
    finally:
        if worker is not None:
            stop(worker)
        drop_pg_database(name)


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_worker_and_beat_refuse_without_broker(command: str, tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603
        [*ECOTRACK, command],
        env=child_env(ECOTRACK_DATA_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "No broker configured" in result.stderr
