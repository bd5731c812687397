"""Invitations: expiring, single use, hashed, bound to the invited (verified) email address."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select, update

from ecotrack.core.db import utcnow
from ecotrack.orgs.models import Invitation, Membership
from tests.orgs.conftest import World
from tests.orgs.people import auth_headers, make_user

API = "/api/v1"


def _invite(client, world: World, email: str, role: str = "member", who: str = "org_admin"):
    return client.post(
        f"{API}/orgs/{world.a.id}/invitations",
        json={"email": email, "role": role},
        headers=world.headers(who),
    )


def _accept(client, user, token: str):
    return client.post(
        f"{API}/invitations/accept", json={"token": token}, headers=auth_headers(user)
    )


def test_invite_and_accept(client, world: World, session) -> None:
    r = _invite(client, world, "Ada@Example.org", role="viewer")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["email"] == "ada@example.org"
    assert body["status"] == "pending"
    assert body["role"] == "viewer"
    delta = body["expires_at"]
    token = body["token"]
    assert token.startswith("inv_")
    assert len(token) >= 40
    row = session.get(Invitation, body["id"])
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.token_hash, row.email}
    assert (row.expires_at - row.created_at) - timedelta(days=7) < timedelta(seconds=5)
    assert delta

    ada = make_user(session, "ada@example.org")
    session.commit()
    r = _accept(client, ada, token)
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["role"]) == (world.a.id, "viewer")
    session.expire_all()
    membership = session.execute(
        select(Membership).where(Membership.org_id == world.a.id, Membership.user_id == ada.id)
    ).scalar_one()
    assert membership.role == "viewer"
    listing = client.get(
        f"{API}/orgs/{world.a.id}/invitations", headers=world.headers("owner")
    ).json()
    assert [(i["email"], i["status"]) for i in listing["items"]] == [
        ("ada@example.org", "accepted")
    ]
    assert "token" not in listing["items"][0]


def test_the_invitation_email_is_sent(client, world: World, session) -> None:
    from ecotrack.email.models import OutboxMessage

    token = _invite(client, world, "grace@example.org").json()["token"]
    session.expire_all()
    sent = session.execute(
        select(OutboxMessage).where(OutboxMessage.to_address == "grace@example.org")
    ).scalar_one()
    assert sent.template == "notice"
    assert "Org A" in sent.subject
    assert f"/invitations/accept#token={token}" in sent.body_text


def test_single_use(client, world: World, session) -> None:
    token = _invite(client, world, "ada@example.org").json()["token"]
    ada = make_user(session, "ada@example.org")
    session.commit()
    assert _accept(client, ada, token).status_code == 200
    again = _accept(client, ada, token)
    assert again.status_code == 409
    assert again.json()["code"] == "invitation-used"


def test_expired(client, world: World, session) -> None:
    body = _invite(client, world, "ada@example.org").json()
    session.execute(
        update(Invitation)
        .where(Invitation.id == body["id"])
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    ada = make_user(session, "ada@example.org")
    session.commit()
    r = _accept(client, ada, body["token"])
    assert r.status_code == 410
    assert r.json()["code"] == "invitation-expired"
    assert client.get(f"{API}/orgs/{world.a.id}", headers=auth_headers(ada)).status_code == 404


def test_email_mismatch(client, world: World, session) -> None:
    token = _invite(client, world, "ada@example.org").json()["token"]
    r = _accept(client, world.users["user"], token)
    assert r.status_code == 403
    assert r.json()["code"] == "invitation-email-mismatch"
    # still usable by the right person
    ada = make_user(session, "ada@example.org")
    session.commit()
    assert _accept(client, ada, token).status_code == 200


def test_unverified_address_cannot_accept(client, world: World, session) -> None:
    token = _invite(client, world, "eve@example.org").json()["token"]
    eve = make_user(session, "eve@example.org", verified=False)
    session.commit()
    r = _accept(client, eve, token)
    assert r.status_code == 403
    assert r.json()["code"] == "email-not-verified"


def test_revoked_and_unknown_tokens(client, world: World, session) -> None:
    body = _invite(client, world, "ada@example.org").json()
    r = client.post(
        f"{API}/orgs/{world.a.id}/invitations/{body['id']}/revoke",
        headers=world.headers("org_admin"),
    )
    assert r.status_code == 200
    assert r.json()["status"] == "revoked"
    ada = make_user(session, "ada@example.org")
    session.commit()
    for token in (body["token"], "inv_" + "x" * 43):
        r = _accept(client, ada, token)
        assert r.status_code == 404
        assert r.json()["code"] == "invitation-not-found"


def test_who_may_invite(client, world: World) -> None:
    assert _invite(client, world, "a@example.org", who="member").status_code == 403
    assert _invite(client, world, "a@example.org", who="viewer").status_code == 403
    r = _invite(client, world, "a@example.org", role="owner", who="org_admin")
    assert r.status_code == 403
    assert _invite(client, world, "a@example.org", role="owner", who="owner").status_code == 201


def test_duplicates_and_members_are_conflicts(client, world: World) -> None:
    assert _invite(client, world, "a@example.org").status_code == 201
    again = _invite(client, world, "A@example.org")
    assert again.status_code == 409
    assert again.json()["code"] == "invitation-pending"
    member = _invite(client, world, "member@example.org")
    assert member.status_code == 409
    assert member.json()["code"] == "already-member"


def test_validation(client, world: World) -> None:
    for body in ({"email": "not-an-email"}, {"email": "a@example.org", "role": "god"}, {}):
        r = client.post(
            f"{API}/orgs/{world.a.id}/invitations", json=body, headers=world.headers("owner")
        )
        assert r.status_code == 422, body


def test_invitations_are_rate_limited_per_org(client, world: World, settings) -> None:
    settings.invitations_per_hour = 2
    assert _invite(client, world, "a1@example.org").status_code == 201
    assert _invite(client, world, "a2@example.org").status_code == 201
    r = _invite(client, world, "a3@example.org")
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1


def test_listing_needs_admin_and_filters_pending(client, world: World, session) -> None:
    _invite(client, world, "a1@example.org")
    second = _invite(client, world, "a2@example.org").json()
    client.post(
        f"{API}/orgs/{world.a.id}/invitations/{second['id']}/revoke", headers=world.headers("owner")
    )
    url = f"{API}/orgs/{world.a.id}/invitations"
    assert client.get(url, headers=world.headers("member")).status_code == 403
    everything = client.get(url, headers=world.headers("org_admin")).json()
    assert everything["total"] == 2
    pending = client.get(url, params={"pending": True}, headers=world.headers("org_admin")).json()
    assert [i["email"] for i in pending["items"]] == ["a1@example.org"]


def test_prune_removes_old_expired_invitations(client, world: World, session) -> None:
    from ecotrack.orgs.invitations import invitation_service

    body = _invite(client, world, "old@example.org").json()
    keep = _invite(client, world, "new@example.org").json()
    session.execute(
        update(Invitation)
        .where(Invitation.id == body["id"])
        .values(expires_at=utcnow() - timedelta(days=31))
    )
    assert invitation_service.prune(session, older_than_days=30) == 1
    assert session.get(Invitation, keep["id"]) is not None
