"""`GET /api/v1/admin/audit-log` (platform admins) and `GET /api/v1/orgs/{id}/audit-log`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ecotrack.audit.service import audit_service
from ecotrack.core.db import utcnow
from ecotrack.core.settings import Settings
from ecotrack.orgs.context import Actor, OrgRole
from ecotrack.orgs.schemas import OrgCreate
from ecotrack.orgs.service import orgs_service
from tests.principals import auth_headers, make_user

API = "/api/v1"


def _record(session: Session, **fields: Any) -> Any:
    fields.setdefault("actor_id", None)
    fields.setdefault("resource_type", "widget")
    return audit_service.record(session, **fields)


def _get(client: Any, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/admin/audit-log", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_admin_audit_log_filters_and_pages(client: Any, session: Session) -> None:
    admin = make_user(session, "root@example.org", admin=True)
    h = auth_headers(session, admin)
    first = _record(session, action="widget.created", org_id=5, actor_id=41, resource_id=1)
    session.commit()
    between = utcnow()
    second = _record(
        session, action="widget.updated", org_id=5, actor_id=42, resource_id=1, ip="192.0.2.7"
    )
    third = _record(session, action="widget.deleted", org_id=6, actor_id=41, resource_id=2)
    _record(session, action="gadget.created", resource_type="gadget", resource_id=9)
    session.commit()

    everything = _get(client, h, limit=200)
    assert everything["total"] == len(everything["items"])
    ids = [e["id"] for e in everything["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    by_id = {e["id"]: e for e in everything["items"]}
    assert by_id[second.id] == {
        "id": second.id,
        "created_at": second.created_at.isoformat().replace("+00:00", "Z"),
        "actor_id": 42,
        "org_id": 5,
        "action": "widget.updated",
        "resource_type": "widget",
        "resource_id": "1",
        "ip": "192.0.2.7",
        "details": {},
        "prev_hash": first.hash,
        "hash": second.hash,
    }

    def ids_for(**params: Any) -> list[int]:
        return [e["id"] for e in _get(client, h, **params)["items"]]

    assert ids_for(org_id=5) == [second.id, first.id]
    assert ids_for(actor_id=41) == [third.id, first.id]
    assert ids_for(action="widget.updated") == [second.id]
    assert ids_for(action="widget.") == [third.id, second.id, first.id]  # a family
    assert ids_for(action="widget") == []  # exact unless it ends with "."
    assert ids_for(resource_type="widget", resource_id="2") == [third.id]
    assert ids_for(resource_type="widget", since=between.isoformat()) == [third.id, second.id]
    assert ids_for(resource_type="widget", until=between.isoformat()) == [first.id]
    assert ids_for(org_id=5, actor_id=41, action="widget.") == [first.id]
    assert ids_for(org_id=99) == []

    page = _get(client, h, resource_type="widget", limit=2, offset=0)
    assert ([e["id"] for e in page["items"]], page["total"], page["limit"], page["offset"]) == (
        [third.id, second.id],
        3,
        2,
        0,
    )
    page = _get(client, h, resource_type="widget", limit=2, offset=2)
    assert ([e["id"] for e in page["items"]], page["total"]) == ([first.id], 3)


def test_admin_audit_log_rejects_bad_filters_and_non_admins(client: Any, session: Session) -> None:
    admin = make_user(session, admin=True)
    h = auth_headers(session, admin)
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"org_id": 0}, {"since": "x"}):
        response = client.get(f"{API}/admin/audit-log", params=params, headers=h)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
    user = make_user(session)
    response = client.get(f"{API}/admin/audit-log", headers=auth_headers(session, user))
    assert (response.status_code, response.json()["code"]) == (403, "admin-only")
    assert client.get(f"{API}/admin/audit-log").status_code == 401


def test_security_events_reach_the_log_without_secrets(client: Any, session: Session) -> None:
    """Login failures and successes are audited with the IP; passwords never appear."""
    admin = make_user(session, "auditor@example.org", admin=True)
    h = auth_headers(session, admin)
    user = make_user(session, "carol@example.org")
    bad = client.post(
        f"{API}/auth/login", json={"email": "carol@example.org", "password": "wrong password 1"}
    )
    assert bad.status_code == 401
    entries = _get(client, h, actor_id=user.id, action="auth.")["items"]
    actions = [e["action"] for e in entries]
    assert actions[0] == "auth.login_failed"
    assert entries[0]["ip"] == "testclient"
    assert "wrong password 1" not in str(entries)
    assert "carol@example.org" not in str(entries)


def test_org_audit_log_is_scoped_filtered_and_paged(
    client: Any, session: Session, settings: Settings
) -> None:
    owner = make_user(session, "owner@example.org")
    member = make_user(session, "member@example.org")
    org = orgs_service.create_org(
        session,
        actor=Actor(user_id=owner.id, email=owner.email),
        owner_id=owner.id,
        org_in=OrgCreate(name="Org", slug="org-audit"),
        settings=settings,
    )
    other = orgs_service.create_org(
        session,
        actor=Actor(user_id=member.id, email=member.email),
        owner_id=member.id,
        org_in=OrgCreate(name="Other", slug="org-other"),
        settings=settings,
    )
    orgs_service.add_member(
        session, actor=Actor(user_id=owner.id), org_id=org.id, user_id=member.id,
        role=OrgRole.MEMBER,
    )  # fmt: skip
    _record(session, action="widget.created", org_id=org.id, actor_id=owner.id)
    _record(session, action="widget.created", org_id=other.id, actor_id=member.id)
    session.commit()
    h = auth_headers(session, owner)
    base = f"{API}/orgs/{org.id}/audit-log"
    body = client.get(base, headers=h).json()
    assert [e["action"] for e in body["items"]] == ["widget.created", "member.added", "org.created"]
    assert {e["org_id"] for e in body["items"]} == {org.id}
    assert body["total"] == 3
    page = client.get(base, params={"limit": 1, "offset": 1}, headers=h).json()
    assert ([e["action"] for e in page["items"]], page["total"]) == (["member.added"], 3)
    only = client.get(base, params={"resource_type": "widget"}, headers=h).json()
    assert [(e["action"], e["actor_id"]) for e in only["items"]] == [("widget.created", owner.id)]
    # A plain member may not read it; an outsider does not learn the organisation exists.
    assert client.get(base, headers=auth_headers(session, member)).status_code == 403
    outsider = make_user(session)
    assert client.get(base, headers=auth_headers(session, outsider)).status_code == 404
