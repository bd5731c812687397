"""Benchmark: the personal dashboard at size — summary, history and a leaderboard page.

    .venv/bin/python -m benchmarks.personal                       # SQLite and PostgreSQL
    .venv/bin/python -m benchmarks.personal --db sqlite --users 20000 --requests 100

For each database (a throwaway SQLite file; a throwaway PostgreSQL database):
  * one user with `--years` (5) of daily activities (two a day, logged through
    `activities_service.bulk_log`, so the daily rollup is the one the API keeps);
  * `--users` (100,000) users on the global all-time points leaderboard, each with point awards
    in the ledger (`point_award`) and the board row (`leaderboard_score`) those awards sum to;
  * a real `ecotrack serve` process; p50/p95 over HTTP of `GET /api/v1/me/summary`,
    `GET /api/v1/me/history` (month buckets over 5 years, day buckets over a year) and
    `GET /api/v1/leaderboards` (50 entries at a random offset), one client, keep-alive;
  * in process, the same answers from the rollups (the services the endpoints call) and from the
    raw rows (SQL over `activity` / `point_award`), checked equal, and the ratio raw / rollup.
Figures go to benchmarks/results/personal.json.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.common import percentiles, save

PG_ADMIN_URL = os.environ.get(
    "ECOTRACK_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "benchmark passphrase 2026"  # noqa: S105 - a throwaway account
SEED = 20261130
# One day of a commuter's life, repeated with noise: (activity, unit, amount, options).
DAY_MIX: tuple[tuple[str, str, float, dict[str, Any]], ...] = (
    ("car", "km", 30.0, {"fuel": "petrol", "size": "medium"}),
    ("electricity", "kWh", 8.0, {}),
    ("natural_gas", "kWh", 30.0, {}),
    ("rail", "km", 40.0, {"type": "national"}),
    ("diet", "person_day", 1.0, {"diet": "medium_meat"}),
    ("bus", "km", 10.0, {}),
)


# --- databases -----------------------------------------------------------------------------


@contextmanager
def throwaway_database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ecotrack-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"ecotrack_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _settings(url: str, data_dir: Path) -> Any:
    from ecotrack.core.settings import Settings

    return Settings(
        env="development",
        data_dir=data_dir,
        database_url=url,
        password_hash_profile="test",  # noqa: S106 - reads are measured, not argon2
        log_json=False,
    )


# --- data ----------------------------------------------------------------------------------


def seed_activities(session: Session, *, user_id: int, years: int, today: date) -> int:
    from ecotrack.activities.service import activities_service

    rng = random.Random(SEED)
    start = today - timedelta(days=365 * years - 1)
    items: list[dict[str, Any]] = []
    day = start
    while day <= today:
        for activity, unit, amount, options in rng.sample(DAY_MIX, 2):
            items.append(
                {
                    "activity": activity,
                    "unit": unit,
                    "amount": round(amount * rng.uniform(0.5, 1.5), 2),
                    "occurred_on": day,
                    "region": "GB",
                    "options": options,
                }
            )
        day += timedelta(days=1)
    for chunk in range(0, len(items), 2000):
        activities_service.bulk_log(
            session, user_id=user_id, items=items[chunk : chunk + 2000], emit_logged=False
        )
        session.commit()
    return len(items)


def seed_leaderboard(session: Session, *, users: int, today: date) -> int:
    """`users` accounts, each with 1–8 point awards and the all-time board row they sum to."""
    from ecotrack.gamification.models import LeaderboardScore, PointAward
    from ecotrack.gamification.rules import ALL_TIME_START
    from ecotrack.identity.models import User

    rng = random.Random(SEED + 1)
    now = datetime.now(UTC)
    first_id = (session.scalar(select(func.max(User.id))) or 0) + 1
    batch = 10_000
    for base in range(0, users, batch):
        count = min(batch, users - base)
        ids = range(first_id + base, first_id + base + count)
        session.execute(
            insert(User),
            [
                {
                    "id": uid,
                    "email": f"board-{uid}@bench.example.org",
                    "password_hash": "!",  # cannot log in
                    "display_name": f"Player {uid}",
                    "units": {},
                    "privacy": {},
                    "role": "user",
                    "is_active": True,
                    "is_verified": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for uid in ids
            ],
        )
        awards: list[dict[str, Any]] = []
        scores: list[dict[str, Any]] = []
        for uid in ids:
            total = 0
            for k in range(rng.randint(1, 8)):
                points = rng.choice((5, 10, 10, 10, 25, 50, 100))
                total += points
                awards.append(
                    {
                        "user_id": uid,
                        "reason": "log",
                        "ref": f"bench-{k}",
                        "points": points,
                        "status": "awarded",
                        "awarded_on": today - timedelta(days=rng.randint(0, 720)),
                        "detail": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            scores.append(
                {
                    "period": "all",
                    "period_start": ALL_TIME_START,
                    "metric": "points",
                    "user_id": uid,
                    "score": float(total),
                    "visible": True,
                }
            )
        session.execute(insert(PointAward), awards)
        session.execute(insert(LeaderboardScore), scores)
        session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), max(id)) FROM \"user\"")
        )
        session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # What autovacuum does after a bulk insert (it triggers on inserted rows since
        # PostgreSQL 13): statistics and the visibility map, so index-only scans stay index-only.
        with session.get_bind().connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        session.execute(text("ANALYZE"))
        session.commit()
    return users


# --- the same answers from raw rows --------------------------------------------------------


def raw_summary(session: Session, *, user_id: int, on: date) -> dict[str, float]:
    """Totals of the summary's six windows, straight from the activity rows."""
    from ecotrack.activities.analytics import periods_for
    from ecotrack.activities.models import Activity

    out: dict[str, float] = {}
    for name, (start, end, prev_start, prev_end) in periods_for(on).items():
        for label, (lo, hi) in (("", (start, end)), ("previous_", (prev_start, prev_end))):
            stmt = select(func.coalesce(func.sum(Activity.co2e_kg), 0.0)).where(
                Activity.user_id == user_id, Activity.occurred_on.between(lo, hi)
            )
            out[f"{name}.{label}total"] = float(session.scalar(stmt) or 0.0)
    return out


