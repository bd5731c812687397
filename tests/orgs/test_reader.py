"""`OrgReader`: members (viewer+) or the organisation's own `read` API keys, nobody else."""

from __future__ import annotations

import pytest
from fastapi import APIRouter

from ecotrack.orgs.auth import OrgReader
from ecotrack.orgs.context import OrgAccess
from tests.orgs.conftest import World


@pytest.fixture
def reader_url(app, world: World) -> str:
    router = APIRouter()

    @router.get("/test-reader/orgs/{org_id}")
    def read(access: OrgReader) -> dict[str, object]:
        assert isinstance(access, OrgAccess)
        return {
            "org_id": access.org_id,
            "user_id": access.user_id,
            "role": access.role,
            "api_key_id": access.api_key_id,
        }

    app.include_router(router)
    return "/test-reader/orgs/{}"


def _key(client, world: World, org, who: str, scopes: list[str]) -> str:
    r = client.post(
        f"/api/v1/orgs/{org.id}/api-keys",
        json={"name": "r", "scopes": scopes},
        headers=world.headers(who),
    )
    return str(r.json()["secret"])


def test_members_read(client, world: World, reader_url: str) -> None:
    r = client.get(reader_url.format(world.a.id), headers=world.headers("viewer"))
    assert r.status_code == 200
    assert r.json() == {
        "org_id": world.a.id,
        "user_id": world.uid("viewer"),
        "role": "viewer",
        "api_key_id": None,
    }
    for who in ("user", "other_org_user", "platform_admin"):
        assert (
            client.get(reader_url.format(world.a.id), headers=world.headers(who)).status_code == 404
        )
    assert client.get(reader_url.format(world.a.id)).status_code == 401


def test_read_keys_of_the_org_read(client, world: World, reader_url: str) -> None:
    secret = _key(client, world, world.a, "owner", ["read"])
    for headers in ({"X-API-Key": secret}, {"Authorization": f"Bearer {secret}"}):
        r = client.get(reader_url.format(world.a.id), headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["user_id"] is None
        assert r.json()["api_key_id"] is not None


def test_other_orgs_keys_get_404_and_ingest_keys_403(client, world: World, reader_url: str) -> None:
    theirs = _key(client, world, world.b, "other_org_user", ["read"])
    r = client.get(reader_url.format(world.a.id), headers={"X-API-Key": theirs})
    assert r.status_code == 404
    ingest = _key(client, world, world.a, "owner", ["ingest"])
    r = client.get(reader_url.format(world.a.id), headers={"X-API-Key": ingest})
    assert r.status_code == 403
    assert r.json()["code"] == "api-key-scope"
    bad = client.get(reader_url.format(world.a.id), headers={"X-API-Key": "eco_nope"})
    assert bad.status_code == 401
