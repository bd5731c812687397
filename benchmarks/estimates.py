"""Benchmark: 1,000,000 mixed factor estimates, in process (and over HTTP once the endpoint exists).

    .venv/bin/python -m benchmarks.estimates                      # in-process part
    .venv/bin/python -m benchmarks.estimates --n 200000           # smaller run
    .venv/bin/python -m benchmarks.estimates --http http://127.0.0.1:8000   # + HTTP batch

In process, three ways over the same items (deterministic seed):
  (a) loop     — a plain per-item loop calling `estimate()` (the baseline);
  (b) batch    — `estimate_batch(requests)` (objects in, objects out, grouped + numpy);
  (c) columns  — `estimate_columns(...)` (columns in, numpy arrays out).
Items/s for each and the ratio to the loop are saved to benchmarks/results/estimates.json.
Plans are warmed first (each distinct key resolved once), so the figures are steady-state;
the cold first columnar call is reported separately. Results are checked to be equal.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.common import save, timed
from ecotrack.calc import (
    CalcError,
    EstimateRequest,
    clear_caches,
    estimate,
    estimate_batch,
    estimate_columns,
)
from ecotrack.calc.engine import default_factors

SEED = 20261122
# (activity, unit, region, year, options, amount scale) — electricity in several regions, fuels,
# car/bus/rail, flights by haul, waste and spend.
MIX: tuple[tuple[str, str, str | None, int | None, dict[str, Any], float], ...] = (
    ("electricity", "kWh", "GB", 2024, {}, 5000.0),
    ("electricity", "kWh", "GB", 2025, {"include_transmission_losses": True}, 5000.0),
    ("electricity", "MWh", "US-CAMX", None, {}, 50.0),
    ("electricity", "kWh", "US", None, {}, 5000.0),
    ("electricity", "kWh", "FR", None, {}, 5000.0),
    ("electricity", "kWh", "DE", 2023, {}, 5000.0),
    ("electricity", "kWh", "IN", None, {}, 5000.0),
    ("natural_gas", "kWh", "GB", 2024, {}, 20000.0),
    ("natural_gas", "therm", "US", None, {}, 800.0),
    ("heating_oil", "L", "GB", None, {}, 2000.0),
    ("diesel", "L", None, None, {}, 500.0),
    ("petrol", "gallon", "US", None, {}, 300.0),
    ("car", "km", "GB", 2024, {"fuel": "petrol", "size": "medium"}, 15000.0),
    ("car", "mile", "GB", 2024, {"fuel": "battery_electric"}, 9000.0),
    ("car", "km", None, None, {"fuel": "diesel", "passengers": 2}, 15000.0),
    ("bus", "km", None, 2024, {}, 500.0),
    ("rail", "km", None, 2024, {"type": "national"}, 2000.0),
    ("rail", "passenger_km", None, None, {"type": "underground"}, 500.0),
    ("flight", "km", None, 2024, {"haul": "domestic"}, 1000.0),
    ("flight", "km", None, 2024, {"haul": "short", "cabin": "economy"}, 3000.0),
    ("flight", "km", None, 2024, {"haul": "long", "cabin": "business"}, 10000.0),
    ("flight", "km", None, 2025, {"haul": "international", "radiative_forcing": False}, 8000.0),
    ("waste", "kg", None, 2024, {"type": "food", "treatment": "composting"}, 500.0),
    ("waste", "tonne", None, 2024, {"type": "household_residual"}, 2.0),
    ("spend", "USD", None, None, {"sector": "541511"}, 10000.0),
    ("spend", "USD", None, None, {"sector": "722511"}, 2000.0),
)


def make_items(n: int, seed: int = SEED) -> dict[str, Any]:
    """n deterministic items as columns (lists, like a parsed request body would give)."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, len(MIX), n)
    scale = np.array([m[5] for m in MIX])[kind]
    amount = np.round(rng.uniform(0.0, 1.0, n) * scale, 3)
    k = kind.tolist()
    return {
        "activity": [MIX[i][0] for i in k],
        "unit": [MIX[i][1] for i in k],
        "region": [MIX[i][2] for i in k],
        "year": [MIX[i][3] for i in k],
        "options": [MIX[i][4] for i in k],  # shared dicts, as a JSON parser would not give
        "amount": amount,
    }


def as_requests(cols: dict[str, Any]) -> list[EstimateRequest]:
    return [
        EstimateRequest(a, x, u, r, y, None, o)
        for a, x, u, r, y, o in zip(
            cols["activity"],
            cols["amount"].tolist(),
            cols["unit"],
            cols["region"],
            cols["year"],
            cols["options"],
            strict=True,
        )
    ]


