"""`DELETE /api/v1/users/me`: re-authentication first; then personal data goes everywhere,
sessions and tokens end, the user's org API keys are revoked, and the audit log keeps a
pseudonymous record that still verifies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecotrack.audit.models import AuditRecord
from ecotrack.audit.service import audit_service
from ecotrack.core.settings import Settings
from ecotrack.email.models import OutboxMessage
from ecotrack.identity import tokens
from ecotrack.identity.models import User
from ecotrack.orgs.context import Actor
from ecotrack.orgs.models import ApiKey, Membership
from ecotrack.orgs.schemas import OrgCreate
from ecotrack.orgs.service import orgs_service
from ecotrack.privacy.models import Consent, DataExport
from tests.identity.helpers import forgot
from tests.principals import PASSWORD, auth_headers, bearer, login, make_user

API = "/api/v1"


def _delete(client: Any, headers: dict[str, str], body: Any = None) -> Any:
    return client.request("DELETE", f"{API}/users/me", json=body, headers=headers)


def _count(session: Session, model: Any, *where: Any) -> int:
    stmt = select(func.count()).select_from(model)
    for clause in where:
        stmt = stmt.where(clause)
    return int(session.execute(stmt).scalar_one())


def _world(client: Any, session: Session, settings: Settings) -> dict[str, Any]:
    """A user with a profile, consents, an export, outbox mail, an org (with a co-owner) and an
    API key of that org they created."""
    user = make_user(session, "ivy@example.org", display_name="Ivy Example")
    partner = make_user(session, "partner@example.org")
    issued = login(session, user)
    h = bearer(issued.access_token)
    client.patch(f"{API}/users/me", json={"country": "FR", "household_size": 2}, headers=h)
    client.put(
        f"{API}/users/me/consents",
        json={"consents": [{"kind": "marketing", "granted": True}]},
        headers=h,
    )
    client.post(f"{API}/users/me/export", headers=h)
    forgot(client, "ivy@example.org")
    org = orgs_service.create_org(
        session,
        actor=Actor(user_id=user.id, email=user.email),
        owner_id=user.id,
        org_in=OrgCreate(name="Ivy Co", slug="ivy-co"),
        settings=settings,
    )
    from ecotrack.orgs.context import OrgRole

    orgs_service.add_member(
        session, actor=Actor(user_id=user.id), org_id=org.id, user_id=partner.id,
        role=OrgRole.OWNER,
    )  # fmt: skip
    session.commit()
    key = client.post(
        f"{API}/orgs/{org.id}/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=h
    )
    assert key.status_code == 201, key.text
    assert client.get(
        f"{API}/api-keys/whoami", headers={"X-API-Key": key.json()["secret"]}
    ).is_success
    return {
        "user": user,
        "partner": partner,
        "issued": issued,
        "h": h,
        "org": org,
        "key": key.json(),
    }


def test_deletion_needs_the_password_and_changes_nothing_without_it(
    client: Any, session: Session, settings: Settings
) -> None:
    w = _world(client, session, settings)
    user, h = w["user"], w["h"]
    records_before = _count(session, AuditRecord)
    for body in (None, {}, {"password": ""}, {"password": PASSWORD, "extra": 1}):
        r = _delete(client, h, body)
        assert r.status_code == 422, body
    wrong = _delete(client, h, {"password": "not my password 1"})
    assert (wrong.status_code, wrong.json()["code"]) == (403, "wrong-password")
    # Nothing changed: the account, its token, its key and its data are all still there.
    session.expire_all()
    row = session.get(User, user.id)
    assert row is not None
    assert (row.email, row.display_name, row.erased_at, row.is_active) == (
        "ivy@example.org",
        "Ivy Example",
        None,
        True,
    )
    assert client.get(f"{API}/users/me", headers=h).json()["email"] == "ivy@example.org"
    assert _count(session, Consent, Consent.user_id == user.id) == 1
    assert _count(session, DataExport, DataExport.user_id == user.id) == 1
    assert _count(session, OutboxMessage, OutboxMessage.to_address == "ivy@example.org") == 1
    assert session.get(ApiKey, w["key"]["id"]).revoked_at is None  # type: ignore[union-attr]
    # ... except the evidence of the failed attempt, which is kept on purpose.
    new = (
        session.execute(select(AuditRecord.action).where(AuditRecord.id > records_before))
        .scalars()
        .all()
    )
    assert list(new) == ["auth.reauthentication_failed"]
    assert (
        client.request("DELETE", f"{API}/users/me", json={"password": PASSWORD}).status_code == 401
    )


def test_deletion_erases_personal_data_everywhere(
    client: Any, session: Session, settings: Settings
) -> None:
    w = _world(client, session, settings)
    user, h, issued = w["user"], w["h"], w["issued"]
    alias = tokens.pseudonym(settings, user.id)

    r = _delete(client, h, {"password": PASSWORD})
    assert r.status_code == 204, r.text
    assert r.content == b""

    # Sessions and tokens end at once.
    assert client.get(f"{API}/users/me", headers=h).status_code == 401
    refresh = client.post(f"{API}/auth/refresh", json={"refresh_token": issued.refresh_token})
    assert refresh.status_code == 401
    again = client.post(
        f"{API}/auth/login", json={"email": "ivy@example.org", "password": PASSWORD}
    )
    assert again.status_code == 401
    # The org API key they created is revoked (and no longer points at them).
    gone = client.get(f"{API}/api-keys/whoami", headers={"X-API-Key": w["key"]["secret"]})
    assert gone.status_code == 401
    session.expire_all()
    key = session.get(ApiKey, w["key"]["id"])
    assert key is not None
    assert key.revoked_at is not None
    assert key.created_by_id is None

    # The account row stays (history points at its id) with nothing personal in it.
    row = session.get(User, user.id)
    assert row is not None
    assert row.email == f"{alias}@erased.invalid"
    assert (row.display_name, row.country, row.household_size, row.units, row.privacy) == (
        None,
        None,
        None,
        {},
        {},
    )
    assert (row.is_active, row.is_verified, row.last_login_at) == (False, False, None)
    assert row.password_hash == "!erased"
    assert row.erased_at is not None
    assert _count(session, Consent, Consent.user_id == user.id) == 0
    assert _count(session, DataExport, DataExport.user_id == user.id) == 0
    assert _count(session, OutboxMessage, OutboxMessage.to_address == "ivy@example.org") == 0
    members = session.execute(
        select(Membership.user_id).where(Membership.org_id == w["org"].id)
    ).scalars()
    assert list(members) == [w["partner"].id]

    # The audit log keeps what happened, under the id and a pseudonym, and still verifies.
    last = session.execute(
        select(AuditRecord).where(AuditRecord.action == "privacy.account_erased")
    ).scalar_one()
    assert (last.action, last.actor_id, last.resource_type, last.resource_id, last.details) == (
        "privacy.account_erased",
        user.id,
        "user",
        str(user.id),
        {"subject": alias},
    )
    everything = " ".join(
        f"{r.details} {r.resource_id}" for r in session.execute(select(AuditRecord)).scalars()
    )
    assert "ivy@example.org" not in everything
    assert "Ivy Example" not in everything
    assert audit_service.verify(session).ok is True

    # Others no longer find the account.
    admin_h = auth_headers(session, make_user(session, admin=True))
    assert client.get(f"{API}/admin/users/{user.id}", headers=admin_h).status_code == 404
    listed = client.get(f"{API}/admin/users", params={"q": "ivy"}, headers=admin_h).json()
    assert listed["total"] == 0
    # The address is free again for a new account.
    fresh = client.post(
        f"{API}/auth/register", json={"email": "ivy@example.org", "password": "a fresh start 42"}
    )
    assert fresh.status_code == 202
    assert _count(session, User, User.email == "ivy@example.org") == 1
