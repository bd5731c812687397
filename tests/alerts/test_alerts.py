"""Alerts: CRUD and validation, evaluation per window (once per window, again in the next),
channels (webhook to a real local receiver that verifies the signature, email, in-app), and
tenancy. The must-show runs through real ingest: `POST /v1/ingest` → `usage.ingested` →
`alerts.evaluate` → `webhooks.deliver`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ecotrack.alerts.models import Alert as AlertRow
from ecotrack.alerts.service import alerts_service, late_windows
from ecotrack.alerts.windows import bounds
from ecotrack.core.db import utcnow
from ecotrack.email.service import email_service
from tests.webhooks.conftest import run_jobs
from tests.webhooks.helpers import create_endpoint, parse_ts


def base(world) -> str:
    return f"/api/v1/orgs/{world.a.id}/alerts"


def new_alert(client, world, **fields: Any) -> dict[str, Any]:
    body = {"name": "Daily calls", "metric": "calls", "window": "day", "threshold": 3, **fields}
    response = client.post(base(world), json=body, headers=world.headers("org_admin"))
    assert response.status_code == 201, response.text
    return dict(response.json())


@dataclass
class FakeTotals:
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    energy_kwh: float = 0.0
    water_l: float = 0.0
    co2e_kg: float = 0.0


class Recorder:
    """A totals provider with fixed answers that records how it was asked."""

    def __init__(self, totals: FakeTotals) -> None:
        self.totals = totals
        self.calls: list[dict[str, Any]] = []

    def __call__(self, session: Any, **query: Any) -> FakeTotals:
        del session
        self.calls.append(query)
        return self.totals


# --- CRUD -------------------------------------------------------------------------------------


def test_create_read_update_delete(client, world):
    created = new_alert(
        client,
        world,
        scope="team",
        scope_value="ml",
        channels={"email_user_ids": [world.uid("viewer")], "in_app": False},
    )
    assert created == {
        "id": created["id"],
        "name": "Daily calls",
        "metric": "calls",
        "scope": "team",
        "scope_value": "ml",
        "window": "day",
        "threshold": 3.0,
        "channels": {
            "webhook_endpoint_ids": [],
            "email_user_ids": [world.uid("viewer")],
            "in_app": False,
        },
        "enabled": True,
        "created_by_id": world.uid("org_admin"),
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
    }
    viewer = world.headers("viewer")
    assert client.get(base(world), headers=viewer).json()["items"] == [created]
    assert client.get(f"{base(world)}/{created['id']}", headers=viewer).json() == created
    patched = client.patch(
        f"{base(world)}/{created['id']}",
        json={"threshold": 10.5, "scope": "organisation", "window": "rolling_24h"},
        headers=world.headers("org_admin"),
    ).json()
    assert (patched["threshold"], patched["scope"], patched["scope_value"], patched["window"]) == (
        10.5,
        "organisation",
        None,
        "rolling_24h",
    )
    assert client.delete(f"{base(world)}/{created['id']}", headers=viewer).status_code == 403
    deleted = client.delete(f"{base(world)}/{created['id']}", headers=world.headers("owner"))
    assert deleted.status_code == 204
    assert client.get(f"{base(world)}/{created['id']}", headers=viewer).status_code == 404


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"scope": "team"}, "body"),  # a team needs its name
        ({"scope": "organisation", "scope_value": "x"}, "body"),
        ({"threshold": 0}, "threshold"),
        ({"threshold": True}, "threshold"),
        ({"metric": "euros"}, "metric"),
        ({"window": "year"}, "window"),
        ({"channels": {"in_app": False}}, "channels"),  # no channel at all
        ({"org_id": 99}, "org_id"),  # unknown fields are refused, not ignored
    ],
)
def test_invalid_alerts_are_refused(client, session, world, fields, where):
    body = {"name": "x", "metric": "calls", "window": "day", "threshold": 3, **fields}
    response = client.post(base(world), json=body, headers=world.headers("org_admin"))
    assert response.status_code == 422, response.text
    assert any(where in [str(p) for p in e["loc"]] for e in response.json()["errors"])
    assert session.execute(select(AlertRow)).first() is None


def test_channels_must_belong_to_the_organisation(
    client, session, world, receiver, private_allowed
):
    del private_allowed
    b_endpoint = create_endpoint(client, world.headers("other_org_user"), world.b.id, receiver)
    body = {
        "name": "x",
        "metric": "calls",
        "window": "day",
        "threshold": 3,
        "channels": {
            "webhook_endpoint_ids": [b_endpoint["id"]],
            "email_user_ids": [world.uid("user")],  # not a member of A
        },
    }
    response = client.post(base(world), json=body, headers=world.headers("org_admin"))
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "alert-channel-invalid"
    assert [e["type"] for e in problem["errors"]] == ["unknown_webhook_endpoint", "not_a_member"]
    assert session.execute(select(AlertRow)).first() is None


# --- the must-show: real ingest → evaluation → signed webhook, once per window -----------------


def test_alert_fires_once_per_window_to_a_verifying_receiver(
    client, session, world, receiver, ingest, private_allowed
):
    del private_allowed
    admin = world.headers("org_admin")
    endpoint = create_endpoint(client, admin, world.a.id, receiver)
    alert = new_alert(
        client,
        world,
        channels={
            "webhook_endpoint_ids": [endpoint["id"]],
            "email_user_ids": [world.uid("member")],
            "in_app": True,
        },
    )
    now = utcnow()

    ingest(2, at=now)
    assert run_jobs() == ["alerts.evaluate"]  # 2 calls < 3: nothing fires
    assert receiver.received == []

    ingest(2, at=now)
    assert sorted(run_jobs()) == ["alerts.evaluate", "email.send", "webhooks.deliver"]
    [got] = receiver.received
    assert got.verified, got.error
    message = json.loads(got.body)
    assert message["type"] == "alert.fired"
    data = message["data"]
    assert data["alert"] == {
        "id": alert["id"],
        "name": "Daily calls",
        "metric": "calls",
        "scope": "organisation",
        "scope_value": None,
        "window": "day",
        "threshold": 3.0,
    }
    start, end = bounds("day", now)
    assert data["firing"]["value"] == 4.0
    assert parse_ts(data["firing"]["window_start"]) == start
    assert parse_ts(data["firing"]["window_end"]) == end

    notes = client.get(
        f"/api/v1/orgs/{world.a.id}/notifications", headers=world.headers("viewer")
    ).json()
    assert (notes["total"], notes["unread"]) == (1, 1)
    assert notes["items"][0]["kind"] == "alert.fired"
    assert notes["items"][0]["alert_id"] == alert["id"]
    assert notes["items"][0]["data"] == data
    [mail] = email_service.messages_to(session, to=world.users["member"].email)
    assert mail.subject == "Alert 'Daily calls': calls reached 3"
    assert mail.status == "sent"

    # More usage in the same window: evaluated again, never fired again.
    ingest(3, at=now)
    assert run_jobs() == ["alerts.evaluate"]
    assert len(receiver.received) == 1
    firings = client.get(f"{base(world)}/{alert['id']}/firings", headers=admin).json()
    assert firings["total"] == 1
    assert firings["items"][0]["value"] == 4.0
    assert (
        client.get(f"/api/v1/orgs/{world.a.id}/notifications", headers=admin).json()["total"] == 1
    )


def test_alert_fires_again_in_the_next_window(client, session, db, world, ingest):
    alert = new_alert(client, world)
    now = utcnow()
    yesterday = now - timedelta(days=1)
    ingest(3, at=yesterday)
    ingest(3, at=now)

    def evaluate(at: datetime) -> Any:
        with db.unit_of_work() as uow:
            [result] = alerts_service.evaluate_org(uow, org_id=world.a.id, now=at)
            return result

    first = evaluate(yesterday)
    assert (first.fired, first.value, first.window_start) == (
        True,
        3.0,
        bounds("day", yesterday)[0],
    )
    again = evaluate(yesterday + timedelta(minutes=1))
    assert (again.fired, again.firing.id) == (False, first.firing.id)
    second = evaluate(now)
    assert (second.fired, second.value) == (True, 3.0)
    assert second.window_start == bounds("day", now)[0]
    firings = client.get(
        f"{base(world)}/{alert['id']}/firings", headers=world.headers("viewer")
    ).json()
    assert [f["id"] for f in firings["items"]] == [second.firing.id, first.firing.id]


def test_ingest_for_an_organisation_without_alerts_queues_nothing(client, world, ingest):
    ingest(5, at=utcnow())
    assert run_jobs() == []


def test_a_disabled_alert_does_not_fire(client, db, world):
    alert = new_alert(client, world, enabled=False)
    totals = Recorder(FakeTotals(calls=50))
    with db.unit_of_work() as uow:
        assert (
            alerts_service.evaluate_org(uow, org_id=world.a.id, now=utcnow(), totals=totals) == []
        )
    evaluation = client.post(
        f"{base(world)}/{alert['id']}/evaluate", headers=world.headers("org_admin")
    ).json()
    assert (evaluation["fired"], evaluation["firing"], evaluation["value"]) == (False, None, 0.0)


# --- evaluation details ------------------------------------------------------------------------


def test_rolling_24h_fires_at_most_once_per_24_hours(client, db, world):
    new_alert(client, world, window="rolling_24h", metric="co2e_kg", threshold=0.5)
    totals = Recorder(FakeTotals(co2e_kg=0.75))
    t0 = datetime(2026, 11, 30, 15, 30, 12, 345000, tzinfo=UTC)

    def fired(at: datetime) -> bool:
        with db.unit_of_work() as uow:
            [result] = alerts_service.evaluate_org(uow, org_id=world.a.id, now=at, totals=totals)
            return result.fired

    assert fired(t0)
    assert totals.calls[0]["start"] == datetime(2026, 11, 29, 15, 30, 12, tzinfo=UTC)
    assert totals.calls[0]["end"] == datetime(2026, 11, 30, 15, 30, 12, tzinfo=UTC)
    assert not fired(t0 + timedelta(hours=23, minutes=59))
    assert fired(t0 + timedelta(hours=24, seconds=1))


@pytest.mark.parametrize(
    ("metric", "scope", "value", "expected_filters", "expected_value"),
    [
        ("tokens", "organisation", None, {}, 350.0),
        ("energy_kwh", "team", "ml", {"team": "ml"}, 1.25),
        ("water_l", "user", "ada@example.org", {"user": "ada@example.org"}, 2.5),
        ("co2e_kg", "provider", "openai", {"provider": "openai"}, 0.125),
        ("calls", "model", "gpt-4o", {"model": "gpt-4o"}, 7.0),
    ],
)
def test_metric_and_scope_reach_the_usage_totals(
    client, db, world, metric, scope, value, expected_filters, expected_value
):
    fields: dict[str, Any] = {"metric": metric, "scope": scope, "threshold": 1000}
    if value is not None:
        fields["scope_value"] = value
    new_alert(client, world, window="month", **fields)
    totals = Recorder(
        FakeTotals(
            calls=7, tokens_in=100, tokens_out=250, energy_kwh=1.25, water_l=2.5, co2e_kg=0.125
        )
    )
    at = datetime(2026, 2, 14, 9, 0, tzinfo=UTC)
    with db.unit_of_work() as uow:
        [result] = alerts_service.evaluate_org(uow, org_id=world.a.id, now=at, totals=totals)
    assert result.value == expected_value
    assert result.fired is False
    filters = {"team": None, "user": None, "provider": None, "model": None, **expected_filters}
    assert totals.calls == [
        {
            "org_id": world.a.id,
            "start": datetime(2026, 2, 1, tzinfo=UTC),
            "end": datetime(2026, 3, 1, tzinfo=UTC),
            **filters,
        }
    ]


def test_window_bounds():
    at = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)  # a Thursday
    assert bounds("day", at) == (
        datetime(2026, 12, 31, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert bounds("week", at) == (
        datetime(2026, 12, 28, tzinfo=UTC),
        datetime(2027, 1, 4, tzinfo=UTC),
    )
    assert bounds("month", at) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert bounds("rolling_24h", at) == (
        datetime(2026, 12, 30, 23, 59, 59, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
    )


# --- notifications and tenancy -----------------------------------------------------------------


def _fire(client, db, world) -> dict[str, Any]:
    alert = new_alert(client, world)
    with db.unit_of_work() as uow:
        results = alerts_service.evaluate_org(
            uow, org_id=world.a.id, now=utcnow(), totals=Recorder(FakeTotals(calls=9))
        )
    assert [r.fired for r in results if r.alert_id == alert["id"]] == [True]
    return alert


def test_notifications_mark_read(client, db, world):
    _fire(client, db, world)
    viewer = world.headers("viewer")
    url = f"/api/v1/orgs/{world.a.id}/notifications"
    [note] = client.get(url, headers=viewer).json()["items"]
    assert note["read_at"] is None
    read = client.post(f"{url}/{note['id']}/read", headers=viewer).json()
    assert read["read_by_id"] == world.uid("viewer")
    assert read["read_at"] is not None
    again = client.post(f"{url}/{note['id']}/read", headers=world.headers("owner")).json()
    assert (again["read_by_id"], again["read_at"]) == (read["read_by_id"], read["read_at"])
    assert client.get(url, params={"unread": True}, headers=viewer).json()["total"] == 0
    assert client.get(url, headers=viewer).json()["unread"] == 0
    _fire(client, db, world)
    assert client.post(f"{url}/read-all", headers=viewer).json() == {"marked": 1}
    assert client.post(f"{url}/read-all", headers=viewer).json() == {"marked": 0}


def test_other_organisations_get_404(client, db, world):
    alert = _fire(client, db, world)
    note_id = client.get(
        f"/api/v1/orgs/{world.a.id}/notifications", headers=world.headers("viewer")
    ).json()["items"][0]["id"]
    b_owner = world.headers("other_org_user")
    a_alert = f"{base(world)}/{alert['id']}"
    b_alert = f"/api/v1/orgs/{world.b.id}/alerts/{alert['id']}"
    for method, path, code in [
        ("GET", a_alert, "org-not-found"),
        ("PATCH", a_alert, "org-not-found"),
        ("DELETE", a_alert, "org-not-found"),
        ("POST", f"{a_alert}/evaluate", "org-not-found"),
        ("GET", f"{a_alert}/firings", "org-not-found"),
        ("POST", f"/api/v1/orgs/{world.a.id}/notifications/{note_id}/read", "org-not-found"),
        ("GET", b_alert, "alert-not-found"),
        ("PATCH", b_alert, "alert-not-found"),
        ("DELETE", b_alert, "alert-not-found"),
        ("POST", f"{b_alert}/evaluate", "alert-not-found"),
        ("GET", f"{b_alert}/firings", "alert-not-found"),
        (
            "POST",
            f"/api/v1/orgs/{world.b.id}/notifications/{note_id}/read",
            "org-notification-not-found",
        ),
    ]:
        body = {"threshold": 1} if method == "PATCH" else None
        response = client.request(method, path, headers=b_owner, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == code
    # Nothing changed, nothing leaked.
    viewer = world.headers("viewer")
    assert client.get(a_alert, headers=viewer).json()["threshold"] == 3.0
    note = client.get(f"/api/v1/orgs/{world.a.id}/notifications", headers=viewer).json()
    assert note["unread"] == 1
    assert (
        client.get(f"/api/v1/orgs/{world.b.id}/notifications", headers=b_owner).json()["total"] == 0
    )


def test_alert_changes_are_in_the_organisation_audit_log(client, world) -> None:
    alert = new_alert(client, world, threshold=5)
    h = world.headers("org_admin")
    r = client.patch(f"{base(world)}/{alert['id']}", json={"threshold": 9}, headers=h)
    assert r.status_code == 200, r.text
    assert client.delete(f"{base(world)}/{alert['id']}", headers=h).status_code == 204
    log = client.get(f"/api/v1/orgs/{world.a.id}/audit-log", headers=h).json()["items"]
    mine = [e for e in log if e["resource_type"] == "alert"]
    assert [e["action"] for e in mine] == ["alert.deleted", "alert.updated", "alert.created"]
    assert {e["resource_id"] for e in mine} == {str(alert["id"])}
    assert mine[2]["details"]["threshold"] == 5
    assert mine[1]["details"]["threshold"] == 9
    assert mine[1]["details"]["fields"] == ["threshold"]
    assert all(e["actor_id"] == world.uid("org_admin") for e in mine)


# --- late events: judged in the window they belong to -------------------------------------------


def test_late_events_fire_the_ended_window_they_belong_to_once(client, world, ingest) -> None:
    """An SDK that flushes yesterday's calls this morning: yesterday's daily window fires (once),
    today's does not, and windows that ended more than a week ago are left as they were."""
    alert = new_alert(client, world)  # daily, calls >= 3, in-app
    admin = world.headers("org_admin")
    now = utcnow()
    yesterday = now - timedelta(days=1)
    ingest(3, at=yesterday)
    assert run_jobs() == ["alerts.evaluate"]
    firings = client.get(f"{base(world)}/{alert['id']}/firings", headers=admin).json()
    assert firings["total"] == 1
    start, end = bounds("day", yesterday)
    assert parse_ts(firings["items"][0]["window_start"]) == start
    assert parse_ts(firings["items"][0]["window_end"]) == end
    assert firings["items"][0]["value"] == 3.0
    # More late events for the same day: judged again, not fired again.
    ingest(2, at=yesterday)
    run_jobs()
    assert client.get(f"{base(world)}/{alert['id']}/firings", headers=admin).json()["total"] == 1
    # Ten days late: past the reach, nothing fires for that window.
    ingest(5, at=now - timedelta(days=10))
    run_jobs()
    assert client.get(f"{base(world)}/{alert['id']}/firings", headers=admin).json()["total"] == 1
    notes = client.get(f"/api/v1/orgs/{world.a.id}/notifications", headers=admin).json()
    assert notes["total"] == 1
    assert f"on {start:%Y-%m-%d}" in notes["items"][0]["body"]


def test_late_windows_are_the_ended_calendar_windows_within_reach() -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday
    days = [date(2026, 11, 29), date(2026, 11, 28), date(2026, 11, 30), date(2026, 11, 10)]
    got = late_windows("day", now, days)
    assert [bounds("day", at)[0].date() for at in got] == [date(2026, 11, 29), date(2026, 11, 28)]
    # Week: both late days are in last week (ended at Monday 00:00): one window.
    assert [bounds("week", at)[0].date() for at in late_windows("week", now, days)] == [
        date(2026, 11, 23)
    ]
    # Month: November is the current month: nothing late.
    assert late_windows("month", now, days) == []
    assert late_windows("rolling_24h", now, days) == []
