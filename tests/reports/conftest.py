"""Reports test data: two organisations with members and keys, usage ingested through the real
`POST /v1/ingest`, and a helper that runs the queued jobs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ecotrack.core.settings import Settings, get_settings
from ecotrack.orgs.apikeys import api_key_service
from ecotrack.orgs.context import Actor, OrgRole
from ecotrack.orgs.schemas import ApiKeyCreate, OrgCreate
from ecotrack.orgs.service import orgs_service
from tests.email.conftest import run_jobs
from tests.principals import auth_headers, make_user

__all__ = ["run_jobs"]


@dataclass
class Org:
    id: int
    slug: str
    name: str
    admin: dict[str, str]
    viewer: dict[str, str]
    ingest_key: str
    read_key: str

    @property
    def reports(self) -> str:
        return f"/api/v1/orgs/{self.id}/reports"


def _key(session: Session, settings: Settings, org_id: int, scopes: list[str]) -> str:
    created = api_key_service.create(
        session,
        actor=Actor(user_id=None),
        org_id=org_id,
        key_in=ApiKeyCreate(name="k", scopes=scopes),
        settings=settings,
    )
    return str(created.secret)


def make_org(session: Session, settings: Settings, slug: str, name: str) -> Org:
    owner = make_user(session, f"{slug}-owner@example.org")
    viewer = make_user(session, f"{slug}-viewer@example.org")
    org = orgs_service.create_org(
        session,
        actor=Actor(user_id=owner.id, email=owner.email),
        owner_id=owner.id,
        org_in=OrgCreate(name=name, slug=slug),
        settings=settings,
    )
    orgs_service.add_member(
        session, actor=Actor(user_id=None), org_id=org.id, user_id=viewer.id, role=OrgRole.VIEWER
    )
    out = Org(
        id=org.id,
        slug=slug,
        name=name,
        admin=auth_headers(session, owner),
        viewer=auth_headers(session, viewer),
        ingest_key=_key(session, settings, org.id, ["ingest"]),
        read_key=_key(session, settings, org.id, ["read"]),
    )
    session.commit()
    return out


@pytest.fixture
def settings(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """A data directory of this test's own (report files of other tests never show up), for the
    app and for the job (which reads the process settings) alike; the instance secret stays."""
    secret = settings.resolved_secret_key()
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ECOTRACK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ECOTRACK_SECRET_KEY", secret)
    get_settings.cache_clear()
    yield settings.model_copy(update={"data_dir": data_dir, "secret_key": secret})
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def org(session: Session, settings: Settings, client: Any) -> Org:  # noqa: ARG001
    return make_org(session, settings, "acme", "Acme Research")


@pytest.fixture
def other_org(session: Session, settings: Settings, client: Any) -> Org:  # noqa: ARG001
    return make_org(session, settings, "globex", "Globex")


def days_ago(n: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=n)


def at(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), UTC).isoformat().replace("+00:00", "Z")


def ingest(client: Any, org: Org, events: list[dict[str, Any]]) -> None:
    response = client.post(
        "/v1/ingest", json={"events": events}, headers={"Authorization": f"Bearer {org.ingest_key}"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == []


def sample_events(prefix: str = "e") -> list[dict[str, Any]]:
    """Twelve calls over three days (two models, one unregistered), two users and teams."""
    events = []
    plan = [
        (12, "gpt-4o-mini", "ann@example.org", "ml", 1200, 300),
        (12, "gpt-4o-mini", "bob@example.org", "ops", 800, 150),
        (12, "claude-haiku-4-5-20251001", "ann@example.org", "ml", 2000, 500),
        (11, "gpt-4o-mini", "ann@example.org", "ml", 500, 90),
        (11, "not-a-registered-model", "bob@example.org", "ops", 100, 10),
        (5, "claude-haiku-4-5-20251001", "bob@example.org", "ops", 3000, 700),
    ]
    for n, (ago, model, user, team, tin, tout) in enumerate(plan):
        provider = "anthropic" if model.startswith("claude") else "openai"
        for repeat in range(2):
            events.append(
                {
                    "id": f"{prefix}-{n}-{repeat}",
                    "ts": at(days_ago(ago), 9 + repeat),
                    "provider": provider,
                    "model": model,
                    "tokens_in": tin + repeat,
                    "tokens_out": tout + repeat,
                    "user": user,
                    "team": team,
                    "zone": "FR" if repeat else "US",
                }
            )
    return events
