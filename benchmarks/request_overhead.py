"""Request overhead of `GET /healthz` through EcoTrack's full stack versus a bare ASGI app.

Both are served the same way (uvicorn, one process, no access log, same event loop and HTTP
parser) and loaded by the same client from a separate process (`wrk` when installed, otherwise a
keep-alive asyncio client). Rounds alternate bare/full so drift on the shared machine hits both.
Figures: requests/s of each, the throughput ratio, and the added latency per request.

    python -m benchmarks.request_overhead [--duration 5] [--rounds 3] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
from tests.integration.servers import free_port, stop, wait_http

from benchmarks.common import save


def _serve_bare(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "benchmarks.bare_app:app",
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def _serve_full(port: int, data_dir: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOTRACK_")}
    env.update(
        ECOTRACK_DATA_DIR=data_dir,
        ECOTRACK_LOG_LEVEL="WARNING",
        ECOTRACK_RATE_LIMIT_PER_MINUTE="100000000",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "ecotrack.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def _wrk(url: str, duration: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def latency(label: str) -> float:
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)  # type: ignore[union-attr]
        return value * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    return {"rps": rps, "p50_ms": latency("50"), "p99_ms": latency("99")}


async def _py_client(url: str, duration: int, connections: int) -> dict[str, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + duration
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=connections)) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                (await client.get(url)).raise_for_status()
                latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(worker() for _ in range(connections)))
    latencies.sort()
    return {
        "rps": len(latencies) / duration,
        "p50_ms": latencies[len(latencies) // 2] * 1e3,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1e3,
    }


def measure(url: str, duration: int, connections: int) -> dict[str, float]:
    if shutil.which("wrk"):
        return _wrk(url, duration, connections)
    return asyncio.run(_py_client(url, duration, connections))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    bare_port, full_port = free_port(), free_port()
    data_dir = tempfile.mkdtemp(prefix="ecotrack-bench-")
    bare, full = _serve_bare(bare_port), _serve_full(full_port, data_dir)
    try:
        bare_url = f"http://127.0.0.1:{bare_port}/healthz"
        full_url = f"http://127.0.0.1:{full_port}/healthz"
        wait_http(bare_url, bare)
        wait_http(full_url, full)
        for url in (bare_url, full_url):  # warm up
            measure(url, 1, args.connections)
        runs: dict[str, list[dict[str, float]]] = {"bare": [], "full": []}
        for _ in range(args.rounds):
            runs["bare"].append(measure(bare_url, args.duration, args.connections))
            runs["full"].append(measure(full_url, args.duration, args.connections))
    finally:
        stop(bare)
        stop(full)
        shutil.rmtree(data_dir, ignore_errors=True)

    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[kind])

    bare_rps, full_rps = med("bare", "rps"), med("full", "rps")
    save(
        "request_overhead",
        {
            "client": "wrk" if shutil.which("wrk") else "httpx-asyncio",
            "connections": args.connections,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "bare_rps": round(bare_rps, 1),
            "full_rps": round(full_rps, 1),
            "throughput_ratio_full_over_bare": round(full_rps / bare_rps, 4),
            "added_us_per_request": round((1 / full_rps - 1 / bare_rps) * 1e6, 1),
            "bare_p50_ms": med("bare", "p50_ms"),
            "full_p50_ms": med("full", "p50_ms"),
            "bare_p99_ms": med("bare", "p99_ms"),
            "full_p99_ms": med("full", "p99_ms"),
            "runs": runs,
            "stack": "EdgeMiddleware (request id, body limit, security headers, metrics, access "
            "log), rate-limit dependency off the /api path, FastAPI routing and validation",
        },
    )


if __name__ == "__main__":
    main()
