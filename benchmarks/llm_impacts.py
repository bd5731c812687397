"""LLM-inference impacts: EcoTrack's vectorised batch engine vs EcoLogits 0.11.3, same calls.

    .venv/bin/python -m benchmarks.llm_impacts [--calls 100000] [--seed 42] [--repeat 5]

One run measures both sides on the same deterministic set of calls (models from every
provider, several zones or the provider default, token counts including 0, ~30 % with a
measured latency):

- EcoLogits: `ecologits.tracers.utils.llm_impacts(...)` called once per call, in a subprocess
  running a benchmark-only virtualenv `benchmarks/.venv-ecologits` (created on first use with
  `python -m venv` + `pip install ecologits==0.11.3`; gitignored);
- EcoTrack: one `estimate_llm_batch(columns)` call in this process (best and median of
  `--repeat` runs; the catalogue is loaded before timing, as EcoLogits loads its own on import).

Reported: calls/s of both, the ratio (target >= 200x), and the largest relative difference of
energy, GWP and water (also ADPe, PE), min and max, over all calls (target <= 1e-6).
Results: benchmarks/results/llm_impacts.json via `benchmarks.common.save`.

This file is also the worker that runs inside the EcoLogits venv (`--worker IN OUT`); that
mode uses the standard library and ecologits only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path
from typing import Any

ECOLOGITS_VERSION = "0.11.3"
HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-ecologits"
ZONES = [None, None, "WOR", "EEE", "USA", "FRA", "DEU", "SWE", "GBR", "IRL", "CHN", "IND", "BRA"]
# Per call the worker returns (min, max) for each of these, in this order.
METRICS = ("energy", "gwp", "wcf", "adpe", "pe")
OURS = {
    "energy": "energy_kwh",
    "gwp": "gwp_kg",
    "wcf": "water_l",
    "adpe": "adpe_kgsbeq",
    "pe": "pe_mj",
}


# ------------------------------------------------------------------------------------------
# Worker (runs in the EcoLogits venv: stdlib + ecologits only)
# ------------------------------------------------------------------------------------------


def worker(in_path: str, out_path: str) -> None:
    import logging

    logging.disable(logging.CRITICAL)  # EcoLogits logs each model warning once
    from importlib.metadata import version

    from ecologits.tracers.utils import llm_impacts

    with open(in_path, encoding="utf-8") as fh:
        calls = json.load(fh)
    providers, models = calls["provider"], calls["model"]
    tokens, latencies, zones = calls["output_tokens"], calls["latency_s"], calls["zone"]
    inf = math.inf
    results = []
    append = results.append
    start = time.perf_counter()
    for p, m, n, lat, z in zip(providers, models, tokens, latencies, zones, strict=True):
        append(llm_impacts(p, m, n, inf if lat is None else lat, z))
    elapsed = time.perf_counter() - start

    values = array("d")
    errors = 0
    for r in results:
        if r.errors:
            errors += 1
            values.extend([math.nan] * (2 * len(METRICS)))
            continue
        for metric in METRICS:
            v = getattr(r, metric).value
            lo, hi = (v.min, v.max) if hasattr(v, "min") else (v, v)
            values.append(float(lo))
            values.append(float(hi))
    with open(out_path + ".bin", "wb") as fh:
        values.tofile(fh)
    meta = {
        "seconds": elapsed,
        "calls": len(results),
        "errors": errors,
        "ecologits_version": version("ecologits"),
        "python": sys.version.split()[0],
    }
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(meta, fh)


# ------------------------------------------------------------------------------------------
# Driver (project venv)
# ------------------------------------------------------------------------------------------


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv() -> Path:
    """Create benchmarks/.venv-ecologits with ecologits==0.11.3 if it is missing."""
    py = venv_python()
    probe = [str(py), "-c", "from importlib.metadata import version; print(version('ecologits'))"]
    if py.exists():
        found = subprocess.run(probe, capture_output=True, text=True, check=False).stdout.strip()
        if found == ECOLOGITS_VERSION:
            return py
    print(f"creating {VENV} with ecologits=={ECOLOGITS_VERSION} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", f"ecologits=={ECOLOGITS_VERSION}"],
        check=True,
    )
    return py


def make_calls(n: int, seed: int) -> dict[str, list[Any]]:
    """Deterministic mixed calls over every catalogue model (alpha-3 zones, as EcoLogits needs)."""
    import numpy as np

    from ecotrack.factors.llm import default_catalogue

    models = default_catalogue().models()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(models), n)
    # token counts: 5 % zero, otherwise log-uniform 1 .. 16k
    tokens = np.where(
        rng.random(n) < 0.05, 0, np.exp(rng.uniform(0, math.log(16_000), n)).astype(np.int64)
    )
    input_tokens = np.exp(rng.uniform(0, math.log(50_000), n)).astype(np.int64)
    has_latency = rng.random(n) < 0.3
    latency = rng.uniform(0.05, 90.0, n)
    zone_idx = rng.integers(0, len(ZONES), n)
    return {
        "provider": [models[i].provider for i in idx.tolist()],
        "model": [models[i].name for i in idx.tolist()],
        "output_tokens": tokens.tolist(),
        "input_tokens": input_tokens.tolist(),
        "latency_s": [float(x) if h else None for x, h in zip(latency, has_latency, strict=True)],
        "zone": [ZONES[i] for i in zone_idx.tolist()],
    }


def run_ecologits(calls: dict[str, list[Any]]) -> tuple[dict[str, Any], Any]:
    import numpy as np

    py = ensure_venv()
    with tempfile.TemporaryDirectory(prefix="llm-bench-") as tmp:
        in_path, out_path = os.path.join(tmp, "calls.json"), os.path.join(tmp, "out.json")
        with open(in_path, "w", encoding="utf-8") as fh:
            json.dump(calls, fh)
        subprocess.run(
            [str(py), str(Path(__file__).resolve()), "--worker", in_path, out_path], check=True
        )
        with open(out_path, encoding="utf-8") as fh:
            meta = json.load(fh)
        values = np.fromfile(out_path + ".bin", dtype=np.float64)
    return meta, values.reshape(len(calls["provider"]), 2 * len(METRICS))


def rel_diff(a: Any, b: Any) -> float:
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = np.maximum(np.abs(a), np.abs(b))
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(a == b, 0.0, np.abs(a - b) / scale)
    return float(np.max(rel)) if rel.size else 0.0


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)

    import numpy as np

    from benchmarks.common import machine_info, save
    from ecotrack.calc.llm import estimate_llm, estimate_llm_batch
    from ecotrack.factors.llm import default_catalogue

    n = args.calls
    calls = make_calls(n, args.seed)
    default_catalogue()  # load the data files before timing (EcoLogits loads on import)

    eco_meta, eco = run_ecologits(calls)

    columns = {
        "provider": calls["provider"],
        "model": calls["model"],
        "output_tokens": np.asarray(calls["output_tokens"], dtype=np.int64),
        "input_tokens": np.asarray(calls["input_tokens"], dtype=np.int64),
        "latency_s": np.array([np.nan if x is None else x for x in calls["latency_s"]]),
        "zone": calls["zone"],
    }
    samples = []
    result = None
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        result = estimate_llm_batch(columns)
        samples.append(time.perf_counter() - start)
    assert result is not None
    ext_start = time.perf_counter()
    estimate_llm_batch(columns, method="extended")
    ext_seconds = time.perf_counter() - ext_start

    # scalar API on a slice, for context
    k = min(n, 20_000)
    start = time.perf_counter()
    for i in range(k):
        lat = calls["latency_s"][i]
        estimate_llm(
            provider=calls["provider"][i],
            model=calls["model"][i],
            output_tokens=calls["output_tokens"][i],
            latency_s=lat,
            zone=calls["zone"][i],
        )
    scalar_seconds = time.perf_counter() - start

    diffs: dict[str, float] = {}
    exact = np.ones(n, dtype=bool)
    for j, metric in enumerate(METRICS):
        col = getattr(result, OURS[metric])
        for side, ours in (("min", col.min), ("max", col.max)):
            theirs = eco[:, 2 * j + (0 if side == "min" else 1)]
            diffs[f"{OURS[metric]}_{side}"] = rel_diff(theirs, ours)
            exact &= theirs == ours

    best, median = min(samples), sorted(samples)[len(samples) // 2]
    eco_rate = n / eco_meta["seconds"]
    ours_rate_median = n / median
    headline = ("energy_kwh", "gwp_kg", "water_l")
    max_headline = max(v for k_, v in diffs.items() if k_.rsplit("_", 1)[0] in headline)
    figures: dict[str, Any] = {
        "calls": n,
        "seed": args.seed,
        "mix": {
            "distinct_models": len(set(zip(calls["provider"], calls["model"], strict=True))),
            "providers": sorted(set(calls["provider"])),
            "zones": sorted({z or "(provider default)" for z in calls["zone"]}),
            "share_zero_output_tokens": sum(t == 0 for t in calls["output_tokens"]) / n,
            "share_with_latency": sum(x is not None for x in calls["latency_s"]) / n,
        },
        "ecologits": {
            "version": eco_meta["ecologits_version"],
            "seconds": eco_meta["seconds"],
            "calls_per_s": eco_rate,
            "errors": eco_meta["errors"],
            "how": "llm_impacts() per call, subprocess in benchmarks/.venv-ecologits",
        },
        "ecotrack_batch": {
            "seconds_best": best,
            "seconds_median": median,
            "calls_per_s_best": n / best,
            "calls_per_s_median": ours_rate_median,
            "repeat": len(samples),
            "errors": int(result.error_count),
            "extended_method_seconds": ext_seconds,
        },
        "ecotrack_scalar": {
            "calls": k,
            "seconds": scalar_seconds,
            "calls_per_s": k / scalar_seconds,
        },
        "speedup_batch_vs_ecologits_median": ours_rate_median / eco_rate,
        "speedup_batch_vs_ecologits_best": (n / best) / eco_rate,
        "speedup_target": 200,
        "max_rel_diff": diffs,
        "max_rel_diff_energy_gwp_water": max_headline,
        "max_rel_diff_target": 1e-6,
        "bit_identical_share": float(np.mean(exact)),
        "targets_met": bool(ours_rate_median / eco_rate >= 200 and max_headline <= 1e-6),
        "ecologits_python": eco_meta["python"],
    }
    if args.no_save:
        print(json.dumps({"machine": machine_info(), "figures": figures}, indent=2))
    else:
        save("llm_impacts", figures)
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
    else:
        main()
