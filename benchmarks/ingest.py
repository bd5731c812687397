"""AI-usage ingest over HTTP against `ecotrack serve`, versus the raw insert ceiling.

For each database (a SQLite file and a throwaway PostgreSQL database):

1. migrate, create an organisation and an ingest key, start `ecotrack serve`;
2. a separate client process sends N events in batches of 1,000 (`POST /v1/ingest`, keep-alive,
   `--concurrency` connections) and records each batch's latency;
3. the raw insert ceiling for the same rows (validated and enriched the same way, untimed) in a
   second fresh database with the same schema: PostgreSQL binary `COPY` per 1,000-row batch,
   one transaction each (and, for reference, text `COPY`); SQLite: the driver's `executemany`
   of every row in one transaction (and, for reference, SQLAlchemy Core's executemany, which
   earlier results used as the ceiling);
4. checks: events stored == N, and both rollup tables' sums == the raw events' sums.

Events come in time order by default (`--order stream`: what SDKs send, a batch covers about
43 minutes) or scattered over 30 days in every batch (`--order scatter`, a random-order
backfill: the rollups' worst case); results go to `ingest.json` / `ingest_scatter.json`.
`ecotrack serve` runs 2 workers on both databases (the machine's two cores; on SQLite the
workers take turns at the write gate, one preparing a batch while the other writes) and the
client 3 connections, unless told otherwise.

    python -m benchmarks.ingest --stages 40 [--db ...]   # per-stage server time, in process
    python -m benchmarks.ingest [--events 1000000] [--db sqlite,postgresql]
                                [--order stream|scatter]
                                [--concurrency N | sqlite=3,postgresql=3]
                                [--workers N | sqlite=2,postgresql=2] [--keep]
                                [--cpus 0]   # everything, PostgreSQL too, on CPU 0 only
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from benchmarks.common import percentiles, save

BATCH = 1000
PG_ADMIN_URL = os.environ.get(
    "ECOTRACK_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MODELS = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("anthropic", "claude-sonnet-4-5"),
    ("mistralai", "mistral-large-latest"),
]
ZONES = [None, None, "FR", "DE", "US"]


SPAN_S = 30 * 86400
# `stream`: event i happens at a steady pace over the last 30 days, so a batch of 1,000 covers
# about 43 minutes, as an SDK flushing as it goes sends them. `scatter`: every batch's events
# are spread over the whole 30 days (a backfill in random order), the worst case for the
# rollups: nearly every event of a batch updates a rollup row of its own.
ORDERS = ("stream", "scatter")
ORDER = "stream"


def _ts(i: int, now: datetime) -> datetime:
    if ORDER == "stream":
        return now - timedelta(seconds=SPAN_S * (1 - (i % 1_000_000) / 1_000_000))
    return now - timedelta(seconds=(i * 7919) % SPAN_S)


def gen_events(start: int, n: int, run: str, now: datetime) -> list[dict[str, Any]]:
    """Deterministic events `start` … `start + n - 1` of a run (ids unique per run)."""
    out = []
    for i in range(start, start + n):
        provider, model = MODELS[i % len(MODELS)]
        out.append(
            {
                "id": f"{run}-{i}",
                "ts": _ts(i, now).isoformat(),
                "provider": provider,
                "model": model,
                "tokens_in": 100 + (i * 37) % 4000,
                "tokens_out": 50 + (i * 53) % 1500,
                "zone": ZONES[i % len(ZONES)],
                "user": f"user{i % 50}@example.org",
                "team": f"team{i % 5}",
                "app": "bench",
            }
        )
    return out


# --- where the CPU goes (Linux /proc; empty figures elsewhere) -------------------------------


def _pg_pids() -> list[int]:
    """The PostgreSQL server's processes, when it runs on this machine (else none)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().startswith("postgres"):
                    pids.append(int(entry.name))
    return pids


def _pg_aux(pid: int) -> bool:
    """A PostgreSQL process that is not a client's backend (WAL writer, checkpointer, ...)."""
    with contextlib.suppress(OSError):
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        return not any(marker in cmd for marker in ("127.0.0.1(", "[local]", "::1("))
    return False


