"""Every change is audited; erasing a user ends what the organisations hold about them."""

from __future__ import annotations

from sqlalchemy import select

from ecotrack.core.events import publish
from ecotrack.orgs.models import ApiKey, Invitation, Membership, Organisation
from tests.orgs.conftest import World
from tests.orgs.people import make_user

API = "/api/v1"


def _log(client, world: World, **params) -> list[dict]:
    r = client.get(
        f"{API}/orgs/{world.a.id}/audit-log", params=params, headers=world.headers("org_admin")
    )
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_changes_write_audit_records(client, world: World) -> None:
    h = world.headers("owner")
    base = f"{API}/orgs/{world.a.id}"
    team = client.post(f"{base}/teams", json={"name": "T"}, headers=h).json()
    client.patch(f"{base}/teams/{team['id']}", json={"name": "T2"}, headers=h)
    client.post(
        f"{base}/teams/{team['id']}/members", json={"user_id": world.uid("member")}, headers=h
    )
    client.delete(f"{base}/teams/{team['id']}/members/{world.uid('member')}", headers=h)
    client.delete(f"{base}/teams/{team['id']}", headers=h)
    client.patch(f"{base}/members/{world.uid('member')}", json={"role": "viewer"}, headers=h)
    client.delete(f"{base}/members/{world.uid('viewer')}", headers=h)
    inv = client.post(f"{base}/invitations", json={"email": "z@example.org"}, headers=h).json()
    client.post(f"{base}/invitations/{inv['id']}/revoke", headers=h)
    key = client.post(f"{base}/api-keys", json={"name": "k", "scopes": ["read"]}, headers=h).json()
    client.post(f"{base}/api-keys/{key['id']}/revoke", headers=h)
    ov = client.post(
        f"{base}/factor-overrides",
        json={"activity": "electricity", "value": 1, "per_unit": "kWh"},
        headers=h,
    ).json()
    client.patch(f"{base}/factor-overrides/{ov['id']}", json={"value": 2}, headers=h)
    client.delete(f"{base}/factor-overrides/{ov['id']}", headers=h)
    cm = client.post(
        f"{base}/custom-models",
        json={"provider": "openai", "name": "m", "params_total_b": 1},
        headers=h,
    ).json()
    client.patch(f"{base}/custom-models/{cm['id']}", json={"tps": 3}, headers=h)
    client.delete(f"{base}/custom-models/{cm['id']}", headers=h)
    client.patch(base, json={"name": "Renamed"}, headers=h)

    actions = [e["action"] for e in reversed(_log(client, world, limit=200))]
    assert actions[:4] == ["org.created", "member.added", "member.added", "member.added"]
    assert actions[4:] == [
        "team.created",
        "team.updated",
        "team.member_added",
        "team.member_removed",
        "team.deleted",
        "member.role_changed",
        "member.removed",
        "invitation.created",
        "invitation.revoked",
        "api_key.created",
        "api_key.revoked",
        "factor_override.created",
        "factor_override.updated",
        "factor_override.deleted",
        "custom_model.created",
        "custom_model.updated",
        "custom_model.deleted",
        "org.updated",
    ]
    entry = _log(client, world, action="api_key.created")[0]
    assert entry["actor_id"] == world.uid("owner")
    assert entry["resource_id"] == str(key["id"])
    assert entry["ip"]
    assert key["secret"] not in str(entry)
    assert entry["details"]["prefix"] == key["prefix"]


def test_audit_log_is_for_admins_and_only_this_org(client, world: World) -> None:
    client.post(
        f"{API}/orgs/{world.b.id}/teams",
        json={"name": "B"},
        headers=world.headers("other_org_user"),
    )
    entries = _log(client, world, limit=200)
    assert entries
    assert {e["org_id"] for e in entries} == {world.a.id}
    for who in ("member", "viewer"):
        r = client.get(f"{API}/orgs/{world.a.id}/audit-log", headers=world.headers(who))
        assert r.status_code == 403
    by_actor = _log(client, world, actor_id=world.uid("owner"))
    assert {e["actor_id"] for e in by_actor} == {world.uid("owner")}
    assert _log(client, world, resource_type="api_key") == []


def test_user_erased_ends_memberships_revokes_keys_and_forgets(
    client, world: World, session
) -> None:
    base = f"{API}/orgs/{world.a.id}"
    admin_h = world.headers("org_admin")
    key = client.post(
        f"{base}/api-keys", json={"name": "k", "scopes": ["read"]}, headers=admin_h
    ).json()
    inv = client.post(
        f"{base}/invitations", json={"email": "ada@example.org"}, headers=admin_h
    ).json()
    ada = make_user(session, "ada@example.org")
    session.commit()
    from tests.orgs.people import auth_headers

    client.post(
        f"{API}/invitations/accept", json={"token": inv["token"]}, headers=auth_headers(ada)
    )

    publish(session, "user.erased", user_id=world.uid("org_admin"))
    publish(session, "user.erased", user_id=ada.id)
    session.commit()
    session.expire_all()

    members = session.execute(select(Membership.user_id).where(Membership.org_id == world.a.id))
    assert set(members.scalars()) == {world.uid(w) for w in ("owner", "member", "viewer")}
    stored_key = session.get(ApiKey, key["id"])
    assert stored_key.revoked_at is not None
    assert stored_key.created_by_id is None
    assert (
        client.get(f"{API}/api-keys/whoami", headers={"X-API-Key": key["secret"]}).status_code
        == 401
    )
    invitation = session.get(Invitation, inv["id"])
    assert (invitation.email, invitation.accepted_by_id, invitation.invited_by_id) == (
        f"erased-{inv['id']}@invalid",
        None,
        None,
    )
    assert "ada@example.org" not in str(session.execute(select(Invitation.email)).scalars().all())


def test_an_erased_sole_owner_hands_over_to_the_oldest_admin(world: World, session) -> None:
    publish(session, "user.erased", user_id=world.uid("owner"))
    session.flush()
    roles = dict(
        session.execute(
            select(Membership.user_id, Membership.role).where(Membership.org_id == world.a.id)
        ).all()
    )
    assert roles[world.uid("org_admin")] == "owner"
    assert world.uid("owner") not in roles
    org = session.get(Organisation, world.a.id)
    session.refresh(org)
    assert org.created_by_id is None


def test_data_export_lists_memberships_teams_and_keys(client, world: World, session) -> None:
    base = f"{API}/orgs/{world.a.id}"
    h = world.headers("org_admin")
    team = client.post(f"{base}/teams", json={"name": "Data"}, headers=h).json()
    client.post(
        f"{base}/teams/{team['id']}/members", json={"user_id": world.uid("org_admin")}, headers=h
    )
    key = client.post(f"{base}/api-keys", json={"name": "k", "scopes": ["read"]}, headers=h).json()
    files: dict[str, object] = {}
    publish(
        session,
        "privacy.export_requested",
        user_id=world.uid("org_admin"),
        add=lambda name, data: files.__setitem__(name, data),
    )
    exported = files["orgs/organisations.json"]
    assert isinstance(exported, dict)
    assert [(m["org_slug"], m["role"], m["teams"]) for m in exported["memberships"]] == [
        ("org-a", "admin", ["Data"])
    ]
    assert [k["prefix"] for k in exported["api_keys_created"]] == [key["prefix"]]
    assert key["secret"] not in str(exported)