def rollup_summary(session: Session, *, user_id: int, on: date) -> dict[str, float]:
    from ecotrack.activities.analytics import analytics_service

    summary = analytics_service.summary(session, user_id=user_id, on=on)
    out: dict[str, float] = {}
    for name in ("week", "month", "year"):
        period = getattr(summary, name)
        out[f"{name}.total"] = period.total_kg
        out[f"{name}.previous_total"] = period.previous_kg
    return out


def raw_history(session: Session, *, user_id: int, start: date, end: date) -> dict[str, float]:
    """Month buckets from the activity rows (grouped in Python by the row's month)."""
    from ecotrack.activities.models import Activity

    stmt = select(Activity.occurred_on, Activity.co2e_kg).where(
        Activity.user_id == user_id, Activity.occurred_on.between(start, end)
    )
    out: dict[str, float] = {}
    for day, kg in session.execute(stmt):
        key = day.strftime("%Y-%m")
        out[key] = out.get(key, 0.0) + kg
    return out


def rollup_history(session: Session, *, user_id: int, start: date, end: date) -> dict[str, float]:
    from ecotrack.activities.analytics import analytics_service

    history = analytics_service.history(
        session, user_id=user_id, granularity="month", start=start, end=end
    )
    return {p.start.strftime("%Y-%m"): p.total_kg for p in history.points if p.count}


def raw_board(session: Session, *, offset: int, limit: int = 50) -> list[tuple[int, float]]:
    from ecotrack.gamification.models import PointAward

    total = func.sum(PointAward.points)
    stmt = (
        select(PointAward.user_id, total)
        .where(PointAward.status == "awarded")
        .group_by(PointAward.user_id)
        .order_by(total.desc(), PointAward.user_id)
        .limit(limit)
        .offset(offset)
    )
    return [(int(u), float(s)) for u, s in session.execute(stmt)]


def rollup_board(session: Session, *, viewer_id: int, offset: int) -> list[tuple[int, float]]:
    from ecotrack.core.pagination import PageParams
    from ecotrack.gamification.leaderboards import leaderboard_service

    board = leaderboard_service.board(
        session,
        viewer_id=viewer_id,
        scope="global",
        scope_id=None,
        period="all",
        metric="points",
        page=PageParams(limit=50, offset=offset),
    )
    return [(e.user_id, e.score) for e in board.items]


def close(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) <= 1e-6 * max(1.0, abs(a[k])) for k in a)


