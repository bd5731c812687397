"""Fault test: SIGKILL `ecotrack serve` in the middle of a load whose client retries, restart it,
and check every acknowledged event is stored exactly once and the rollups equal the raw sums."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from ecotrack.core.db import create_db_engine
from ecotrack.core.migrate import upgrade
from ecotrack.core.settings import Settings
from ecotrack.usage.models import UsageEvent, UsageEventKey
from tests.conftest import create_pg_database, drop_pg_database, test_db_kind
from tests.integration.servers import child_env, free_port, start, stop, wait_http
from tests.usage.conftest import assert_rollups_equal_raw, make_org

pytestmark = pytest.mark.slow


@pytest.fixture
def fault_db(tmp_path: Path):  # type: ignore[no-untyped-def]
    if test_db_kind() == "postgresql":
        name, url = create_pg_database("ecotrack_fault")
        yield url
        drop_pg_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'fault.db'}"


def _acked(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [i for line in path.read_text().splitlines() for i in line.split()]


def test_sigkill_mid_load_loses_and_duplicates_nothing(fault_db: str, tmp_path: Path) -> None:
    upgrade(fault_db)
    engine = create_db_engine(fault_db)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session:
        settings = Settings(env="test", data_dir=tmp_path, database_url=fault_db)
        org = make_org(
            session, settings.model_copy(update={"password_hash_profile": "test"}), "fault"
        )
    env = child_env(
        ECOTRACK_DATABASE_URL=fault_db,
        ECOTRACK_DATA_DIR=str(tmp_path),
        ECOTRACK_LOG_LEVEL="WARNING",
        ECOTRACK_API_KEY_RATE_LIMIT_PER_MINUTE="1000000",
        ECOTRACK_USAGE_PLANS='{"standard": 1000000}',
        ECOTRACK_PRELOAD_FACTORS="false",
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    server = start(["serve", "--port", str(port), "--no-migrate"], env, log)
    out = tmp_path / "acked.txt"
    client = None
    try:
        wait_http(url + "/healthz", server, timeout=40)
        client = subprocess.Popen(
            [sys.executable, "-m", "tests.usage.fault_client", url, org.ingest_key, str(out),
             "60", "200"],
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while len(_acked(out)) < 10 * 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        acked_before = len(_acked(out))
        assert acked_before >= 2000, log.read_text()[-2000:]
        stop(server, signal.SIGKILL)  # mid-load: requests in flight die with the process
        time.sleep(0.5)
        server = start(["serve", "--port", str(port), "--no-migrate"], env, log)
        wait_http(url + "/healthz", server, timeout=40)
        assert client.wait(timeout=55) == 0
    finally:
        if client is not None and client.poll() is None:
            client.kill()
        stop(server)
    acked = _acked(out)
    assert len(acked) == 60 * 200
    assert len(set(acked)) == len(acked)
    with factory() as session:
        stored = session.execute(
            select(UsageEvent.event_id, func.count()).group_by(UsageEvent.event_id)
        ).all()
        counts = dict(stored)
        assert set(counts) == set(acked)  # every acknowledged event, nothing else
        assert set(counts.values()) == {1}  # exactly once
        keys = session.execute(select(func.count()).select_from(UsageEventKey)).scalar_one()
        assert keys == len(acked)
        assert_rollups_equal_raw(session, org.id)
    engine.dispose()
