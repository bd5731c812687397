"""Consent records (terms, marketing, leaderboard visibility): read, give, withdraw, evidence."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecotrack.audit.models import AuditRecord
from ecotrack.privacy.service import privacy_service
from tests.principals import auth_headers, make_user

URL = "/api/v1/users/me/consents"


def _consent_records(session: Session, user_id: int) -> list[tuple[str | None, dict[str, Any]]]:
    session.expire_all()
    rows = session.execute(
        select(AuditRecord)
        .where(AuditRecord.actor_id == user_id, AuditRecord.action == "privacy.consent_changed")
        .order_by(AuditRecord.id)
    ).scalars()
    return [(r.resource_id, r.details) for r in rows]


def test_consents_start_unanswered_and_change_with_evidence(client: Any, session: Session) -> None:
    user = make_user(session)
    h = auth_headers(session, user)
    assert client.get(URL, headers=h).json() == [
        {"kind": "terms", "granted": False, "version": None, "updated_at": None},
        {"kind": "marketing", "granted": False, "version": None, "updated_at": None},
        {"kind": "leaderboard", "granted": False, "version": None, "updated_at": None},
    ]
    body = {
        "consents": [
            {"kind": "terms", "granted": True, "version": "2026-11"},
            {"kind": "leaderboard", "granted": True},
        ]
    }
    r = client.put(URL, json=body, headers=h)
    assert r.status_code == 200, r.text
    answers = {c["kind"]: (c["granted"], c["version"]) for c in r.json()}
    assert answers == {
        "terms": (True, "2026-11"),
        "marketing": (False, None),
        "leaderboard": (True, "1"),
    }
    assert all(c["updated_at"] for c in r.json() if c["kind"] != "marketing")
    assert r.json() == client.get(URL, headers=h).json()
    assert privacy_service.has_consent(session, user_id=user.id, kind="leaderboard") is True
    assert privacy_service.has_consent(session, user_id=user.id, kind="marketing") is False

    # The same answers again change nothing and leave no new evidence.
    assert client.put(URL, json=body, headers=h).status_code == 200
    # Withdraw one.
    withdraw = {"consents": [{"kind": "leaderboard", "granted": False}]}
    after = client.put(URL, json=withdraw, headers=h).json()
    assert [(c["kind"], c["granted"]) for c in after] == [
        ("terms", True),
        ("marketing", False),
        ("leaderboard", False),
    ]
    assert _consent_records(session, user.id) == [
        ("terms", {"granted": True, "version": "2026-11"}),
        ("leaderboard", {"granted": True, "version": "1"}),
        ("leaderboard", {"granted": False, "version": "1"}),
    ]
    assert privacy_service.has_consent(session, user_id=user.id, kind="leaderboard") is False


def test_bad_consent_payloads_are_422_and_change_nothing(client: Any, session: Session) -> None:
    user = make_user(session)
    h = auth_headers(session, user)
    before = client.get(URL, headers=h).json()
    for body in (
        {"consents": []},
        {"consents": [{"kind": "cookies", "granted": True}]},
        {"consents": [{"kind": "terms", "granted": True}, {"kind": "terms", "granted": False}]},
        {"consents": [{"kind": "terms", "granted": True, "version": "1 2"}]},
        {"consents": [{"kind": "terms", "granted": True, "user_id": 1}]},
        {"consents": [{"kind": "terms", "granted": "maybe"}]},
    ):
        r = client.put(URL, json=body, headers=h)
        assert r.status_code == 422, body
        assert r.headers["content-type"] == "application/problem+json"
    assert client.get(URL, headers=h).json() == before
    assert _consent_records(session, user.id) == []


def test_consents_are_per_user(client: Any, session: Session) -> None:
    alice, bob = make_user(session), make_user(session)
    body = {"consents": [{"kind": "marketing", "granted": True}]}
    assert client.put(URL, json=body, headers=auth_headers(session, alice)).status_code == 200
    bob_view = client.get(URL, headers=auth_headers(session, bob)).json()
    assert [c["granted"] for c in bob_view] == [False, False, False]
    assert client.get(URL).status_code == 401
