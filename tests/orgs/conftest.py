"""Organisations test data: two organisations and one user per role.

`world` builds organisation A (owner, org admin, member, viewer) and organisation B (its owner is
`other_org_user`), plus a user in no organisation, with one resource of each kind in B so tests
can aim at another tenant's ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ecotrack.core.settings import Settings
from ecotrack.orgs.context import Actor, OrgRole
from ecotrack.orgs.schemas import OrgCreate
from ecotrack.orgs.service import orgs_service
from tests.orgs.people import auth_headers, make_user


@dataclass
class World:
    a: Any
    b: Any
    users: dict[str, Any]
    b_ids: dict[str, int] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return auth_headers(self.users[who])

    def uid(self, who: str) -> int:
        return int(self.users[who].id)


def create_org(session: Session, settings: Settings, owner: Any, name: str, slug: str) -> Any:
    return orgs_service.create_org(
        session,
        actor=Actor(user_id=owner.id, email=owner.email),
        owner_id=owner.id,
        org_in=OrgCreate(name=name, slug=slug),
        settings=settings,
    )


def add_member(session: Session, org_id: int, user: Any, role: OrgRole) -> None:
    orgs_service.add_member(
        session, actor=Actor(user_id=None), org_id=org_id, user_id=user.id, role=role
    )


@pytest.fixture
def world(session: Session, settings: Settings, client: Any) -> World:
    users = {
        name: make_user(session, f"{name.replace('_', '-')}@example.org")
        for name in ("owner", "org_admin", "member", "viewer", "user", "other_org_user")
    }
    users["platform_admin"] = make_user(session, "platform-admin@example.org", admin=True)
    a = create_org(session, settings, users["owner"], "Org A", "org-a")
    for name, role in (
        ("org_admin", OrgRole.ADMIN),
        ("member", OrgRole.MEMBER),
        ("viewer", OrgRole.VIEWER),
    ):
        add_member(session, a.id, users[name], role)
    b = create_org(session, settings, users["other_org_user"], "Org B", "org-b")
    session.commit()
    return World(a=a, b=b, users=users)


@pytest.fixture
def b_resources(world: World, client: Any) -> dict[str, int]:
    """One resource of every kind in organisation B, created through the API by B's owner."""
    h = world.headers("other_org_user")
    base = f"/api/v1/orgs/{world.b.id}"

    def post(path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = client.post(base + path, json=body, headers=h)
        assert response.status_code == status, response.text
        return dict(response.json())

    ids = {
        "org_id": world.b.id,
        "user_id": world.uid("other_org_user"),
        "team_id": post("/teams", {"name": "B team"})["id"],
        "invitation_id": post("/invitations", {"email": "b-invitee@example.org"})["id"],
        "api_key_id": post("/api-keys", {"name": "b", "scopes": ["read"]})["id"],
        "override_id": post(
            "/factor-overrides", {"activity": "electricity", "value": 0.1, "per_unit": "kWh"}
        )["id"],
        "model_id": post(
            "/custom-models", {"provider": "openai", "name": "b-llm", "params_total_b": 7}
        )["id"],
    }
    # AI-usage era resources: an alert, a webhook endpoint and a delivery, a report and a
    # schedule, and an in-app organisation notification.
    app = client.app
    app.state.settings = app.state.settings.model_copy(update={"webhooks_allow_private": True})
    endpoint = post("/webhooks", {"url": "http://127.0.0.1:9/hook"})
    ids["endpoint_id"] = endpoint["id"]
    ids["delivery_id"] = post(f"/webhooks/{endpoint['id']}/test", {}, 202)["id"]
    ids["alert_id"] = post(
        "/alerts", {"name": "B daily calls", "metric": "calls", "window": "day", "threshold": 3}
    )["id"]
    ids["report_id"] = post(
        "/reports", {"from": "2026-01-01", "to": "2026-01-31", "format": "csv"}, 202
    )["id"]
    ids["schedule_id"] = post("/report-schedules", {"format": "pdf", "group_by": "team"})["id"]
    from ecotrack.alerts.models import OrgNotification

    note = OrgNotification(org_id=world.b.id, kind="test", title="B only", body="", data={})
    session = app.state.db.session_factory()
    session.add(note)
    session.commit()
    ids["notification_id"] = note.id
    session.close()
    world.b_ids = ids
    return ids
