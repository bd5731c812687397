"""Tenant isolation over the whole route table, generated from the OpenAPI document.

Every operation whose path has `{org_id}` is called by organisation A's *owner* (the strongest
org role) with organisation B's ids, and with A's org id but B's sub-resource ids: each answer
must be 404, and B's data must be unchanged afterwards. New routes join automatically.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.orgs.conftest import World

BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/orgs/{org_id}/teams": {"name": "Intruders"},
    "PATCH /api/v1/orgs/{org_id}/teams/{team_id}": {"name": "Renamed"},
    "POST /api/v1/orgs/{org_id}/teams/{team_id}/members": {"user_id": 1},
    "PATCH /api/v1/orgs/{org_id}": {"name": "Renamed"},
    "PATCH /api/v1/orgs/{org_id}/members/{user_id}": {"role": "viewer"},
    "POST /api/v1/orgs/{org_id}/invitations": {"email": "intruder@example.org"},
    "POST /api/v1/orgs/{org_id}/api-keys": {"name": "x", "scopes": ["read"]},
    "POST /api/v1/orgs/{org_id}/factor-overrides": {
        "activity": "electricity",
        "value": 1,
        "per_unit": "kWh",
    },
    "PATCH /api/v1/orgs/{org_id}/factor-overrides/{override_id}": {"value": 9},
    "POST /api/v1/orgs/{org_id}/custom-models": {
        "provider": "openai",
        "name": "x",
        "params_total_b": 1,
    },
    "PATCH /api/v1/orgs/{org_id}/custom-models/{model_id}": {"tps": 9},
    "PATCH /api/v1/orgs/{org_id}/alerts/{alert_id}": {"threshold": 9},
    "PATCH /api/v1/orgs/{org_id}/webhooks/{endpoint_id}": {"description": "renamed"},
    "POST /api/v1/orgs/{org_id}/teams/{team_id}/challenges": {"challenge_id": 1},
}


def _org_operations(client) -> list[tuple[str, str]]:
    doc = client.get("/api/openapi.json").json()
    return sorted(
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if "{org_id}" in path
    )


def _fill(path: str, ids: dict[str, int]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"add a {name} resource of org B to the b_resources fixture"
        return str(ids[name])

    return re.sub(r"\{(\w+)\}", value, path)


def _snapshot(client, world: World) -> dict[str, Any]:
    h = world.headers("other_org_user")
    base = f"/api/v1/orgs/{world.b.id}"
    out = {}
    for part in (
        "",
        "/members",
        "/teams",
        "/invitations",
        "/api-keys",
        "/factor-overrides",
        "/custom-models",
    ):
        r = client.get(base + part, headers=h)
        assert r.status_code == 200, part
        body = r.json()
        if isinstance(body, dict) and "items" in body:
            for item in body["items"]:
                item.pop("last_used_at", None)
        out[part] = body
    return out


def test_the_route_table_has_org_routes(client) -> None:
    assert len(_org_operations(client)) >= 30


@pytest.mark.parametrize("target", ["org_b", "org_a_with_b_children"])
def test_org_a_owner_gets_404_for_every_org_b_resource(
    client, world: World, b_resources: dict[str, int], target: str
) -> None:
    before = _snapshot(client, world)
    ids = dict(b_resources)
    if target == "org_a_with_b_children":
        ids["org_id"] = world.a.id
    h = world.headers("owner")
    failures = []
    for method, path in _org_operations(client):
        if target == "org_a_with_b_children" and path.count("{") == 1:
            continue  # no child id: the path addresses org A itself
        url = _fill(path, ids)
        body = BODIES.get(f"{method} {path}")
        r = client.request(method, url, json=body, headers=h)
        if r.status_code != 404 or r.headers["content-type"] != "application/problem+json":
            failures.append(f"{method} {url}: {r.status_code} {r.text[:200]}")
    assert not failures, "\n".join(failures)
    assert _snapshot(client, world) == before


def test_404_for_another_org_looks_like_404_for_no_org(client, world: World) -> None:
    h = world.headers("owner")
    theirs = client.get(f"/api/v1/orgs/{world.b.id}/teams", headers=h).json()
    nobody = client.get("/api/v1/orgs/2147483647/teams", headers=h).json()
    for body in (theirs, nobody):
        body.pop("instance")
        body.pop("detail")
    assert theirs == nobody


def test_api_keys_belong_to_one_org(client, world: World, b_resources) -> None:
    r = client.post(
        f"/api/v1/orgs/{world.a.id}/api-keys",
        json={"name": "a", "scopes": ["admin"]},
        headers=world.headers("owner"),
    )
    key = {"X-API-Key": r.json()["secret"]}
    assert client.get("/api/v1/api-keys/whoami", headers=key).json()["org_id"] == world.a.id
    # a key is not a user credential: no management route of any org accepts it
    for path in (f"/api/v1/orgs/{world.b.id}", f"/api/v1/orgs/{world.a.id}/api-keys"):
        assert client.get(path, headers=key).status_code == 401
