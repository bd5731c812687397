"""Members and roles: who may change whom, and the organisation always keeps an owner."""

from __future__ import annotations

from ecotrack.orgs.context import OrgRole
from tests.orgs.conftest import World, add_member

API = "/api/v1"


def _url(world: World, who: str) -> str:
    return f"{API}/orgs/{world.a.id}/members/{world.uid(who)}"


def _roles(client, world: World) -> dict[int, str]:
    r = client.get(f"{API}/orgs/{world.a.id}/members", headers=world.headers("owner"))
    return {m["user_id"]: m["role"] for m in r.json()["items"]}


def test_viewer_lists_members_with_emails_and_roles(client, world: World) -> None:
    r = client.get(f"{API}/orgs/{world.a.id}/members", headers=world.headers("viewer"))
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 4
    assert {(m["email"], m["role"]) for m in body["items"]} == {
        ("owner@example.org", "owner"),
        ("org-admin@example.org", "admin"),
        ("member@example.org", "member"),
        ("viewer@example.org", "viewer"),
    }
    admins = client.get(
        f"{API}/orgs/{world.a.id}/members",
        params={"role": "admin"},
        headers=world.headers("viewer"),
    ).json()
    assert [m["email"] for m in admins["items"]] == ["org-admin@example.org"]


def test_admin_changes_roles_below_owner_member_cannot(client, world: World) -> None:
    r = client.patch(
        _url(world, "member"), json={"role": "viewer"}, headers=world.headers("member")
    )
    assert r.status_code == 403
    r = client.patch(
        _url(world, "member"), json={"role": "viewer"}, headers=world.headers("org_admin")
    )
    assert r.status_code == 200
    assert r.json()["role"] == "viewer"
    assert _roles(client, world)[world.uid("member")] == "viewer"


def test_only_owners_grant_or_remove_owner(client, world: World) -> None:
    h_admin = world.headers("org_admin")
    r = client.patch(_url(world, "member"), json={"role": "owner"}, headers=h_admin)
    assert r.status_code == 403
    r = client.patch(_url(world, "owner"), json={"role": "member"}, headers=h_admin)
    assert r.status_code == 403
    assert client.delete(_url(world, "owner"), headers=h_admin).status_code == 403
    r = client.patch(_url(world, "member"), json={"role": "owner"}, headers=world.headers("owner"))
    assert r.status_code == 200
    assert _roles(client, world)[world.uid("member")] == "owner"


def test_the_last_owner_can_be_neither_demoted_nor_removed(client, world: World) -> None:
    h = world.headers("owner")
    r = client.patch(_url(world, "owner"), json={"role": "admin"}, headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "last-owner"
    r = client.delete(_url(world, "owner"), headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "last-owner"
    assert _roles(client, world)[world.uid("owner")] == "owner"
    # with a second owner, the first may step down
    client.patch(_url(world, "org_admin"), json={"role": "owner"}, headers=h)
    assert client.patch(_url(world, "owner"), json={"role": "admin"}, headers=h).status_code == 200
    assert _roles(client, world)[world.uid("owner")] == "admin"


def test_anyone_can_leave_but_members_cannot_remove_others(client, world: World) -> None:
    assert client.delete(_url(world, "viewer"), headers=world.headers("member")).status_code == 403
    assert client.delete(_url(world, "viewer"), headers=world.headers("viewer")).status_code == 204
    assert world.uid("viewer") not in _roles(client, world)
    # gone means gone: the former viewer now gets 404 for the organisation
    r = client.get(f"{API}/orgs/{world.a.id}", headers=world.headers("viewer"))
    assert r.status_code == 404


def test_admin_removes_a_member(client, world: World) -> None:
    r = client.delete(_url(world, "member"), headers=world.headers("org_admin"))
    assert r.status_code == 204
    assert world.uid("member") not in _roles(client, world)
    again = client.delete(_url(world, "member"), headers=world.headers("org_admin"))
    assert again.status_code == 404
    assert again.json()["code"] == "member-not-found"


def test_role_change_rejects_unknown_roles_and_extra_fields(client, world: World) -> None:
    h = world.headers("owner")
    for body in ({"role": "superuser"}, {"role": "admin", "org_id": world.b.id}, {}):
        assert client.patch(_url(world, "member"), json=body, headers=h).status_code == 422
    assert _roles(client, world)[world.uid("member")] == "member"


def test_user_of_another_org_is_not_a_member_here(client, world: World) -> None:
    r = client.patch(
        f"{API}/orgs/{world.a.id}/members/{world.uid('other_org_user')}",
        json={"role": "viewer"},
        headers=world.headers("owner"),
    )
    assert r.status_code == 404


def test_add_member_twice_is_a_conflict(session, world: World) -> None:
    import pytest

    from ecotrack.core.errors import ConflictError

    with pytest.raises(ConflictError):
        add_member(session, world.a.id, world.users["member"], OrgRole.VIEWER)
