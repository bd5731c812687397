"""Shared benchmark harness: machine info, timing helpers and JSON results.

Every benchmark compares EcoTrack against a baseline measured in the same run (the machine is
shared and noisy, so absolute numbers drift; ratios measured side by side do not). Results go to
`benchmarks/results/<name>.json` and are printed.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine_info() -> dict[str, Any]:
    """What ran the benchmark: CPU, cores, memory, Python, git commit."""
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="utf-8") as fh:
            info["mem_total_kb"] = int(fh.readline().split()[1])
        info["loadavg"] = os.getloadavg()
    except OSError:
        pass
    info["calibration_loop_ms"] = _calibration_ms()
    try:
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except OSError:
        info["git_commit"] = None
    return info


def _calibration_ms() -> float:
    """The best of 3 runs of a fixed pure-Python loop (1,000,000 additions), measured when the
    results are saved: how fast this VM's CPU was that day. The shared VM's speed varies from
    day to day (once by 3×), so absolute figures of two files compare only through it; ratios
    measured within one run do not need it."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.perf_counter() - t0)
    return round(best * 1000, 2)


def timed(fn: Callable[[], Any], *, repeat: int = 5) -> dict[str, float]:
    """Run `fn` `repeat` times; return best/median/mean wall seconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return {
        "best_s": min(samples),
        "median_s": statistics.median(samples),
        "mean_s": statistics.fmean(samples),
        "repeat": repeat,
    }


def percentiles(samples: list[float], points: tuple[int, ...] = (50, 95, 99)) -> dict[str, float]:
    """Percentiles (nearest-rank) of latency samples, in milliseconds."""
    if not samples:
        return {}
    ordered = sorted(samples)
    out = {}
    for p in points:
        k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))
        out[f"p{p}_ms"] = ordered[k] * 1000
    return out


def save(name: str, figures: dict[str, Any]) -> Path:
    """Write `figures` with machine info and a timestamp to results/<name>.json and print them."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "figures": figures,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2, sort_keys=True))
    print(f"saved {path}")
    return path