def _tree_pids(root: int) -> list[int]:
    """`root` and its descendants (a server and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """CPU seconds each process (all its threads) has run (`schedstat`: nanoseconds)."""
    out: dict[int, float] = {}
    for pid in pids:
        total = 0
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError):
                    total += int((task / "schedstat").read_text().split()[0])
        out[pid] = total / 1e9
    return out


def _cpu_s(pids: list[int]) -> float:
    return sum(_cpu_by_pid(pids).values())


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU ticks of the machine so far (`/proc/stat`)."""
    with contextlib.suppress(OSError):
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(ticks) - ticks[3] - ticks[4], sum(ticks)
    return 0.0, 0.0


@contextlib.contextmanager
def pinned(cpus: set[int] | None) -> Any:
    """Run this process, its children (server, client) and the local PostgreSQL server (its
    postmaster, so new backends too) on `cpus` only, and put every affinity back after: how
    ingest and the ceiling scale with the cores they get. Needs the right to change the
    database server's affinity (root, or its owner)."""
    if not cpus:
        yield
        return
    saved = {0: os.sched_getaffinity(0)}
    try:
        for pid in _pg_pids():
            with contextlib.suppress(ProcessLookupError):
                saved[pid] = os.sched_getaffinity(pid)
                os.sched_setaffinity(pid, cpus)
        os.sched_setaffinity(0, cpus)
        yield
    finally:
        for pid, mask in saved.items():
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(pid, mask)
        for pid in _pg_pids():  # backends forked while pinned
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(pid, saved[0])


class CpuMeter:
    """CPU seconds of the database server, the EcoTrack server (with its workers) and this
    process between `start()` and `stop()` (added up over repeated windows), and the machine's
    busy fraction: where a batch's cost goes when everything shares the machine's cores.
    Processes that start inside a window count from zero; `pg_pids` fixes the database's
    processes up front (no /proc scan per window)."""

    def __init__(self, server_pid: int | None = None, pg_pids: list[int] | None = None) -> None:
        self.server_pid = server_pid
        self.pg_pids = pg_pids
        self.totals = {"postgresql_s": 0.0, "server_s": 0.0, "this_process_s": 0.0}
        self.busy = [0.0, 0.0]

    def _others(self) -> tuple[dict[int, float], dict[int, float], tuple[float, float]]:
        pg = _cpu_by_pid(self.pg_pids if self.pg_pids is not None else _pg_pids())
        server = _cpu_by_pid(_tree_pids(self.server_pid)) if self.server_pid else {}
        return pg, server, _machine_busy()

    def start(self) -> None:
        self._pg, self._server, self._busy = self._others()
        self._own = time.process_time()  # last: the reading above is not this window's work

    def stop(self) -> None:
        own = time.process_time()  # first, for the same reason
        pg, server, busy = self._others()
        self.totals["this_process_s"] += own - self._own
        self.totals["postgresql_s"] += sum(v - self._pg.get(p, 0.0) for p, v in pg.items())
        self.totals["server_s"] += sum(v - self._server.get(p, 0.0) for p, v in server.items())
        self.busy[0] += busy[0] - self._busy[0]
        self.busy[1] += busy[1] - self._busy[1]

    def per_batch_ms(self, batches: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            k.replace("_s", "_ms"): round(v * 1000 / batches, 3) for k, v in self.totals.items()
        }
        out["machine_busy"] = round(self.busy[0] / self.busy[1], 3) if self.busy[1] else None
        return out


# --- the client process ---------------------------------------------------------------------


