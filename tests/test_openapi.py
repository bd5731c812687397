"""The OpenAPI document is the whole contract: stable ids, problem+json errors, every route."""

from __future__ import annotations

import json
import re
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "openapi_operation_ids.json"


def test_openapi_is_served_and_docs_render(client) -> None:
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_operation_ids_are_unique_and_kebab_case(client) -> None:
    doc = client.get("/api/openapi.json").json()
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids), ids


def test_operation_ids_are_stable(client) -> None:
    """Renaming an operation breaks generated clients: the snapshot must be updated on purpose."""
    doc = client.get("/api/openapi.json").json()
    current = {
        f"{method.upper()} {path}": op["operationId"]
        for path, item in doc["paths"].items()
        for method, op in item.items()
    }
    recorded = json.loads(SNAPSHOT.read_text())
    changed = {
        k: (recorded[k], v) for k, v in current.items() if k in recorded and recorded[k] != v
    }
    assert not changed, f"operation ids changed: {changed}"
    missing = sorted(set(current) - set(recorded))
    assert not missing, f"new operations: add them to {SNAPSHOT.name}: {missing}"


def test_every_error_response_is_problem_json(client) -> None:
    doc = client.get("/api/openapi.json").json()
    assert "Problem" in doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert "500" in op["responses"], (method, path)
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], (path, status)
