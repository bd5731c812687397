"""Usage test data: an organisation with API keys, event builders, and the check every write
test ends with: rollups equal the sums of the raw events."""

from __future__ import annotations

import gzip
import math
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecotrack.core import events
from ecotrack.core.settings import Settings
from ecotrack.orgs.apikeys import api_key_service
from ecotrack.orgs.context import Actor, OrgRole
from ecotrack.orgs.schemas import ApiKeyCreate, OrgCreate
from ecotrack.orgs.service import orgs_service
from ecotrack.orgs.signing import replay_cache, sign
from ecotrack.usage.models import SUM_COLUMNS, UsageEvent, UsageRollupDaily, UsageRollupOrgDaily
from tests.principals import auth_headers, make_user

INGEST = "/v1/ingest"


@dataclass
class Org:
    id: int
    slug: str
    owner: Any
    viewer_headers: dict[str, str]
    ingest_key: str
    read_key: str
    signed_key: str

    def key_headers(self, secret: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret or self.ingest_key}"}

    def base(self) -> str:
        return f"/api/v1/orgs/{self.id}/usage"


def _key(session: Session, settings: Settings, org_id: int, scopes: list[str], signed=False) -> str:
    created = api_key_service.create(
        session,
        actor=Actor(user_id=None),
        org_id=org_id,
        key_in=ApiKeyCreate(name="k", scopes=scopes, signed=signed),
        settings=settings,
    )
    return str(created.secret)


def make_org(session: Session, settings: Settings, slug: str) -> Org:
    owner = make_user(session, f"{slug}-owner@example.org")
    viewer = make_user(session, f"{slug}-viewer@example.org")
    org = orgs_service.create_org(
        session,
        actor=Actor(user_id=owner.id, email=owner.email),
        owner_id=owner.id,
        org_in=OrgCreate(name=slug.upper(), slug=slug),
        settings=settings,
    )
    orgs_service.add_member(
        session, actor=Actor(user_id=None), org_id=org.id, user_id=viewer.id, role=OrgRole.VIEWER
    )
    out = Org(
        id=org.id,
        slug=slug,
        owner=owner,
        viewer_headers=auth_headers(session, viewer),
        ingest_key=_key(session, settings, org.id, ["ingest"]),
        read_key=_key(session, settings, org.id, ["read"]),
        signed_key=_key(session, settings, org.id, ["ingest"], signed=True),
    )
    session.commit()
    return out


@pytest.fixture(autouse=True)
def _fresh_replay_cache() -> Iterator[None]:
    cache = replay_cache(None)
    cache.clear()  # type: ignore[attr-defined]
    yield
    cache.clear()  # type: ignore[attr-defined]


@pytest.fixture
def org(session: Session, settings: Settings, client: Any) -> Org:  # noqa: ARG001
    return make_org(session, settings, "usage-a")


@pytest.fixture
def other_org(session: Session, settings: Settings, client: Any) -> Org:  # noqa: ARG001
    return make_org(session, settings, "usage-b")


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def handler(_session: Session, **payload: Any) -> None:
        seen.append(payload)

    events.subscribe("usage.ingested")(handler)
    yield seen
    events._HANDLERS["usage.ingested"].remove(handler)


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def event(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "ts": (now_utc() - timedelta(hours=1)).isoformat(),
        "provider": "openai",
        "model": "gpt-4o-mini",
        "tokens_in": 120,
        "tokens_out": 500,
    }
    body.update(overrides)
    return body


def batch(events_: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({"events": events_})


def gz(data: bytes) -> bytes:
    return gzip.compress(data)


def signed_headers(secret: str, body: bytes) -> dict[str, str]:
    ts = int(time.time())
    return {
        "Authorization": f"Bearer {secret}",
        "X-EcoTrack-Timestamp": str(ts),
        "X-EcoTrack-Signature": sign(secret, ts, body),
    }


def post(client: Any, org: Org, events_: list[dict[str, Any]], **headers: str) -> Any:
    return client.post(
        INGEST,
        content=batch(events_),
        headers={**org.key_headers(), "Content-Type": "application/json", **headers},
    )


def stored(session: Session, org_id: int) -> int:
    session.expire_all()
    return int(
        session.execute(
            select(func.count()).select_from(UsageEvent).where(UsageEvent.org_id == org_id)
        ).scalar_one()
    )


def raw_sums(session: Session, org_id: int, keys: tuple[str, ...]) -> dict[tuple, list[float]]:
    out: dict[tuple, list[float]] = {}
    for e in session.execute(select(UsageEvent).where(UsageEvent.org_id == org_id)).scalars():
        k = tuple(getattr(e, c) for c in keys)
        s = out.setdefault(k, [0.0] * len(SUM_COLUMNS))
        s[0] += 1
        s[2] += e.tokens_in
        s[3] += e.tokens_out
        if e.status != "ok":
            s[1] += 1
            continue
        for i, (lo, hi) in enumerate(
            (
                (e.energy_kwh_min, e.energy_kwh_max),
                (e.water_l_min, e.water_l_max),
                (e.co2e_kg_min, e.co2e_kg_max),
            )
        ):
            s[4 + 3 * i] += (lo + hi) / 2
            s[5 + 3 * i] += lo
            s[6 + 3 * i] += hi
    return out


def assert_rollups_equal_raw(session: Session, org_id: int) -> None:
    """Both rollup tables hold exactly the keys of the raw events and their sums (counts exact,
    figures to 1e-9 relative: float addition order differs)."""
    session.expire_all()
    for model, keys in (
        (UsageRollupDaily, ("day", "user_ref", "team", "provider", "model")),
        (UsageRollupOrgDaily, ("day", "provider", "model")),
    ):
        expected = raw_sums(session, org_id, keys)
        rows = session.execute(select(model).where(model.org_id == org_id)).scalars().all()
        got = {
            tuple(getattr(r, c) for c in keys): [getattr(r, c) for c in SUM_COLUMNS] for r in rows
        }
        assert set(got) == set(expected), model.__tablename__
        for k, sums in expected.items():
            for name, want, have in zip(SUM_COLUMNS, sums, got[k], strict=True):
                if name in ("calls", "calls_unknown", "tokens_in", "tokens_out"):
                    assert have == want, (model.__tablename__, k, name)
                else:
                    assert math.isclose(have, want, rel_tol=1e-9, abs_tol=1e-18), (k, name)
