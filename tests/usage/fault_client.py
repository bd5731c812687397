"""Fault-test client (a separate process): sends batches, retrying each until acknowledged, and
appends every acknowledged batch's event ids to a file (flushed and fsynced) as it goes.

    python -m tests.usage.fault_client URL KEY OUT BATCHES SIZE
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson


def main() -> None:
    url, key, out, batches, size = sys.argv[1:6]
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    deadline = time.monotonic() + 50
    with open(out, "a", encoding="utf-8") as fh, httpx.Client(base_url=url, timeout=10) as http:
        for b in range(int(batches)):
            events = [
                {
                    "id": f"{run}-{b}-{i}",
                    "ts": (now - timedelta(minutes=i)).isoformat(),
                    "provider": "openai",
                    "model": "gpt-4o-mini" if i % 5 else "unknown-model",
                    "tokens_in": 10 * i,
                    "tokens_out": 20 + i,
                    "user": f"u{i % 7}",
                }
                for i in range(int(size))
            ]
            body = orjson.dumps({"events": events})
            while True:  # retry the same batch (same ids) until it is acknowledged
                if time.monotonic() > deadline:
                    sys.exit("gave up: the server did not come back")
                try:
                    r = http.post("/v1/ingest", content=body, headers={"X-API-Key": key})
                except httpx.HTTPError:
                    time.sleep(0.1)
                    continue
                if r.status_code == 200:
                    break
                time.sleep(0.1)
            fh.write(" ".join(e["id"] for e in events) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


if __name__ == "__main__":
    main()