def time_calls(fn: Callable[[], Any], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(url: str, data_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "ECOTRACK_DATABASE_URL": url,
        "ECOTRACK_DATA_DIR": str(data_dir),
        "ECOTRACK_ENV": "development",
        "ECOTRACK_PASSWORD_HASH_PROFILE": "test",
        "ECOTRACK_RATE_LIMIT_PER_MINUTE": "1000000",
        "ECOTRACK_LOG_LEVEL": "WARNING",
    }
    for var in ("ECOTRACK_BROKER_URL", "ECOTRACK_REDIS_URL"):
        env.pop(var, None)
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ecotrack", "serve", "--port", str(port), "--no-migrate"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"ecotrack serve did not start:\n{log.read_text()[-2000:]}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --- one database --------------------------------------------------------------------------


def run_one(kind: str, *, users: int, years: int, requests: int) -> dict[str, Any]:
    from ecotrack.core.migrate import upgrade
    from ecotrack.identity.service import identity_service

    out: dict[str, Any] = {}
    with throwaway_database(kind) as url, tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        settings = _settings(url, data_dir)
        upgrade(url)
        engine: Engine = create_engine(url)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        today = date.today()
        t0 = time.perf_counter()
        with factory() as session:
            email = f"bench-{secrets.token_hex(3)}@bench.example.org"
            user = identity_service.create_user(
                session, email=email, password=PASSWORD, is_verified=True, settings=settings
            )
            session.commit()
            user_id = user.id
            out["activities"] = seed_activities(session, user_id=user_id, years=years, today=today)
            out["leaderboard_users"] = seed_leaderboard(session, users=users, today=today)
        out["seed_s"] = round(time.perf_counter() - t0, 1)

        # In process: the same answers from the rollups and from raw rows.
        rng = random.Random(SEED + 2)
        five_years_ago = today - timedelta(days=365 * years - 1)
        with factory() as session:
            checks = {
                "summary": close(
                    rollup_summary(session, user_id=user_id, on=today),
                    raw_summary(session, user_id=user_id, on=today),
                ),
                "history": close(
                    rollup_history(session, user_id=user_id, start=five_years_ago, end=today),
                    raw_history(session, user_id=user_id, start=five_years_ago, end=today),
                ),
            }
            offsets = [rng.randrange(0, max(1, users - 50)) for _ in range(5)] + [0]
            checks["leaderboard"] = all(
                rollup_board(session, viewer_id=user_id, offset=o) == raw_board(session, offset=o)
                for o in offsets
            )
            out["answers_equal"] = checks
            pairs: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
                "summary": (
                    lambda: rollup_summary(session, user_id=user_id, on=today),
                    lambda: raw_summary(session, user_id=user_id, on=today),
                ),
                "history_month_5y": (
                    lambda: rollup_history(
                        session, user_id=user_id, start=five_years_ago, end=today
                    ),
                    lambda: raw_history(session, user_id=user_id, start=five_years_ago, end=today),
                ),
                "leaderboard_page": (
                    lambda: rollup_board(
                        session, viewer_id=user_id, offset=rng.randrange(0, users - 50)
                    ),
                    lambda: raw_board(session, offset=rng.randrange(0, users - 50)),
                ),
            }
            in_process: dict[str, Any] = {}
            n = max(10, requests // 4)
            for name, (rollup, raw) in pairs.items():
                rollup_s = time_calls(rollup, n)
                raw_s = time_calls(raw, max(5, n // 4))
                in_process[name] = {
                    "rollup": percentiles(rollup_s),
                    "raw": percentiles(raw_s),
                    "ratio_raw_over_rollup_p50": round(
                        statistics.median(raw_s) / statistics.median(rollup_s), 1
                    ),
                }
            out["in_process"] = in_process
        engine.dispose()

        # Over HTTP, through the whole stack of a real server.
        with server(url, data_dir) as base, httpx.Client(base_url=base, timeout=30) as client:
            login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            login.raise_for_status()
            client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            year_ago = (today - timedelta(days=364)).isoformat()
            paths: dict[str, Callable[[], str]] = {
                "summary": lambda: "/api/v1/me/summary",
                "history_month_5y": lambda: (
                    f"/api/v1/me/history?granularity=month&from={five_years_ago.isoformat()}"
                ),
                "history_day_1y": lambda: f"/api/v1/me/history?granularity=day&from={year_ago}",
                "leaderboard_page": lambda: (
                    "/api/v1/leaderboards?scope=global&period=all&metric=points&limit=50"
                    f"&offset={rng.randrange(0, users - 50)}"
                ),
            }
            http: dict[str, Any] = {}
            for name, path in paths.items():
                for _ in range(5):  # warm up
                    client.get(path()).raise_for_status()
                samples = []
                for _ in range(requests):
                    p = path()
                    start = time.perf_counter()
                    response = client.get(p)
                    samples.append(time.perf_counter() - start)
                    response.raise_for_status()
                http[name] = percentiles(samples)
            out["http"] = http
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    figures: dict[str, Any] = {
        "users_on_board": args.users,
        "years_of_activities": args.years,
        "requests_per_endpoint": args.requests,
        "targets": {"summary_p95_ms": 30, "leaderboard_page_p95_ms": 50},
        "notes": (
            "http = one keep-alive client against a real `ecotrack serve` (1 worker) on "
            "loopback; in_process = the services the endpoints call (rollups) vs the same "
            "answer computed from raw rows (activity / point_award), checked equal first."
        ),
    }
    for kind in kinds:
        print(f"== {kind}", flush=True)
        figures[kind] = run_one(kind, users=args.users, years=args.years, requests=args.requests)
        http = figures[kind]["http"]
        figures[kind]["targets_met"] = (
            http["summary"]["p95_ms"] <= 30 and http["leaderboard_page"]["p95_ms"] <= 50
        )
        save("personal", figures)  # after each database, so one failure keeps the other


if __name__ == "__main__":
    main()
