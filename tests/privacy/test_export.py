"""`POST /api/v1/users/me/export`: a job builds a ZIP of everything held about the user, the link
arrives by email, and stops working when it expires."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecotrack.core.db import utcnow
from ecotrack.core.jobs import JobRecord
from ecotrack.core.settings import Settings
from ecotrack.email.models import OutboxMessage
from ecotrack.orgs.context import Actor
from ecotrack.orgs.schemas import OrgCreate
from ecotrack.orgs.service import orgs_service
from ecotrack.privacy.models import DataExport
from ecotrack.privacy.service import privacy_service
from tests.email.conftest import run_jobs
from tests.principals import auth_headers, make_user

API = "/api/v1"


def _download_link(session: Session, to: str) -> str:
    session.expire_all()
    message = session.execute(
        select(OutboxMessage).where(
            OutboxMessage.to_address == to, OutboxMessage.template == "data_export_ready"
        )
    ).scalar_one()
    start = message.body_text.index("http://127.0.0.1:8000/api/v1/privacy/exports/download?")
    return message.body_text[start:].split()[0]


def test_export_contains_everything_held_about_the_user(
    client: Any, session: Session, settings: Settings
) -> None:
    user = make_user(session, "zoe@example.org", display_name="Zoë")
    h = auth_headers(session, user)
    client.patch(f"{API}/users/me", json={"country": "DE", "household_size": 3}, headers=h)
    client.put(
        f"{API}/users/me/consents",
        json={"consents": [{"kind": "terms", "granted": True, "version": "7"}]},
        headers=h,
    )
    org = orgs_service.create_org(
        session,
        actor=Actor(user_id=user.id, email=user.email),
        owner_id=user.id,
        org_in=OrgCreate(name="Zoe's Org", slug="zoes-org"),
        settings=settings,
    )
    admin = make_user(session, admin=True)
    client.patch(
        f"{API}/admin/users/{user.id}", json={"role": "admin"}, headers=auth_headers(session, admin)
    )
    session.commit()

    r = client.post(f"{API}/users/me/export", headers=h)
    assert r.status_code == 202, r.text
    export = r.json()
    assert (export["status"], export["completed_at"], export["expires_at"]) == (
        "pending",
        None,
        None,
    )
    assert session.execute(select(JobRecord.name, JobRecord.args)).all() == [
        ("privacy.build_export", [export["id"]])
    ]
    status_url = f"{API}/users/me/exports/{export['id']}"
    assert client.get(status_url, headers=h).json()["status"] == "pending"
    other = make_user(session)
    not_yours = client.get(status_url, headers=auth_headers(session, other))
    assert (not_yours.status_code, not_yours.json()["code"]) == (404, "export-not-found")

    assert run_jobs() == 2  # the export, then the email with its link
    ready = client.get(status_url, headers=h).json()
    assert ready["status"] == "ready"
    assert ready["size_bytes"] > 0
    expires = ready["expires_at"]
    completed = ready["completed_at"]
    assert expires is not None
    assert completed is not None
    session.expire_all()
    row = session.get(DataExport, export["id"])
    assert row is not None
    assert row.expires_at is not None
    assert row.completed_at is not None
    assert row.expires_at - row.completed_at == timedelta(hours=72)

    link = _download_link(session, "zoe@example.org")
    download = client.get(link.removeprefix("http://127.0.0.1:8000"))  # no login needed
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["cache-control"] == "no-store"
    assert download.headers["content-disposition"].startswith(
        f'attachment; filename="ecotrack-export-{user.id}-'
    )
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    names = sorted(archive.namelist())
    data_files = [
        "audit/records.json",
        "email/messages.json",
        "identity/profile.json",
        "identity/sessions.json",
        "orgs/organisations.json",
        "privacy/consents_and_exports.json",
    ]
    assert names[:1] == ["README.txt"]
    assert set(data_files) <= set(names)  # other domains add their own files too
    files = {n: json.loads(archive.read(n)) for n in names if n.endswith(".json")}
    manifest = files["manifest.json"]
    assert (manifest["format"], manifest["user_id"], manifest["files"]) == (
        "ecotrack-export/1",
        user.id,
        sorted(set(names) - {"README.txt", "manifest.json"}),
    )
    profile = files["identity/profile.json"]
    assert {
        k: profile[k] for k in ("id", "email", "display_name", "country", "household_size")
    } == {
        "id": user.id,
        "email": "zoe@example.org",
        "display_name": "Zoë",
        "country": "DE",
        "household_size": 3,
    }
    assert profile["role"] == "admin"
    sessions = files["identity/sessions.json"]
    assert [(s["ip"], s["user_agent"]) for s in sessions] == [("testclient", "pytest")]
    orgs = files["orgs/organisations.json"]
    assert [(m["org_slug"], m["role"]) for m in orgs["memberships"]] == [("zoes-org", "owner")]
    assert org.id == orgs["memberships"][0]["org_id"]
    consents = files["privacy/consents_and_exports.json"]
    assert consents["consents"][0] == {
        "kind": "terms",
        "granted": True,
        "version": "7",
        "updated_at": consents["consents"][0]["updated_at"],
    }
    assert [e["id"] for e in consents["exports"]] == [export["id"]]
    actions = [(a["action"], a["actor_id"]) for a in files["audit/records.json"]]
    assert ("user.created", None) in actions  # about the user, made by no one
    assert ("auth.login_succeeded", user.id) in actions
    assert ("privacy.consent_changed", user.id) in actions
    assert ("org.created", user.id) in actions
    assert ("user.role_changed", admin.id) in actions  # about the user, made by an admin
    assert ("privacy.export_requested", user.id) in actions
    assert all(
        a["actor_id"] == user.id or (a["resource_type"], a["resource_id"]) == ("user", str(user.id))
        for a in files["audit/records.json"]
    )
    assert [m["template"] for m in files["email/messages.json"]] == []  # made before the email
    assert archive.read("README.txt").decode().startswith("EcoTrack personal-data export")

    # Expired: the link answers 404 like any unknown link, and the hourly job drops the file.
    session.execute(
        update(DataExport)
        .where(DataExport.id == export["id"])
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    gone = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert (gone.status_code, gone.json()["code"]) == (404, "export-not-found")
    assert privacy_service.expire_exports(session) == 1
    session.commit()
    session.expire_all()
    expired = session.get(DataExport, export["id"])
    assert expired is not None
    assert (expired.status, expired.token_hash) == ("expired", None)
    assert client.get(status_url, headers=h).json()["status"] == "expired"


def test_unknown_links_are_404(client: Any) -> None:
    url = f"{API}/privacy/exports/download"
    r = client.get(url, params={"token": "etx_not-a-real-token"})
    assert (r.status_code, r.json()["code"]) == (404, "export-not-found")
    assert client.get(url, params={"token": "short"}).status_code == 422
    assert client.get(url).status_code == 422
    assert client.post(f"{API}/users/me/export").status_code == 401


def _five_exports_then_429(client: Any, session: Session) -> None:
    user = make_user(session)
    h = auth_headers(session, user)
    for _ in range(5):
        assert client.post(f"{API}/users/me/export", headers=h).status_code == 202
    limited = client.post(f"{API}/users/me/export", headers=h)
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert 0 < int(limited.headers["retry-after"]) <= 24 * 3600
    session.expire_all()
    assert len(session.execute(select(DataExport.id)).all()) == 5


def test_at_most_five_exports_a_day_with_redis(
    session: Session, settings: Settings, db: Any, redis_url: str
) -> None:
    from starlette.testclient import TestClient

    from ecotrack.app import create_app
    from ecotrack.core.ratelimit import RedisRateLimiter

    app = create_app(settings, db=db, run_jobs=False)
    limiter = RedisRateLimiter(redis_url, prefix=f"ecotrack-test:{uuid.uuid4().hex}:")
    app.state.rate_limiter = limiter  # a private key space: ids repeat across test runs
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            _five_exports_then_429(client, session)
    finally:
        limiter.reset()


def test_at_most_five_exports_a_day_embedded(client: Any, session: Session) -> None:
    _five_exports_then_429(client, session)


def test_a_pending_export_of_an_erased_user_fails_and_sends_nothing(
    client: Any, session: Session
) -> None:
    from tests.principals import PASSWORD

    user = make_user(session, "gone@example.org")
    h = auth_headers(session, user)
    export_id = client.post(f"{API}/users/me/export", headers=h).json()["id"]
    erase = client.request("DELETE", f"{API}/users/me", json={"password": PASSWORD}, headers=h)
    assert erase.status_code == 204
    run_jobs()
    session.expire_all()
    assert session.get(DataExport, export_id) is None  # erased with the account
    assert session.execute(select(OutboxMessage)).scalars().all() == []
