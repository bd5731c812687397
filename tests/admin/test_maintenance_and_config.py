"""`/api/v1/admin/config`: feature flags and maintenance mode (503 problem+json with Retry-After
for everyone but platform admins; /healthz unaffected)."""

from __future__ import annotations

from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecotrack.admin.service import DEFAULT_MAINTENANCE_MESSAGE, admin_service
from ecotrack.audit.models import AuditRecord
from ecotrack.core.db import Database
from ecotrack.core.settings import Settings
from tests.principals import PASSWORD, auth_headers, make_user

API = "/api/v1"
CONFIG = f"{API}/admin/config"


def test_config_defaults_and_feature_flags(client: Any, session: Session) -> None:
    admin = make_user(session, admin=True)
    h = auth_headers(session, admin)
    body = client.get(CONFIG, headers=h).json()
    assert body["feature_flags"] == {}
    assert body["maintenance"] == {
        "enabled": False,
        "message": DEFAULT_MAINTENANCE_MESSAGE,
        "retry_after_s": 300,
    }
    r = client.patch(
        CONFIG, json={"feature_flags": {"new_dashboard": True, "beta.shop": False}}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["feature_flags"] == {"new_dashboard": True, "beta.shop": False}
    assert r.json()["updated_by"] == admin.id
    assert admin_service.feature_enabled(session, name="new_dashboard") is True
    assert admin_service.feature_enabled(session, name="beta.shop") is False
    assert admin_service.feature_enabled(session, name="unknown") is False
    # The set is replaced as a whole; maintenance is left alone when not given.
    r = client.patch(CONFIG, json={"feature_flags": {"beta.shop": True}}, headers=h)
    assert r.json()["feature_flags"] == {"beta.shop": True}
    assert r.json()["maintenance"]["enabled"] is False
    assert client.get(CONFIG, headers=h).json()["feature_flags"] == {"beta.shop": True}
    session.expire_all()
    audited = session.execute(
        select(AuditRecord.actor_id, AuditRecord.details).where(
            AuditRecord.action == "admin.config_updated"
        )
    ).all()
    assert audited == [
        (admin.id, {"feature_flags": {"new_dashboard": True, "beta.shop": False}}),
        (admin.id, {"feature_flags": {"beta.shop": True}}),
    ]


def test_bad_config_is_422_and_changes_nothing(client: Any, session: Session) -> None:
    h = auth_headers(session, make_user(session, admin=True))
    before = client.get(CONFIG, headers=h).json()
    for body in (
        {"feature_flags": {"Bad Name": True}},
        {"feature_flags": {"x": "yes please"}},
        {"maintenance": {"retry_after_s": 0}},
        {"maintenance": {"retry_after_s": 86_401}},
        {"maintenance": {"message": "x" * 501}},
        {"maintenance": {"enabled": True, "colour": "red"}},
        {"something_else": 1},
    ):
        r = client.patch(CONFIG, json=body, headers=h)
        assert r.status_code == 422, body
    assert client.get(CONFIG, headers=h).json() == before
    user_h = auth_headers(session, make_user(session))
    forbidden = client.patch(CONFIG, json={"maintenance": {"enabled": True}}, headers=user_h)
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "admin-only")
    assert client.get(CONFIG, headers=h).json() == before


def _assert_maintenance(response: Any, *, retry_after: str, message: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == retry_after
    body = response.json()
    assert (body["status"], body["code"], body["detail"]) == (503, "maintenance", message)


def test_maintenance_mode(client: Any, session: Session, settings: Settings, db: Database) -> None:
    admin = make_user(session, "ops@example.org", admin=True)
    admin_h = auth_headers(session, admin)
    user = make_user(session, "pat@example.org")
    user_h = auth_headers(session, user)
    assert client.get(f"{API}/users/me", headers=user_h).status_code == 200

    on = {
        "maintenance": {"enabled": True, "message": "Upgrading the database", "retry_after_s": 120}
    }
    r = client.patch(CONFIG, json=on, headers=admin_h)
    assert r.status_code == 200, r.text
    assert r.json()["maintenance"] == {
        "enabled": True,
        "message": "Upgrading the database",
        "retry_after_s": 120,
    }

    # Non-admins, signed in or not, get 503 with Retry-After on every API route.
    for response in (
        client.get(f"{API}/users/me", headers=user_h),
        client.get(f"{API}/factors"),
        client.post(f"{API}/users/me/export", headers=user_h),
    ):
        _assert_maintenance(response, retry_after="120", message="Upgrading the database")
    # A token that merely claims to be an admin (not signed with the instance key) is refused.
    forged = jwt.encode(
        {"sub": str(user.id), "role": "admin", "typ": "access"}, "x" * 32, algorithm="HS256"
    )
    _assert_maintenance(
        client.get(f"{API}/factors", headers={"Authorization": f"Bearer {forged}"}),
        retry_after="120",
        message="Upgrading the database",
    )
    session.expire_all()
    from ecotrack.privacy.models import DataExport

    assert session.execute(select(DataExport)).scalars().all() == []  # nothing happened

    # An admin demoted a moment ago still holds a token claiming the role: held back too.
    former = make_user(session, "former-ops@example.org", admin=True)
    former_h = auth_headers(session, former)
    former.role = "user"
    session.flush()
    _assert_maintenance(
        client.get(f"{API}/factors", headers=former_h),
        retry_after="120",
        message="Upgrading the database",
    )

    # Platform admins pass; health checks and metrics are outside the API and unaffected.
    assert client.get(f"{API}/users/me", headers=admin_h).json()["email"] == "ops@example.org"
    assert client.get(f"{API}/factors", headers=admin_h).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200
    # Signing in stays open, so an admin can get a token to switch maintenance off.
    login = client.post(
        f"{API}/auth/login", json={"email": "ops@example.org", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text

    # Another process (a fresh app on the same database) sees the mode too.
    from starlette.testclient import TestClient

    from ecotrack.app import create_app

    with TestClient(create_app(settings, db=db, run_jobs=False)) as other:
        _assert_maintenance(
            other.get(f"{API}/users/me", headers=user_h),
            retry_after="120",
            message="Upgrading the database",
        )

    off = client.patch(CONFIG, json={"maintenance": {"enabled": False}}, headers=admin_h)
    assert off.json()["maintenance"] == {
        "enabled": False,
        "message": "Upgrading the database",
        "retry_after_s": 120,
    }
    assert client.get(f"{API}/users/me", headers=user_h).status_code == 200
    assert client.get(f"{API}/factors").status_code == 200
