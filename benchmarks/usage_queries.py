"""30-day usage summary from the rollups versus the same answer from the raw events.

Generates N events (default 10,000,000) over a year for 50 organisations and 5,000 users
(100 per organisation, 6 models, 5 teams), written straight into `usage_event` (PostgreSQL COPY;
SQLite executemany), then builds the rollups with the service's own rebuild (SQL GROUP BY). It
then times, for random organisations and 30-day windows:

* `usage_service.summary_with_totals(group_by="day")` (what `GET …/usage/summary` runs: the
  per-day groups and the overall totals, one rollup query), and
* the same per-day sums computed from `usage_event` (`repository.raw_totals` grouped by day),

checks both give the same answer, and reports p50/p95 of each and the ratio; both timed inside
a transaction already open, as in a request, after 10 untimed runs of each on other windows
(and the summary alone in a fresh session, for reference). Last, `GET …/usage/summary` over
HTTP against `ecotrack serve`: what a dashboard waits for.

    python -m benchmarks.usage_queries [--events 10000000] [--db postgresql] [--queries 200]
        [--keep]              # keep the loaded PostgreSQL database (prints its URL)
        [--url URL]           # measure a kept database again, without loading
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import percentiles, save
from benchmarks.ingest import _pg_create, _pg_drop

ORGS = 50
USERS_PER_ORG = 100
MODELS = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("openai", "o3-mini"),
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-haiku-4-5"),
    ("mistralai", "mistral-large-latest"),
]
CHUNK = 200_000
WARM_UP = 10  # untimed runs of each query before the timed ones


def _orgs(db: Any) -> list[int]:
    from ecotrack.orgs.models import Organisation

    with db.unit_of_work() as session:
        rows = [Organisation(name=f"Bench {i}", slug=f"bench-{i}") for i in range(ORGS)]
        session.add_all(rows)
        session.flush()
        return [int(r.id) for r in rows]


def _chunk(rng: np.random.Generator, n: int, start: int, first_day: date, orgs: list[int]):  # type: ignore[no-untyped-def]
    org = rng.integers(0, ORGS, n)
    user = rng.integers(0, USERS_PER_ORG, n)
    day = rng.integers(0, 365, n)
    second = rng.integers(0, 86400, n)
    model = rng.integers(0, len(MODELS), n)
    t_in = rng.integers(0, 4000, n)
    t_out = rng.integers(10, 1500, n)
    e_lo = t_out * 4e-8 * (1 + model)
    unknown = rng.random(n) < 0.01
    base = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    for i in range(n):
        ts = base + timedelta(days=int(day[i]), seconds=int(second[i]))
        provider, name = MODELS[int(model[i])]
        ok = not unknown[i]
        lo = float(e_lo[i])
        yield (
            orgs[int(org[i])], ts, f"e{start + i}", ts.date(), ts, provider, name,
            int(t_in[i]), int(t_out[i]), None, None, None, f"user{int(user[i])}@o{int(org[i])}",
            f"team{int(user[i]) % 5}", "bench", None, "ok" if ok else "model-not-registered",
            "ecologits-0.11.3" if ok else None, "USA" if ok else None,
            "ecologits:0.11.3:mix:USA" if ok else None, "ecologits:0.11.3" if ok else None,
            lo if ok else None, lo * 1.2 if ok else None, lo * 3 if ok else None,
            lo * 3.6 if ok else None, lo * 0.4 if ok else None, lo * 0.5 if ok else None, ts,
        )  # fmt: skip


def load(kind: str, db: Any, n: int, first_day: date) -> dict[str, Any]:
    from ecotrack.usage import repository
    from ecotrack.usage.repository import EVENT_COLUMNS, sqlite_event_params
    from ecotrack.usage.service import usage_service

    orgs = _orgs(db)
    rng = np.random.default_rng(20261130)
    t0 = time.perf_counter()
    with db.unit_of_work() as session:
        months = [first_day.replace(day=1)]
        while months[-1] <= first_day + timedelta(days=366):
            months.append(repository.next_month(months[-1]))
        repository.ensure_partitions(session, months)
    cols = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
    for start in range(0, n, CHUNK):
        rows = list(_chunk(rng, min(CHUNK, n - start), start, first_day, orgs))
        if kind == "postgresql":
            raw = db.engine.raw_connection()
            try:
                conn = raw.driver_connection
                with conn.cursor() as cur, cur.copy(f"COPY usage_event ({cols}) FROM STDIN") as cp:
                    for r in rows:
                        cp.write_row(r)
                conn.commit()
            finally:
                raw.close()
        else:
            marks = ", ".join("?" * len(EVENT_COLUMNS))
            as_dicts = (dict(zip(EVENT_COLUMNS, r, strict=True)) for r in rows)
            with db.engine.begin() as conn:
                conn.exec_driver_sql(
                    f"INSERT INTO usage_event ({', '.join(EVENT_COLUMNS)}) VALUES ({marks})",  # noqa: S608
                    sqlite_event_params(as_dicts),
                )
        print(f"  loaded {min(start + CHUNK, n):,} events", flush=True)
    loaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    for org_id in orgs:
        with db.unit_of_work() as session:
            usage_service.rebuild_rollups(
                session, org_id=org_id, start=first_day, end=first_day + timedelta(days=366)
            )
    rolled = time.perf_counter() - t0
    if kind == "postgresql":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return {"orgs": orgs, "load_s": loaded, "rollup_build_s": rolled}


def _windows(orgs: list[int], first_day: date, n: int, seed: int) -> list[tuple[int, date, date]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        start = first_day + timedelta(days=rng.randrange(0, 330))
        out.append((rng.choice(orgs), start, start + timedelta(days=29)))
    return out


def measure(db: Any, orgs: list[int], first_day: date, queries: int) -> dict[str, Any]:
    """Both answers timed the way a request runs them: inside a transaction the request has
    open already (its key or membership check began it), so neither figure carries the pool
    checkout and `BEGIN` every request pays once. `rollup_summary_alone` is the summary in a
    session of its own (checkout with its ping, `BEGIN`, query), for reference."""
    from ecotrack.usage import repository
    from ecotrack.usage.schemas import UsageFilters
    from ecotrack.usage.service import usage_service

    filters = UsageFilters()
    fast: list[float] = []
    slow: list[float] = []
    alone: list[float] = []
    mismatches = 0
    windows = _windows(orgs, first_day, queries, 7)
    answers = []

    def raw_totals(session: Any, org_id: int, start: date, end: date) -> Any:
        return repository.raw_totals(
            session,
            org_id=org_id,
            start=datetime.combine(start, datetime.min.time(), tzinfo=UTC),
            end=datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC),
            filters=filters,
            group="day",
        )

    with db.session_factory() as session:
        session.connection()  # the request's open transaction
        # Warm-up, untimed and alike for both: WARM_UP runs of each query on other windows, so
        # that neither figure carries the connection's first, not yet prepared executions
        # (psycopg prepares a statement on its fifth run), as in a server that has answered a
        # few requests.
        for org_id, start, end in _windows(orgs, first_day, WARM_UP, 9):
            usage_service.summary_with_totals(
                session, org_id=org_id, start=start, end=end, group_by="day", filters=filters
            )
            raw_totals(session, org_id, start, end)
        for org_id, start, end in windows:
            t0 = time.perf_counter()
            answer = usage_service.summary_with_totals(
                session, org_id=org_id, start=start, end=end, group_by="day", filters=filters
            )
            fast.append(time.perf_counter() - t0)
            answers.append(answer)
        # The raw query is slow: a sample of the same windows, after (not between) the
        # summaries, so that neither disturbs the other's caches.
        for i in range(0, queries, max(1, queries // 40)):
            org_id, start, end = windows[i]
            t0 = time.perf_counter()
            raw = raw_totals(session, org_id, start, end)
            slow.append(time.perf_counter() - t0)
            groups, overall = answers[i]
            by_day = {repository.as_date(r[0]): r[1:] for r in raw}
            same = {g.key: g.calls for g in groups} == {
                d.isoformat(): int(v[0]) for d, v in by_day.items()
            } and math.isclose(
                overall.co2e_kg, sum(float(v[10]) for v in by_day.values()), rel_tol=1e-9
            )
            mismatches += not same
    with db.session_factory() as session:
        for org_id, start, end in _windows(orgs, first_day, queries, 8):
            t0 = time.perf_counter()
            usage_service.summary_with_totals(
                session, org_id=org_id, start=start, end=end, group_by="day", filters=filters
            )
            alone.append(time.perf_counter() - t0)
            session.rollback()  # gives the connection back: the next call checks one out
    fast_p = percentiles(fast, (50, 95, 99))
    slow_p = percentiles(slow, (50, 95, 99))
    alone_p = percentiles(alone, (50, 95, 99))
    return {
        "rollup_summary": {**fast_p, "n": len(fast), "mean_ms": statistics.fmean(fast) * 1000},
        "raw_events": {**slow_p, "n": len(slow), "mean_ms": statistics.fmean(slow) * 1000},
        "ratio_p95": slow_p["p95_ms"] / fast_p["p95_ms"],
        "ratio_p50": slow_p["p50_ms"] / fast_p["p50_ms"],
        "rollup_summary_alone": {**alone_p, "n": len(alone)},
        "ratio_p95_alone": slow_p["p95_ms"] / alone_p["p95_ms"],
        "answers_equal": mismatches == 0,
    }


def http_summary(
    url: str, orgs: list[int], first_day: date, queries: int, workdir: Path
) -> dict[str, Any]:
    """`GET /api/v1/orgs/{org}/usage/summary?group_by=day` over 30 days against `ecotrack serve`
    (one worker), authenticated by a `read` API key per organisation, one keep-alive
    connection: what a dashboard waits for, HTTP and authentication included."""
    import http.client

    from tests.integration.servers import child_env, serving

    from ecotrack.core.db import Database, create_db_engine
    from ecotrack.core.settings import Settings
    from ecotrack.orgs.apikeys import api_key_service
    from ecotrack.orgs.context import Actor
    from ecotrack.orgs.schemas import ApiKeyCreate

    settings = Settings(env="test", data_dir=workdir, database_url=url)
    db = Database(create_db_engine(url))
    keys: dict[int, str] = {}
    with db.unit_of_work() as session:
        for org_id in orgs:
            created = api_key_service.create(
                session,
                actor=Actor(user_id=None),
                org_id=org_id,
                key_in=ApiKeyCreate(name="bench-read", scopes=["read"]),
                settings=settings,
            )
            keys[org_id] = created.secret
    db.engine.dispose()
    env = child_env(
        ECOTRACK_DATABASE_URL=url,
        ECOTRACK_DATA_DIR=str(workdir),
        ECOTRACK_LOG_LEVEL="WARNING",
        ECOTRACK_API_KEY_RATE_LIMIT_PER_MINUTE="1000000000",
        ECOTRACK_RATE_LIMIT_PER_MINUTE="1000000000",
    )
    times: list[float] = []
    with serving(env, workdir / "serve-queries.log", "--no-migrate") as base:
        conn = http.client.HTTPConnection(base.removeprefix("http://"))  # "host:port"
        for i, (org_id, start, end) in enumerate(_windows(orgs, first_day, queries + 20, 9)):
            path = (
                f"/api/v1/orgs/{org_id}/usage/summary?group_by=day"
                f"&from={start.isoformat()}&to={end.isoformat()}"
            )
            t0 = time.perf_counter()
            conn.request("GET", path, headers={"X-API-Key": keys[org_id]})
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - t0
            if response.status != 200:
                raise RuntimeError(f"{response.status}: {body[:300]!r}")
            if i >= 20:  # the first requests warm the worker up
                times.append(elapsed)
        conn.close()
    return {**percentiles(times, (50, 95, 99)), "n": len(times)}


def _existing(url: str) -> tuple[Any, dict[str, Any]]:
    """A database `--keep` left: its organisations and first day."""
    from sqlalchemy import func, select

    from ecotrack.core.db import Database, create_db_engine
    from ecotrack.orgs.models import Organisation
    from ecotrack.usage.models import UsageRollupOrgDaily

    db = Database(create_db_engine(url))
    with db.session_factory() as session:
        orgs = list(
            session.scalars(
                select(Organisation.id)
                .where(Organisation.slug.like("bench-%"))
                .order_by(Organisation.id)
            )
        )
        first = session.scalar(select(func.min(UsageRollupOrgDaily.day)))
    return db, {"orgs": orgs, "first_day": first, "load_s": None, "rollup_build_s": None}


def run(
    kind: str, n: int, queries: int, tmp: Path, *, keep: bool = False, url: str | None = None
) -> dict[str, Any]:
    from ecotrack.core.db import Database, create_db_engine
    from ecotrack.core.migrate import upgrade

    drop = None
    try:
        if url:
            db, built = _existing(url)
        else:
            if kind == "postgresql":
                drop, url = _pg_create("ecotrack_bench_queries")
            else:
                url = f"sqlite:///{tmp / 'queries.db'}"
            upgrade(url)
            db = Database(create_db_engine(url))
            first_day = datetime.now(UTC).date() - timedelta(days=365)
            built = {**load(kind, db, n, first_day), "first_day": first_day}
        with db.session_factory() as session:
            from sqlalchemy import func, select

            from ecotrack.usage.models import UsageEvent, UsageRollupDaily, UsageRollupOrgDaily

            counts = {
                m.__tablename__: int(session.execute(select(func.count()).select_from(m)).scalar())
                for m in (UsageRollupDaily, UsageRollupOrgDaily)
            }
            events = int(session.execute(select(func.count()).select_from(UsageEvent)).scalar())
        figures = measure(db, built["orgs"], built["first_day"], queries)
        db.engine.dispose()
        figures["http_summary"] = http_summary(url, built["orgs"], built["first_day"], queries, tmp)
        return {
            "events": events,
            "orgs": len(built["orgs"]),
            "users": len(built["orgs"]) * USERS_PER_ORG,
            "rollup_rows": counts,
            "load_s": built["load_s"],
            "rollup_build_s": built["rollup_build_s"],
            **figures,
        }
    finally:
        if drop and keep:
            print(f"kept: --url {url}", flush=True)
        elif drop:
            _pg_drop(drop)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--db", default="postgresql")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--url", help="measure a database --keep left (no load)")
    args = parser.parse_args()
    figures: dict[str, Any] = {"targets": {"p95_ms": "<= 25", "ratio": ">= 100"}}
    with tempfile.TemporaryDirectory(prefix="ecotrack-bench-queries-") as tmp:
        for kind in args.db.split(","):
            print(f"--- {kind}: {args.events:,} events", flush=True)
            figures[kind] = run(
                kind, args.events, args.queries, Path(tmp), keep=args.keep, url=args.url
            )
    events = figures[args.db.split(",")[-1]]["events"]
    name = "usage_queries" if events >= 10_000_000 else f"usage_queries_{events}"
    save(name, figures)


if __name__ == "__main__":
    main()