def run_loop(reqs: Sequence[EstimateRequest], reg: Any) -> list[Any]:
    out: list[Any] = []
    append = out.append
    for r in reqs:
        try:
            append(estimate(r, factors=reg))
        except CalcError as exc:
            append(exc)
    return out


def run_columns(cols: dict[str, Any], reg: Any) -> Any:
    return estimate_columns(
        cols["activity"],
        cols["amount"],
        cols["unit"],
        cols["region"],
        cols["year"],
        None,
        cols["options"],
        factors=reg,
    )


def check_equal(loop: list[Any], batch: list[Any], columns: Any, sample: int = 20000) -> int:
    """Batch and columns must equal the loop bit for bit (checked on a sample)."""
    step = max(1, len(loop) // sample)
    checked = 0
    for i in range(0, len(loop), step):
        a, b = loop[i], batch[i]
        assert a == b, (i, a, b)
        if isinstance(a, CalcError):
            assert columns.error_code[i] == a.code
        else:
            assert columns.co2e_kg[i] == a.co2e_kg
            assert columns.factor_id[i] == a.factor.id
        checked += 1
    return checked


# ---------------------------------------------------------------------------------------------
# HTTP batch (hook for the lead: runs once POST /api/v1/estimates/batch exists)
# ---------------------------------------------------------------------------------------------
HTTP_CHUNK = 10_000


def _item(cols: dict[str, Any], amounts: list[float], i: int) -> dict[str, Any]:
    return {
        "activity": cols["activity"][i],
        "amount": amounts[i],
        "unit": cols["unit"][i],
        "region": cols["region"][i],
        "year": cols["year"][i],
        "options": cols["options"][i],
    }


def http_batch(
    url: str, cols: dict[str, Any], *, chunk: int = HTTP_CHUNK, timeout: float = 120.0
) -> dict[str, Any]:
    """POST every item to `{url}/api/v1/estimates/batch` in chunks of `chunk`, one request at a
    time over a keep-alive connection. Bodies are encoded before the clock starts (the figure is
    what the server sustains: parsing, validation, computing, encoding, HTTP); responses are
    parsed and checked inside the clock."""
    import httpx
    import orjson

    n = len(cols["activity"])
    amounts = cols["amount"].tolist()
    endpoint = url.rstrip("/") + "/api/v1/estimates/batch"
    bodies = [
        orjson.dumps({"items": [_item(cols, amounts, i) for i in range(lo, min(n, lo + chunk))]})
        for lo in range(0, n, chunk)
    ]
    errors = 0
    latencies: list[float] = []
    headers = {"content-type": "application/json"}
    with httpx.Client(timeout=timeout) as client:
        client.post(endpoint, content=bodies[0], headers=headers).raise_for_status()  # warm-up
        start = time.perf_counter()
        for k, body in enumerate(bodies):
            t0 = time.perf_counter()
            resp = client.post(endpoint, content=body, headers=headers)
            resp.raise_for_status()
            answer = orjson.loads(resp.content)
            latencies.append(time.perf_counter() - t0)
            expected = min(n, (k + 1) * chunk) - k * chunk
            if answer["count"] != expected or len(answer["results"]) != expected:
                raise RuntimeError(f"expected {expected} results, got {answer['count']}")
            errors += answer["failed"]
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "items": n,
        "chunk": chunk,
        "requests": len(bodies),
        "request_bytes_mean": sum(map(len, bodies)) / len(bodies),
        "seconds": elapsed,
        "items_per_s": n / elapsed,
        "error_items": errors,
        "chunk_latency_ms_p50": latencies[len(latencies) // 2] * 1000,
        "chunk_latency_ms_max": latencies[-1] * 1000,
    }


def http_single(url: str, cols: dict[str, Any], *, count: int = 2000) -> dict[str, Any]:
    """The HTTP baseline: the first `count` items one `POST /api/v1/estimates` each."""
    import httpx
    import orjson

    amounts = cols["amount"].tolist()
    endpoint = url.rstrip("/") + "/api/v1/estimates"
    bodies = [orjson.dumps(_item(cols, amounts, i)) for i in range(count)]
    headers = {"content-type": "application/json"}
    with httpx.Client(timeout=30) as client:
        client.post(endpoint, content=bodies[0], headers=headers)
        start = time.perf_counter()
        for body in bodies:
            client.post(endpoint, content=body, headers=headers)
        elapsed = time.perf_counter() - start
    return {"items": count, "seconds": elapsed, "items_per_s": count / elapsed}


def start_server() -> tuple[str, Any, str]:
    """`ecotrack serve` on a free port with a throwaway data directory and no rate limit."""
    import os
    import subprocess
    import sys
    import tempfile

    from tests.integration.servers import free_port, wait_http

    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="ecotrack-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOTRACK_")}
    env.update(
        ECOTRACK_DATA_DIR=data_dir,
        ECOTRACK_LOG_LEVEL="WARNING",
        ECOTRACK_RATE_LIMIT_PER_MINUTE="100000000",
        ECOTRACK_MAX_REQUEST_BYTES=str(8 * 1024 * 1024),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecotrack.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/healthz", proc)
    return url, proc, data_dir


# ---------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--n", type=int, default=1_000_000, help="number of estimates (default 1,000,000)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed repetitions per method (best is reported)"
    )
    parser.add_argument(
        "--http",
        metavar="URL",
        default="auto",
        help="server for the HTTP part: 'auto' starts `ecotrack serve`, 'off' skips it",
    )
    parser.add_argument("--http-chunk", type=int, default=HTTP_CHUNK, help="items per HTTP request")
    parser.add_argument("--no-save", action="store_true", help="print only, do not write results")
    args = parser.parse_args(argv)

    reg = default_factors()
    cols = make_items(args.n)
    reqs = as_requests(cols)
    n = args.n

    clear_caches()
    t0 = time.perf_counter()
    run_columns(cols, reg)  # cold: resolves every distinct key once (plans + unit conversions)
    cold_s = time.perf_counter() - t0

    loop_out = run_loop(reqs, reg)
    batch_out = estimate_batch(reqs, factors=reg)
    cols_out = run_columns(cols, reg)
    checked = check_equal(loop_out, batch_out, cols_out)
    errors = sum(isinstance(x, CalcError) for x in loop_out)
    del loop_out, batch_out

    t_loop = timed(lambda: run_loop(reqs, reg), repeat=args.repeat)
    t_batch = timed(lambda: estimate_batch(reqs, factors=reg), repeat=args.repeat)
    t_cols = timed(lambda: run_columns(cols, reg), repeat=args.repeat)

    def rate(t: dict[str, float]) -> float:
        return n / t["best_s"]

    figures: dict[str, Any] = {
        "items": n,
        "distinct_keys": len(MIX),
        "error_items": errors,
        "checked_equal_items": checked,
        "seed": SEED,
        "loop": {**t_loop, "items_per_s": rate(t_loop), "ratio_to_loop": 1.0},
        "batch": {
            **t_batch,
            "items_per_s": rate(t_batch),
            "ratio_to_loop": rate(t_batch) / rate(t_loop),
        },
        "columns": {
            **t_cols,
            "items_per_s": rate(t_cols),
            "ratio_to_loop": rate(t_cols) / rate(t_loop),
        },
        "columns_cold_first_call_s": cold_s,
        "notes": (
            "In process, warm plan cache; best of `repeat` runs. loop = per-item estimate() "
            "(baseline); batch = estimate_batch (EstimateResult objects); columns = "
            "estimate_columns (numpy arrays). Inputs are Python lists (as parsed JSON would be)."
        ),
    }
    if args.http != "off":
        import shutil

        from tests.integration.servers import stop

        proc = data_dir = None
        url = args.http
        if url == "auto":
            url, proc, data_dir = start_server()
        try:
            single = http_single(url, cols)
            batch = http_batch(url, cols, chunk=args.http_chunk)
        finally:
            if proc is not None:
                stop(proc)
                shutil.rmtree(data_dir, ignore_errors=True)
        batch["ratio_to_loop"] = batch["items_per_s"] / rate(t_loop)
        batch["ratio_to_http_single"] = batch["items_per_s"] / single["items_per_s"]
        figures["http_single"] = single
        figures["http_batch"] = batch
        figures["http_notes"] = (
            "One `ecotrack serve` process (uvicorn, 1 worker) on loopback, one client connection; "
            "http_single = one POST /api/v1/estimates per item (the per-item HTTP baseline, "
            "first 2,000 items); http_batch = all items in chunks of 10,000 to "
            "/api/v1/estimates/batch, request bodies encoded before timing."
        )
    if args.no_save:
        print(figures)
    else:
        save("estimates", figures)
    return figures


if __name__ == "__main__":
    main()