class _NoDelayConnection(http.client.HTTPConnection):
    """`http.client` writes the headers and the body in two sends: without TCP_NODELAY the body
    waits for the server's delayed ACK of the headers (tens of ms a request)."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def client_main(args: argparse.Namespace) -> None:
    """Send the prepared batches over `--concurrency` keep-alive connections. The client is
    `http.client` with bodies serialised up front: it shares the machine's two cores with the
    server and the database, and httpx spent about three times the CPU per request."""
    now = datetime.fromisoformat(args.now)
    batches = [
        orjson.dumps({"events": gen_events(s, min(BATCH, args.events - s), args.run, now)})
        for s in range(0, args.events, BATCH)
    ]
    target = urlsplit(args.url)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    cursor = iter(range(len(batches)))
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0}

    def worker() -> None:
        headers = {"Authorization": f"Bearer {args.key}", "Content-Type": "application/json"}
        conn = _NoDelayConnection(target.hostname, target.port, timeout=120.0)
        try:
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                for attempt in range(5):
                    t0 = time.perf_counter()
                    try:
                        conn.request("POST", "/v1/ingest", body=batches[index], headers=headers)
                        response = conn.getresponse()
                        payload = response.read()
                    except (OSError, http.client.HTTPException) as exc:
                        errors.append(repr(exc))
                        conn.close()  # reconnects on the next request
                        time.sleep(0.5 * (attempt + 1))
                        continue
                    elapsed = time.perf_counter() - t0
                    if response.status == 200:
                        body = orjson.loads(payload)
                        with lock:
                            latencies.append(elapsed)
                            totals["accepted"] += body["accepted"]
                            totals["duplicates"] += body["duplicates"]
                            totals["rejected"] += len(body["rejected"])
                        break
                    errors.append(f"{response.status}: {payload[:200]!r}")
                    time.sleep(0.5 * (attempt + 1))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    meter = CpuMeter(args.server_pid)
    meter.start()
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    meter.stop()
    cpu = meter.per_batch_ms(len(batches))
    cpu["client_ms"] = cpu.pop("this_process_ms")
    Path(args.out).write_text(
        json.dumps(
            {"wall_s": wall, "latencies": latencies, "errors": errors[:20], "cpu": cpu, **totals}
        ),
        encoding="utf-8",
    )


# --- databases --------------------------------------------------------------------------------


def _pg_create(prefix: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _pg_drop(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _prepare(url: str, data_dir: str, slug: str) -> tuple[Any, int, str]:
    """Migrate `url`, create an organisation and an ingest key: (Database, org id, secret)."""
    from ecotrack.core.db import Database, create_db_engine
    from ecotrack.core.migrate import upgrade
    from ecotrack.core.settings import Settings
    from ecotrack.identity.service import identity_service
    from ecotrack.orgs.apikeys import api_key_service
    from ecotrack.orgs.context import Actor
    from ecotrack.orgs.schemas import ApiKeyCreate, OrgCreate
    from ecotrack.orgs.service import orgs_service

    upgrade(url)
    settings = Settings(
        env="test",
        data_dir=Path(data_dir),
        database_url=url,
        password_hash_profile="test",  # noqa: S106
    )
    db = Database(create_db_engine(url))
    with db.unit_of_work() as session:
        user = identity_service.create_user(
            session,
            email=f"{slug}@example.org",
            password="a sturdy benchmark passphrase 42",  # noqa: S106
            is_verified=True,
            settings=settings,
        )
        org = orgs_service.create_org(
            session,
            actor=Actor(user_id=user.id),
            owner_id=user.id,
            org_in=OrgCreate(name=slug, slug=slug),
            settings=settings,
        )
        key = api_key_service.create(
            session,
            actor=Actor(user_id=None),
            org_id=org.id,
            key_in=ApiKeyCreate(name="bench", scopes=["ingest"]),
            settings=settings,
        )
    return db, int(org.id), str(key.secret)


def _rows_for(
    events: list[dict[str, Any]], org_id: int, now: datetime, settings: Any, cat: Any, ovr: Any
) -> list[dict[str, Any]]:
    from ecotrack.usage.enrich import enrich
    from ecotrack.usage.ingest import validate_events

    rows, rejected = validate_events(
        events,
        org_id=org_id,
        now=now,
        retention_days=settings.usage_retention_days,
        future_skew_s=settings.usage_future_skew_s,
        catalogue=cat,
    )
    assert not rejected
    enrich(rows, catalogue=cat, overrides=ovr, method="ecologits", custom_source="org:bench")
    return rows


def ceiling(kind: str, url: str, data_dir: str, n: int, run: str, now: datetime) -> dict[str, Any]:
    """Insert the same enriched rows straight into a fresh `usage_event` (timed inserts only)."""
    from ecotrack.core.settings import Settings
    from ecotrack.usage import repository
    from ecotrack.usage.enrich import catalogue_for
    from ecotrack.usage.repository import EVENT_COLUMNS

    db, org_id, _ = _prepare(url, data_dir, "ceiling")
    settings = Settings(env="test", data_dir=Path(data_dir), database_url=url)
    cat = catalogue_for([])
    with db.unit_of_work() as session:
        ovr = __import__("ecotrack.orgs.service", fromlist=["x"]).orgs_service.factor_overrides_for(
            session, org_id=org_id
        )
        months = {(now - timedelta(days=d)).date() for d in range(0, 32)}
        repository.ensure_partitions(session, months)
    timed = 0.0
    extra: dict[str, Any] = {}
    if kind == "postgresql":
        # The ceiling is the fastest bulk load we know, the one ingest itself uses: binary
        # COPY with the column types fixed up front. For reference, text COPY of the same rows
        # (what this benchmark used before; ≈ 2× slower, so the ratio was kinder) is timed
        # batch by batch alongside, into the same table under other event ids.
        cols = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
        id_at = EVENT_COLUMNS.index("event_id")
        text_timed = 0.0
        raw = db.engine.raw_connection()
        try:
            conn = raw.driver_connection
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            conn.commit()
            # The database's CPU: the backend and the processes that write its WAL.
            meter = CpuMeter(pg_pids=[p for p in _pg_pids() if p == backend or _pg_aux(p)])
            for s in range(0, n, BATCH):
                rows = _rows_for(gen_events(s, min(BATCH, n - s), run, now), org_id, now,
                                 settings, cat, ovr)  # fmt: skip
                values = [[r[c] for c in EVENT_COLUMNS] for r in rows]
                meter.start()
                t0 = time.perf_counter()
                with (
                    conn.cursor() as cur,
                    cur.copy(f"COPY usage_event ({cols}) FROM STDIN (FORMAT BINARY)") as cp,
                ):
                    cp.set_types(repository._PG_COPY_TYPES)
                    for v in values:
                        cp.write_row(v)
                conn.commit()
                timed += time.perf_counter() - t0
                meter.stop()
                for v in values:
                    v[id_at] += "-text"
                t0 = time.perf_counter()
                with conn.cursor() as cur, cur.copy(f"COPY usage_event ({cols}) FROM STDIN") as cp:
                    for v in values:
                        cp.write_row(v)
                conn.commit()
                text_timed += time.perf_counter() - t0
        finally:
            raw.close()
        method = "binary COPY (types set) per 1,000-row batch, one transaction each"
        cpu = meter.per_batch_ms(math.ceil(n / BATCH))
        cpu["client_ms"] = cpu.pop("this_process_ms")
        del cpu["server_ms"]
        extra = {"text_copy_events_per_s": n / text_timed, "cpu_per_batch": cpu}
    else:
        # The raw ceiling: the driver's executemany of every row in one transaction, values
        # converted to SQLite's storage format inside the timing (as COPY adapts them on
        # PostgreSQL). For reference, SQLAlchemy Core's executemany of the same rows (what this
        # benchmark used before: its per-row bind processing makes it slower, the ratio kinder)
        # is timed into a second fresh database.
        from sqlalchemy import insert

        sql = (
            f"INSERT INTO usage_event ({', '.join(EVENT_COLUMNS)}) "  # noqa: S608 - constants
            f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
        )
        core_timed = 0.0
        core_db, core_org, _ = _prepare(url.replace(".db", "-core.db"), data_dir, "ceiling")
        with db.engine.connect() as conn, core_db.engine.connect() as core:
            trans, core_trans = conn.begin(), core.begin()
            for s in range(0, n, BATCH):
                rows = _rows_for(gen_events(s, min(BATCH, n - s), run, now), org_id, now,
                                 settings, cat, ovr)  # fmt: skip
                t0 = time.perf_counter()
                conn.exec_driver_sql(sql, repository.sqlite_event_params(rows))
                timed += time.perf_counter() - t0
                values = [{c: r[c] for c in EVENT_COLUMNS} | {"org_id": core_org} for r in rows]
                t0 = time.perf_counter()
                core.execute(insert(repository.EVENT_TABLE), values)
                core_timed += time.perf_counter() - t0
            t0 = time.perf_counter()
            trans.commit()
            timed += time.perf_counter() - t0
            t0 = time.perf_counter()
            core_trans.commit()
            core_timed += time.perf_counter() - t0
        core_db.engine.dispose()
        method = "driver executemany of every row (values converted in the timing), one transaction"
        extra = {"sqlalchemy_core_executemany_events_per_s": n / core_timed}
    db.engine.dispose()
    return {"events_per_s": n / timed, "insert_s": timed, "method": method, **extra}


def verify(db: Any, org_id: int, n: int) -> dict[str, Any]:
    """Stored count == n; each rollup table's sums == the raw events' sums."""
    from sqlalchemy import func, select

    from ecotrack.usage.models import UsageEvent, UsageRollupDaily, UsageRollupOrgDaily
    from ecotrack.usage.repository import _raw_sums

    with db.session_factory() as session:
        raw = session.execute(select(*_raw_sums()).where(UsageEvent.org_id == org_id)).one()
        out: dict[str, Any] = {"stored": int(raw[0]), "expected": n}
        ok = int(raw[0]) == n
        for model in (UsageRollupDaily, UsageRollupOrgDaily):
            cols = ["calls", "calls_unknown", "tokens_in", "tokens_out", "energy_kwh",
                    "energy_kwh_min", "energy_kwh_max", "water_l", "water_l_min", "water_l_max",
                    "co2e_kg", "co2e_kg_min", "co2e_kg_max"]  # fmt: skip
            sums = session.execute(
                select(*[func.sum(getattr(model, c)) for c in cols]).where(model.org_id == org_id)
            ).one()
            equal = all(
                (int(a) == int(b)) if i < 4 else math.isclose(a, b, rel_tol=1e-9)
                for i, (a, b) in enumerate(zip(sums, raw, strict=True))
            )
            out[f"{model.__tablename__}_equals_raw"] = equal
            ok = ok and equal
        out["ok"] = ok
    return out


def run_one(kind: str, n: int, concurrency: int, workers: int, workdir: Path) -> dict[str, Any]:
    from tests.integration.servers import child_env, free_port, stop, wait_http

    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC).replace(microsecond=0)
    data_dir = workdir / kind
    data_dir.mkdir(parents=True, exist_ok=True)
    drops: list[str] = []
    if kind == "postgresql":
        name, url = _pg_create("ecotrack_bench_ingest")
        cname, curl = _pg_create("ecotrack_bench_ceiling")
        drops += [name, cname]
    else:
        url = f"sqlite:///{data_dir / 'ingest.db'}"
        curl = f"sqlite:///{data_dir / 'ceiling.db'}"
    try:
        db, org_id, secret = _prepare(url, str(data_dir), "bench")
        port = free_port()
        env = child_env(
            ECOTRACK_DATABASE_URL=url,
            ECOTRACK_DATA_DIR=str(data_dir),
            ECOTRACK_LOG_LEVEL="WARNING",
            ECOTRACK_API_KEY_RATE_LIMIT_PER_MINUTE="1000000000",
            ECOTRACK_USAGE_PLANS=json.dumps({"standard": 1_000_000_000}),
            ECOTRACK_RATE_LIMIT_PER_MINUTE="1000000000",
        )
        log = (data_dir / "serve.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "ecotrack.cli", "serve", "--port", str(port), "--no-migrate",
             "--workers", str(workers)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", proc, timeout=60)
            out = data_dir / "client.json"
            subprocess.run(
                [sys.executable, "-m", "benchmarks.ingest", "--client", "--url",
                 f"http://127.0.0.1:{port}", "--key", secret, "--events", str(n), "--run", run,
                 "--now", now.isoformat(), "--concurrency", str(concurrency), "--out", str(out),
                 "--order", ORDER, "--server-pid", str(proc.pid)],
                check=True,
            )  # fmt: skip
        finally:
            stop(proc)
        client = json.loads(out.read_text(encoding="utf-8"))
        checks = verify(db, org_id, n)
        db.engine.dispose()
        ingest_rate = client["accepted"] / client["wall_s"]
        ceil = ceiling(kind, curl, str(data_dir), n, run, now)
        return {
            "events": n,
            "batch": BATCH,
            "order": ORDER,
            "concurrency": concurrency,
            "server_workers": workers,
            "ingest_events_per_s": ingest_rate,
            "ingest_wall_s": client["wall_s"],
            "batch_latency": percentiles(client["latencies"], (50, 95, 99)),
            "cpu_per_batch": client["cpu"],
            "accepted": client["accepted"],
            "duplicates": client["duplicates"],
            "rejected": client["rejected"],
            "client_errors": client["errors"],
            "ceiling": ceil,
            "ratio_to_ceiling": ingest_rate / ceil["events_per_s"],
            "checks": checks,
        }
    finally:
        for name in drops:
            _pg_drop(name)


# --- where one batch spends its server time (in process, no HTTP) -----------------------------

STAGES = {
    "service": ("decode_body", "parse_and_validate", "enrich", "publish"),
    "repository": ("event_sums", "sqlite_event_params", "open_batch", "ensure_partitions",
                   "claim_keys", "insert_events", "upsert_rollups"),
}  # fmt: skip


def stages(kind: str, batches: int, workdir: Path) -> dict[str, Any]:
    """`usage_service.ingest_body` on `batches` batches of 1,000 (after 2 warm-up batches), each
    in its own unit of work, with every stage timed (wall and this thread's CPU; the rest of the
    wall time is the database working or the wait for it). Commit = the unit of work's exit.
    PostgreSQL on this machine: also the CPU its processes spent during each stage."""
    import ecotrack.usage.service as service_module
    from ecotrack.core.settings import Settings

    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    db_cpu: dict[str, float] = {}
    pg: list[int] = []

    def timed(module: Any, name: str) -> Any:
        original = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            d0 = _cpu_s(pg)
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                wall[name] = wall.get(name, 0.0) + time.perf_counter() - t0
                cpu[name] = cpu.get(name, 0.0) + time.thread_time() - c0
                db_cpu[name] = db_cpu.get(name, 0.0) + _cpu_s(pg) - d0

        setattr(module, name, wrapper)
        return original

    originals = [(service_module, n, timed(service_module, n)) for n in STAGES["service"]]
    repo = service_module.repository
    originals += [(repo, n, timed(repo, n)) for n in STAGES["repository"]]
    drop = None
    if kind == "postgresql":
        drop, url = _pg_create("ecotrack_bench_stages")
    else:
        url = f"sqlite:///{workdir / 'stages.db'}"
    try:
        db, org_id, _ = _prepare(url, str(workdir), "stages")
        settings = Settings(env="test", data_dir=workdir, database_url=url)
        now = datetime.now(UTC).replace(microsecond=0)
        bodies = [
            orjson.dumps({"events": gen_events(i * BATCH, BATCH, "stages", now)})
            for i in range(batches + 2)
        ]
        with db.unit_of_work() as session:
            org = service_module.usage_service.org_context(session, org_id=org_id)
        total = commit = commit_db = python_total = 0.0
        for i, body in enumerate(bodies):
            if i == 2:
                wall.clear()
                cpu.clear()
                db_cpu.clear()
                total = commit = commit_db = python_total = 0.0
                pg[:] = _pg_pids() if kind == "postgresql" else []
            c0 = time.thread_time()
            t0 = time.perf_counter()
            with db.unit_of_work() as session:
                service_module.usage_service.ingest_body(
                    session, org_id=org_id, body=body, content_encoding=None,
                    settings=settings, org=org,
                )  # fmt: skip
                d1 = _cpu_s(pg)
                t1 = time.perf_counter()
            commit += time.perf_counter() - t1
            commit_db += _cpu_s(pg) - d1
            total += time.perf_counter() - t0
            python_total += time.thread_time() - c0
        db.engine.dispose()
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
        if drop:
            _pg_drop(drop)

    def ms(value: float) -> float:
        return value * 1000 / batches

    def db_ms(value: float) -> float | None:
        return ms(value) if pg else None

    per = {
        name: {
            "wall_ms": ms(wall[name]),
            "python_cpu_ms": ms(cpu[name]),
            "db_cpu_ms": db_ms(db_cpu[name]),
        }
        for name in sorted(wall, key=lambda n: -wall[n])
    }
    per["commit"] = {"wall_ms": ms(commit), "python_cpu_ms": None, "db_cpu_ms": db_ms(commit_db)}
    return {
        "batches": batches,
        "batch_ms": ms(total),
        # the whole unit of work on this thread (stages, session, commit; on PostgreSQL also
        # the /proc reads of the database's CPU, ≈ 0.1 ms a stage)
        "python_cpu_ms": ms(python_total),
        "stages": per,
    }


def _per_db(option: str, kind: str) -> int:
    """`N` or `sqlite=N,postgresql=M` → the number for `kind`."""
    if "=" not in option:
        return int(option)
    return int(dict(item.split("=") for item in option.split(","))[kind])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument(
        "--concurrency",
        default="sqlite=3,postgresql=3",
        help="client connections: N for every database, or e.g. sqlite=3,postgresql=3",
    )
    parser.add_argument(
        "--workers",
        default="sqlite=2,postgresql=2",
        help="`ecotrack serve --workers`: N for every database, or e.g. sqlite=2,postgresql=2",
    )
    parser.add_argument(
        "--order", choices=ORDERS, default="stream", help="events in time order or scattered"
    )
    parser.add_argument("--tag", default="", help="suffix of the results file")
    parser.add_argument(
        "--stages", type=int, default=0, help="only time the stages of N in-process batches"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the working directory (server logs) and print it"
    )
    parser.add_argument(
        "--cpus",
        default="",
        help="run everything (PostgreSQL included) on these CPUs only, e.g. 0: results file "
        "ingest_cpus0.json",
    )
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global ORDER  # noqa: PLW0603 - one setting read by the event generator
    ORDER = args.order
    if args.client:
        args.concurrency = int(args.concurrency)
        client_main(args)
        return
    os.environ.setdefault("ECOTRACK_LOG_LEVEL", "WARNING")
    if args.stages:
        result: dict[str, Any] = {}
        with tempfile.TemporaryDirectory(prefix="ecotrack-bench-stages-") as tmp:
            for kind in args.db.split(","):
                result[kind] = stages(kind, args.stages, Path(tmp))
                print(kind, json.dumps(result[kind], indent=2), flush=True)
        save("ingest_stages" + (f"_{args.tag}" if args.tag else ""), result)
        return
    figures: dict[str, Any] = {"targets": {"ratio_to_ceiling": ">= 0.5", "p99_batch_ms": "<= 250"}}
    cpus = {int(c) for c in args.cpus.split(",") if c.strip()}
    if cpus:
        figures["cpus"] = sorted(cpus)
    with (
        (
            contextlib.nullcontext(tempfile.mkdtemp(prefix="ecotrack-bench-ingest-"))
            if args.keep
            else tempfile.TemporaryDirectory(prefix="ecotrack-bench-ingest-")
        ) as tmp,
        pinned(cpus),
    ):
        if args.keep:
            print(f"working directory (kept): {tmp}", flush=True)
        for kind in args.db.split(","):
            conc = _per_db(args.concurrency, kind)
            workers = _per_db(args.workers, kind)
            print(
                f"--- {kind}: {args.events} events, {conc} connection(s), {workers} worker(s)",
                flush=True,
            )
            figures[kind] = run_one(kind, args.events, conc, workers, Path(tmp))
            print(json.dumps(figures[kind], indent=2), flush=True)
    name = "ingest" if args.events >= 1_000_000 else f"ingest_{args.events}"
    name += "" if ORDER == "stream" else f"_{ORDER}"
    name += f"_cpus{'-'.join(map(str, sorted(cpus)))}" if cpus else ""
    save(name + (f"_{args.tag}" if args.tag else ""), figures)


if __name__ == "__main__":
    main()
