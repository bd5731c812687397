"""`/api/v1/admin/users`: list (search, filters, paging), disable/enable, promote/demote."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecotrack.audit.models import AuditRecord
from ecotrack.identity.models import User
from tests.principals import PASSWORD, auth_headers, login, make_user

API = "/api/v1"
USERS = f"{API}/admin/users"


def _ids(client: Any, h: dict[str, str], **params: Any) -> list[int]:
    r = client.get(USERS, params=params, headers=h)
    assert r.status_code == 200, r.text
    return [u["id"] for u in r.json()["items"]]


def test_list_users_search_filters_and_paging(client: Any, session: Session) -> None:
    admin = make_user(session, "root@example.org", admin=True, display_name="Root")
    h = auth_headers(session, admin)
    amy = make_user(session, "amy@example.org", display_name="Amy Pond")
    rory = make_user(session, "rory@example.org", display_name="Rory Williams", verified=False)
    river = make_user(session, "river_song@example.org", display_name="River")
    everyone = [admin.id, amy.id, rory.id, river.id]

    body = client.get(USERS, headers=h).json()
    assert ([u["id"] for u in body["items"]], body["total"]) == (everyone, 4)
    amy_row = body["items"][1]
    assert set(amy_row) == {
        "id", "email", "display_name", "role", "is_active", "is_verified", "created_at",
        "last_login_at",
    }  # fmt: skip
    assert "password_hash" not in str(body)
    assert (amy_row["email"], amy_row["display_name"], amy_row["role"]) == (
        "amy@example.org",
        "Amy Pond",
        "user",
    )
    assert _ids(client, h, q="POND") == [amy.id]  # display name, case-insensitive
    assert _ids(client, h, q="rory@") == [rory.id]  # email
    assert _ids(client, h, q="a_y") == []  # "_" is a literal, not a wildcard
    assert _ids(client, h, q="river_") == [river.id]
    assert _ids(client, h, q="%") == []
    assert _ids(client, h, role="admin") == [admin.id]
    assert _ids(client, h, role="user") == [amy.id, rory.id, river.id]
    page = client.get(USERS, params={"limit": 2, "offset": 2}, headers=h).json()
    assert ([u["id"] for u in page["items"]], page["total"]) == ([rory.id, river.id], 4)
    one = client.get(f"{USERS}/{rory.id}", headers=h).json()
    assert (one["email"], one["is_verified"]) == ("rory@example.org", False)
    missing = client.get(f"{USERS}/999999", headers=h)
    assert (missing.status_code, missing.headers["content-type"]) == (
        404,
        "application/problem+json",
    )
    assert client.get(USERS, params={"role": "owner"}, headers=h).status_code == 422


def test_disable_ends_sessions_and_enable_allows_login_again(client: Any, session: Session) -> None:
    admin = make_user(session, admin=True)
    h = auth_headers(session, admin)
    user = make_user(session, "kim@example.org")
    issued = login(session, user)
    user_h = {"Authorization": f"Bearer {issued.access_token}"}
    assert client.get(f"{API}/users/me", headers=user_h).status_code == 200

    r = client.patch(f"{USERS}/{user.id}", json={"is_active": False}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["is_active"] is False
    assert client.get(f"{API}/users/me", headers=user_h).status_code == 401
    refresh = client.post(f"{API}/auth/refresh", json={"refresh_token": issued.refresh_token})
    assert refresh.status_code == 401
    creds = {"email": "kim@example.org", "password": PASSWORD}
    denied = client.post(f"{API}/auth/login", json=creds)
    assert (denied.status_code, denied.json()["code"]) == (403, "account-disabled")
    assert _ids(client, h, is_active=False) == [user.id]

    r = client.patch(f"{USERS}/{user.id}", json={"is_active": True}, headers=h)
    assert r.json()["is_active"] is True
    assert (
        client.get(f"{API}/users/me", headers=user_h).status_code == 401
    )  # old session stays ended
    assert client.post(f"{API}/auth/login", json=creds).status_code == 200
    session.expire_all()
    actions = session.execute(
        select(AuditRecord.action, AuditRecord.actor_id)
        .where(AuditRecord.resource_type == "user", AuditRecord.resource_id == str(user.id))
        .where(AuditRecord.action.in_(["user.disabled", "user.enabled"]))
        .order_by(AuditRecord.id)
    ).all()
    assert actions == [("user.disabled", admin.id), ("user.enabled", admin.id)]


def test_promote_and_demote_take_effect_at_once(client: Any, session: Session) -> None:
    admin = make_user(session, admin=True)
    h = auth_headers(session, admin)
    user = make_user(session)
    user_h = auth_headers(session, user)
    assert client.get(USERS, headers=user_h).status_code == 403
    r = client.patch(f"{USERS}/{user.id}", json={"role": "admin"}, headers=h)
    assert (r.status_code, r.json()["role"]) == (200, "admin")
    assert client.get(USERS, headers=user_h).status_code == 200  # the same token, new role
    r = client.patch(f"{USERS}/{user.id}", json={"role": "user"}, headers=h)
    assert r.json()["role"] == "user"
    assert client.get(USERS, headers=user_h).status_code == 403
    session.expire_all()
    details = session.execute(
        select(AuditRecord.details)
        .where(AuditRecord.action == "user.role_changed", AuditRecord.resource_id == str(user.id))
        .order_by(AuditRecord.id)
    ).scalars()
    assert list(details) == [{"from": "user", "to": "admin"}, {"from": "admin", "to": "user"}]


def test_the_last_admin_stays_and_bad_updates_change_nothing(client: Any, session: Session) -> None:
    admin = make_user(session, admin=True)
    h = auth_headers(session, admin)
    user = make_user(session)
    for body in ({"is_active": False}, {"role": "user"}):
        r = client.patch(f"{USERS}/{admin.id}", json=body, headers=h)
        assert (r.status_code, r.json()["code"]) == (409, "last-admin")
    for body in ({"role": "owner"}, {"email": "x@example.org"}, {"is_active": "maybe"}):
        assert client.patch(f"{USERS}/{user.id}", json=body, headers=h).status_code == 422
    assert client.patch(f"{USERS}/999999", json={"role": "admin"}, headers=h).status_code == 404
    user_h = auth_headers(session, user)
    r = client.patch(f"{USERS}/{user.id}", json={"role": "admin"}, headers=user_h)
    assert (r.status_code, r.json()["code"]) == (403, "admin-only")
    session.expire_all()
    rows = session.execute(select(User.id, User.role, User.is_active).order_by(User.id)).all()
    assert rows == [(admin.id, "admin", True), (user.id, "user", True)]
