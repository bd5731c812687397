"""The SQLite write gate: one holder at a time, in the process and across processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from ecotrack.core.db import Database, create_db_engine
from ecotrack.core.sqlite_gate import WriteGate, gate_for

HOLDER = textwrap.dedent(
    """
    import fcntl, os, sys
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("held", flush=True)
    sys.stdin.readline()  # hold until told to go
    """
)


def _holder(path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def _let_go(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()
    proc.wait(timeout=10)


def test_one_holder_at_a_time_in_order_within_a_process(tmp_path: Path) -> None:
    gate = WriteGate(tmp_path / "db.sqlite.write-gate")
    order: list[str] = []

    async def worker(name: str, hold_s: float) -> None:
        turn = await gate.acquire()
        order.append(f"{name}+")
        await asyncio.sleep(hold_s)
        order.append(f"{name}-")
        turn.release()

    async def main() -> None:
        await asyncio.gather(worker("a", 0.02), worker("b", 0.0), worker("c", 0.0))

    asyncio.run(main())
    assert order == ["a+", "a-", "b+", "b-", "c+", "c-"]  # never two inside, first come first


def test_another_process_holding_the_gate_makes_us_wait(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite.write-gate"
    gate = WriteGate(path)
    proc = _holder(path)

    async def main() -> None:
        pending = asyncio.ensure_future(gate.acquire())
        await asyncio.sleep(0.2)
        assert not pending.done()  # blocked by the other process
        _let_go(proc)
        turn = await asyncio.wait_for(pending, timeout=10)
        turn.release()

    try:
        asyncio.run(main())
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_cancelled_wait_leaves_nothing_held(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite.write-gate"
    gate = WriteGate(path)
    proc = _holder(path)

    async def main() -> None:
        waiting = asyncio.ensure_future(gate.acquire())
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        _let_go(proc)
        # Neither the in-process lock nor the file lock was left behind by the cancelled wait.
        turn = await asyncio.wait_for(gate.acquire(), timeout=10)
        turn.release()
        turn = await asyncio.wait_for(gate.acquire(), timeout=10)
        turn.release()

    try:
        asyncio.run(main())
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_turn_can_be_given_back_from_another_thread(tmp_path: Path) -> None:
    gate = WriteGate(tmp_path / "db.sqlite.write-gate")

    async def main() -> None:
        turn = await gate.acquire()
        released = threading.Thread(target=turn.release)
        released.start()
        released.join()
        second = await asyncio.wait_for(gate.acquire(), timeout=10)
        second.release()

    asyncio.run(main())


def test_gate_for_shares_one_gate_per_sqlite_file_and_none_on_postgresql(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    a, b = Database(create_db_engine(url)), Database(create_db_engine(url))
    try:
        gate = gate_for(a)
        assert gate is not None
        assert gate is gate_for(b)
        assert gate.path == tmp_path / "a.db.write-gate"
        pg = Database(create_db_engine("postgresql+psycopg://u@127.0.0.1:1/x"))
        assert gate_for(pg) is None
    finally:
        a.engine.dispose()
        b.engine.dispose()


def test_a_read_phase_reads_beside_the_writer_and_other_transactions_wait(tmp_path: Path) -> None:
    """`sqlite_read_phase(True)`: transactions begin deferred (WAL: no lock), so a read goes
    through while another connection holds the write lock; outside it they begin IMMEDIATE and
    wait for the writer (here: a 50 ms busy timeout, then 'database is locked')."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from ecotrack.core.db import in_sqlite_read_phase, sqlite_read_phase

    engine = create_db_engine(f"sqlite:///{tmp_path / 'phase.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    writer = engine.connect()
    writer.begin()  # BEGIN IMMEDIATE: holds the write lock
    writer.execute(text("INSERT INTO t VALUES (2)"))
    try:
        sqlite_read_phase(True)
        try:
            assert in_sqlite_read_phase()
            with engine.connect() as reader:
                assert reader.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
        finally:
            sqlite_read_phase(False)
        assert not in_sqlite_read_phase()
        with engine.connect() as other:
            other.connection.dbapi_connection.execute("PRAGMA busy_timeout = 50")  # type: ignore[union-attr]
            with pytest.raises(OperationalError, match="locked"):
                other.execute(text("SELECT count(*) FROM t"))
    finally:
        writer.rollback()
        writer.close()
        engine.dispose()
