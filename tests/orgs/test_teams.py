"""Teams and their members."""

from __future__ import annotations

from tests.orgs.conftest import World

API = "/api/v1"


def _teams(world: World) -> str:
    return f"{API}/orgs/{world.a.id}/teams"


def test_team_crud_by_admin_read_by_viewer(client, world: World) -> None:
    h = world.headers("org_admin")
    r = client.post(_teams(world), json={"name": "Platform", "description": "infra"}, headers=h)
    assert r.status_code == 201, r.text
    team = r.json()
    assert (team["name"], team["description"], team["member_count"]) == ("Platform", "infra", 0)
    url = f"{_teams(world)}/{team['id']}"
    listing = client.get(_teams(world), headers=world.headers("viewer")).json()
    assert [t["name"] for t in listing["items"]] == ["Platform"]
    r = client.patch(url, json={"name": "Infra"}, headers=h)
    assert r.status_code == 200
    assert r.json()["name"] == "Infra"
    assert client.get(url, headers=world.headers("viewer")).json()["name"] == "Infra"
    assert client.delete(url, headers=h).status_code == 204
    assert client.get(url, headers=h).status_code == 404


def test_members_and_viewers_cannot_manage_teams(client, world: World) -> None:
    for who in ("member", "viewer"):
        r = client.post(_teams(world), json={"name": "X"}, headers=world.headers(who))
        assert r.status_code == 403
    assert client.get(_teams(world), headers=world.headers("owner")).json()["total"] == 0


def test_team_names_are_unique_within_an_org_only(client, world: World) -> None:
    h = world.headers("owner")
    assert client.post(_teams(world), json={"name": "Ops"}, headers=h).status_code == 201
    dup = client.post(_teams(world), json={"name": "ops"}, headers=h)
    assert dup.status_code == 409
    assert dup.json()["code"] == "team-name-taken"
    other = client.post(
        f"{API}/orgs/{world.b.id}/teams",
        json={"name": "Ops"},
        headers=world.headers("other_org_user"),
    )
    assert other.status_code == 201


def test_team_members(client, world: World) -> None:
    h = world.headers("org_admin")
    team = client.post(_teams(world), json={"name": "Data"}, headers=h).json()
    members = f"{_teams(world)}/{team['id']}/members"
    r = client.post(members, json={"user_id": world.uid("member")}, headers=h)
    assert r.status_code == 201
    assert (r.json()["email"], r.json()["role"]) == ("member@example.org", "member")
    assert client.post(members, json={"user_id": world.uid("member")}, headers=h).status_code == 409
    outsider = client.post(members, json={"user_id": world.uid("other_org_user")}, headers=h)
    assert outsider.status_code == 422
    assert outsider.json()["errors"][0]["loc"] == ["body", "user_id"]
    listing = client.get(members, headers=world.headers("viewer")).json()
    assert [m["user_id"] for m in listing["items"]] == [world.uid("member")]
    assert client.get(f"{_teams(world)}/{team['id']}", headers=h).json()["member_count"] == 1
    gone = client.delete(f"{members}/{world.uid('member')}", headers=h)
    assert gone.status_code == 204
    assert client.get(members, headers=h).json()["total"] == 0
    assert client.delete(f"{members}/{world.uid('member')}", headers=h).status_code == 404


def test_leaving_the_org_leaves_its_teams(client, world: World) -> None:
    h = world.headers("owner")
    team = client.post(_teams(world), json={"name": "Data"}, headers=h).json()
    members = f"{_teams(world)}/{team['id']}/members"
    client.post(members, json={"user_id": world.uid("viewer")}, headers=h)
    client.delete(
        f"{API}/orgs/{world.a.id}/members/{world.uid('viewer')}", headers=world.headers("viewer")
    )
    assert client.get(members, headers=h).json()["items"] == []


def test_team_validation(client, world: World) -> None:
    h = world.headers("owner")
    for body in ({"name": ""}, {"name": "x", "description": "d" * 501}, {"name": "x", "org_id": 1}):
        assert client.post(_teams(world), json=body, headers=h).status_code == 422
    team = client.post(_teams(world), json={"name": "T"}, headers=h).json()
    r = client.post(f"{_teams(world)}/{team['id']}/members", json={"user_id": "1"}, headers=h)
    assert r.status_code == 422
