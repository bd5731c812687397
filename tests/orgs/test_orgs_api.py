"""Organisations: create, list, read, rename, delete; roles on each."""

from __future__ import annotations

from sqlalchemy import select

from ecotrack.orgs.models import Membership, Organisation
from tests.orgs.conftest import World

API = "/api/v1"


def test_create_makes_the_creator_owner(client, world: World, session) -> None:
    r = client.post(f"{API}/orgs", json={"name": "Acme Ltd."}, headers=world.headers("user"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["name"] == "Acme Ltd."
    assert body["slug"] == "acme-ltd"
    assert body["role"] == "owner"
    membership = session.execute(
        select(Membership).where(Membership.org_id == body["id"])
    ).scalar_one()
    assert (membership.user_id, membership.role) == (world.uid("user"), "owner")


def test_derived_slugs_do_not_collide_and_explicit_ones_conflict(client, world: World) -> None:
    h = world.headers("user")
    first = client.post(f"{API}/orgs", json={"name": "Org A"}, headers=h)
    assert first.json()["slug"] == "org-a-2"
    taken = client.post(f"{API}/orgs", json={"name": "Whatever", "slug": "org-b"}, headers=h)
    assert taken.status_code == 409
    assert taken.headers["content-type"] == "application/problem+json"
    assert taken.json()["code"] == "slug-taken"


def test_invalid_payloads_are_422_with_field_errors(client, world: World, session) -> None:
    h = world.headers("user")
    before = session.execute(select(Organisation.id)).scalars().all()
    for body, loc in (
        ({"name": ""}, ["body", "name"]),
        ({"name": "x" * 121}, ["body", "name"]),
        ({"name": "Ok", "slug": "Not A Slug"}, ["body", "slug"]),
        ({"name": "Ok", "slug": "-dash"}, ["body", "slug"]),
        ({"name": "Ok", "owner_id": 1}, ["body", "owner_id"]),
        ({}, ["body", "name"]),
    ):
        r = client.post(f"{API}/orgs", json=body, headers=h)
        assert r.status_code == 422, body
        assert r.json()["code"] == "validation-failed"
        assert loc in [e["loc"] for e in r.json()["errors"]], r.json()
    assert session.execute(select(Organisation.id)).scalars().all() == before


def test_anonymous_gets_401_problem_json(client, world: World) -> None:
    for method, path in (("GET", "/orgs"), ("POST", "/orgs"), ("GET", f"/orgs/{world.a.id}")):
        r = client.request(method, API + path, json={"name": "x"})
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"


def test_list_mine_shows_only_my_orgs_with_my_role(client, world: World) -> None:
    r = client.get(f"{API}/orgs", headers=world.headers("viewer"))
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1
    assert [(o["slug"], o["role"]) for o in body["items"]] == [("org-a", "viewer")]
    assert client.get(f"{API}/orgs", headers=world.headers("user")).json()["items"] == []


def test_viewer_reads_member_cannot_rename_admin_can(client, world: World) -> None:
    url = f"{API}/orgs/{world.a.id}"
    got = client.get(url, headers=world.headers("viewer"))
    assert got.status_code == 200
    assert got.json()["role"] == "viewer"
    for who in ("viewer", "member"):
        r = client.patch(url, json={"name": "Nope"}, headers=world.headers(who))
        assert r.status_code == 403
        assert r.json()["code"] == "org-role-required"
    r = client.patch(url, json={"name": "Org A renamed"}, headers=world.headers("org_admin"))
    assert r.status_code == 200
    assert r.json()["name"] == "Org A renamed"
    assert r.json()["slug"] == "org-a"


def test_patch_cannot_change_the_slug_or_smuggle_fields(client, world: World) -> None:
    url = f"{API}/orgs/{world.a.id}"
    for body in ({"slug": "new"}, {"name": "x", "id": 99}, {"role": "owner"}):
        r = client.patch(url, json=body, headers=world.headers("owner"))
        assert r.status_code == 422, body
    assert client.get(url, headers=world.headers("owner")).json()["slug"] == "org-a"


def test_only_the_owner_deletes_and_everything_goes(client, world: World, session) -> None:
    url = f"{API}/orgs/{world.a.id}"
    assert client.delete(url, headers=world.headers("org_admin")).status_code == 403
    assert client.delete(url, headers=world.headers("member")).status_code == 403
    client.post(f"{url}/teams", json={"name": "T"}, headers=world.headers("owner"))
    r = client.delete(url, headers=world.headers("owner"))
    assert r.status_code == 204
    assert client.get(url, headers=world.headers("owner")).status_code == 404
    session.expire_all()
    assert session.get(Organisation, world.a.id) is None
    left = session.execute(select(Membership).where(Membership.org_id == world.a.id)).all()
    assert left == []


def test_non_members_get_404_not_403(client, world: World) -> None:
    for who in ("user", "other_org_user", "platform_admin"):
        r = client.get(f"{API}/orgs/{world.a.id}", headers=world.headers(who))
        assert r.status_code == 404, who
        assert r.json()["code"] == "org-not-found"
    missing = client.get(f"{API}/orgs/999999", headers=world.headers("owner"))
    assert missing.status_code == 404
    assert missing.json() | {"instance": None} == r.json() | {
        "instance": None,
        "detail": "No organisation 999999",
    }


def test_org_creation_is_capped_per_user(client, world: World, settings) -> None:
    settings.org_max_created_per_user = 2
    h = world.headers("user")
    assert client.post(f"{API}/orgs", json={"name": "One"}, headers=h).status_code == 201
    assert client.post(f"{API}/orgs", json={"name": "Two"}, headers=h).status_code == 201
    r = client.post(f"{API}/orgs", json={"name": "Three"}, headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "org-limit-reached"
