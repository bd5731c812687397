"""Webhook delivery end to end: a real HTTP receiver on 127.0.0.1 verifies every signature with
its own implementation of Standard Webhooks; retries follow the documented schedule."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ecotrack.core.db import utcnow
from ecotrack.core.jobs import JobRecord
from ecotrack.core.settings import Settings
from ecotrack.webhooks.models import WebhookAttempt, WebhookDelivery
from ecotrack.webhooks.schemas import EVENT_TYPES
from ecotrack.webhooks.service import (
    UnknownWebhookEvent,
    WebhookEndpointDisabled,
    WebhookEndpointNotFound,
    WebhookEventNotSubscribed,
    webhooks_service,
)
from ecotrack.webhooks.tasks import attempt_delivery
from tests.webhooks.conftest import run_jobs
from tests.webhooks.helpers import create_endpoint, delivery_row, endpoint_row, parse_ts
from tests.webhooks.receiver import Reply, SignatureError, verify

pytestmark = pytest.mark.usefixtures("private_allowed")


def base(world) -> str:
    return f"/api/v1/orgs/{world.a.id}/webhooks"


def test_secret_is_shown_once_in_standard_webhooks_format(client, session, world, receiver):
    h = world.headers("org_admin")
    created = create_endpoint(client, h, world.a.id, receiver)
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert created["url"] == receiver.url()
    assert created["event_types"] == ["alert.fired"]
    assert created["enabled"] is True
    listed = client.get(base(world), headers=h).json()
    assert listed["total"] == 1
    assert "secret" not in listed["items"][0]
    one = client.get(f"{base(world)}/{created['id']}", headers=h).json()
    assert "secret" not in one
    stored = endpoint_row(session, created["id"]).secret_enc
    assert secret not in stored
    assert secret.removeprefix("whsec_") not in stored


def test_test_send_is_signed_and_logged(client, session, world, receiver):
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    response = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h)
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["status"] == "pending"
    assert queued["attempt_count"] == 0
    assert receiver.received == []  # nothing is sent before the job runs

    assert run_jobs() == ["webhooks.deliver"]

    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got.verified, got.error
    assert got.path == "/hooks"
    assert got.headers["webhook-id"] == queued["message_id"]
    assert got.headers["content-type"] == "application/json"
    body = json.loads(got.body)
    assert body["type"] == "webhook.test"
    assert body["data"]["endpoint_id"] == endpoint["id"]
    detail = client.get(
        f"{base(world)}/{endpoint['id']}/deliveries/{queued['id']}", headers=h
    ).json()
    assert detail["status"] == "succeeded"
    assert detail["attempt_count"] == 1
    assert detail["last_status_code"] == 200
    assert detail["payload"] == body
    [attempt] = detail["attempts"]
    assert attempt["number"] == 1
    assert attempt["status_code"] == 200
    assert attempt["latency_ms"] > 0
    assert attempt["response_snippet"] == '{"ok": true}'
    assert attempt["error"] is None
    assert attempt["next_attempt_at"] is None
    log = client.get(f"{base(world)}/{endpoint['id']}/deliveries", headers=h).json()
    assert [d["id"] for d in log["items"]] == [queued["id"]]
    assert run_jobs() == []  # done: nothing re-sends it
    assert len(receiver.received) == 1


def test_retries_on_the_schedule_then_succeeds(client, session, world, receiver):
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    receiver.replies.extend([Reply(500, b"boom"), Reply(503, b"busy")])
    delivery_id = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()["id"]

    run_jobs()  # attempt 1: 500
    row = delivery_row(session, delivery_id)
    assert (row.status, row.attempt_count, row.last_status_code) == ("pending", 1, 500)
    first = session.execute(select(WebhookAttempt).where(WebhookAttempt.number == 1)).scalar_one()
    assert row.next_attempt_at == first.started_at + timedelta(seconds=5)
    assert first.response_snippet == "boom"

    # Not due yet: nothing is sent.
    assert attempt_delivery(delivery_id, now=row.next_attempt_at - timedelta(seconds=1)) == (
        "skipped"
    )
    assert len(receiver.received) == 1

    second_at = row.next_attempt_at
    assert attempt_delivery(delivery_id, now=second_at) == "pending"  # attempt 2: 503
    row = delivery_row(session, delivery_id)
    assert row.next_attempt_at == second_at + timedelta(seconds=300)

    assert attempt_delivery(delivery_id, now=row.next_attempt_at) == "succeeded"  # attempt 3
    row = delivery_row(session, delivery_id)
    assert (row.status, row.attempt_count, row.next_attempt_at) == ("succeeded", 3, None)

    assert len(receiver.received) == 3
    assert all(r.verified for r in receiver.received)
    assert {r.headers["webhook-id"] for r in receiver.received} == {row.message_id}
    assert {r.body for r in receiver.received} == {row.body.encode()}
    detail = client.get(
        f"{base(world)}/{endpoint['id']}/deliveries/{delivery_id}", headers=h
    ).json()
    assert [a["status_code"] for a in detail["attempts"]] == [500, 503, 200]


def test_the_schedule_runs_out_and_the_delivery_fails(client, session, world, receiver, job_env):
    job_env(WEBHOOKS_RETRY_SCHEDULE_S="5,60")
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    receiver.replies.extend([Reply(500), Reply(500), Reply(500), Reply(200)])
    delivery_id = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()["id"]
    run_jobs()
    for _ in range(2):
        row = delivery_row(session, delivery_id)
        assert row.next_attempt_at is not None
        attempt_delivery(delivery_id, now=row.next_attempt_at)
    row = delivery_row(session, delivery_id)
    assert (row.status, row.attempt_count, row.next_attempt_at) == ("failed", 3, None)
    assert row.finished_at is not None
    assert attempt_delivery(delivery_id, now=row.finished_at + timedelta(days=3)) == "skipped"
    assert len(receiver.received) == 3


def test_the_default_schedule_retries_for_more_than_24_hours():
    schedule = Settings().webhooks_retry_schedule_s
    assert schedule == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert sum(schedule) == 99_305  # ≈ 27.6 h after the first attempt
    assert sum(schedule) > 24 * 3600


def test_retry_after_lengthens_the_next_delay(client, session, world, receiver):
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    receiver.replies.append(Reply(429, b"slow down", {"Retry-After": "900"}))
    delivery_id = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()["id"]
    run_jobs()
    row = delivery_row(session, delivery_id)
    attempt = session.execute(select(WebhookAttempt)).scalar_one()
    assert row.next_attempt_at == attempt.started_at + timedelta(seconds=900)
    assert attempt.response_headers["retry-after"] == "900"


def test_410_gone_disables_the_endpoint(client, session, world, receiver):
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    receiver.replies.append(Reply(410))
    delivery_id = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()["id"]
    run_jobs()
    row = delivery_row(session, delivery_id)
    assert (row.status, row.next_attempt_at, row.last_status_code) == ("failed", None, 410)
    got = client.get(f"{base(world)}/{endpoint['id']}", headers=h).json()
    assert got["enabled"] is False
    assert got["disabled_reason"] == "the receiver answered 410 Gone"
    with pytest.raises(WebhookEndpointDisabled):
        webhooks_service.deliver(
            session,
            org_id=world.a.id,
            endpoint_id=endpoint["id"],
            event_type="alert.fired",
            payload={},
        )
    # Re-enabling clears the reason.
    enabled = client.patch(
        f"{base(world)}/{endpoint['id']}", json={"enabled": True}, headers=h
    ).json()
    assert (enabled["enabled"], enabled["disabled_reason"]) == (True, None)


def test_redirects_are_not_followed(client, session, world, receiver):
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    receiver.replies.append(Reply(307, b"", {"Location": receiver.url("/elsewhere")}))
    delivery_id = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()["id"]
    run_jobs()
    assert [r.path for r in receiver.received] == ["/hooks"]
    row = delivery_row(session, delivery_id)
    assert (row.status, row.last_status_code) == ("pending", 307)
    attempt = session.execute(select(WebhookAttempt)).scalar_one()
    assert attempt.response_headers["location"] == receiver.url("/elsewhere")


def test_a_huge_response_is_cut_short(client, session, world, receiver):
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    receiver.replies.append(Reply(200, b"x" * (2 * 1024 * 1024)))
    delivery_id = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()["id"]
    run_jobs()
    assert delivery_row(session, delivery_id).status == "succeeded"
    attempt = session.execute(select(WebhookAttempt)).scalar_one()
    assert attempt.response_snippet == "x" * 1024


def test_redeliver_sends_the_same_message_again(client, session, world, receiver):
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    first = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()
    url = f"{base(world)}/{endpoint['id']}/deliveries/{first['id']}/redeliver"
    in_progress = client.post(url, headers=h)
    assert in_progress.status_code == 409
    assert in_progress.json()["code"] == "webhook-delivery-in-progress"
    run_jobs()

    response = client.post(url, headers=h)
    assert response.status_code == 202, response.text
    again = response.json()
    assert again["id"] != first["id"]
    assert again["message_id"] == first["message_id"]
    assert again["redelivery_of_id"] == first["id"]
    assert again["status"] == "pending"
    assert run_jobs() == ["webhooks.deliver"]
    assert len(receiver.received) == 2
    assert all(r.verified for r in receiver.received)
    assert receiver.received[0].body == receiver.received[1].body
    assert receiver.received[1].headers["webhook-id"] == first["message_id"]
    assert delivery_row(session, again["id"]).status == "succeeded"
    log = client.get(f"{base(world)}/{endpoint['id']}/deliveries", headers=h).json()
    assert [d["id"] for d in log["items"]] == [again["id"], first["id"]]


def test_the_sweep_queues_only_due_retries(client, session, db, world, receiver):
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    receiver.replies.append(Reply(500))
    delivery_id = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()["id"]
    run_jobs()
    due_at = delivery_row(session, delivery_id).next_attempt_at
    assert due_at is not None

    def queued() -> int:
        stmt = select(func.count()).where(
            JobRecord.name == "webhooks.deliver", JobRecord.status == "pending"
        )
        return int(session.execute(stmt).scalar_one())

    with db.unit_of_work() as uow:
        assert webhooks_service.dispatch_due(uow, now=due_at - timedelta(seconds=1)) == 0
    assert queued() == 0
    with db.unit_of_work() as uow:
        assert webhooks_service.dispatch_due(uow, now=due_at) == 1
    assert queued() == 1


def test_a_worker_that_died_mid_send_is_taken_over_after_its_lease(
    client, session, db, world, receiver, settings
):
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    delivery_id = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()["id"]
    now = delivery_row(session, delivery_id).created_at
    with db.unit_of_work() as uow:  # a worker claims it, then dies before sending
        claimed = webhooks_service.prepare_attempt(
            uow, delivery_id=delivery_id, now=now, settings=settings
        )
    assert claimed is not None
    assert delivery_row(session, delivery_id).status == "sending"
    assert attempt_delivery(delivery_id, now=now + timedelta(seconds=10)) == "skipped"
    assert receiver.received == []
    lease = delivery_row(session, delivery_id).locked_until
    assert lease is not None
    assert attempt_delivery(delivery_id, now=lease + timedelta(seconds=1)) == "succeeded"
    assert len(receiver.received) == 1
    assert receiver.received[0].verified


def test_deliver_for_other_domains(client, db, world, receiver, monkeypatch):
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    with db.unit_of_work() as uow:
        delivery = webhooks_service.deliver(
            uow,
            org_id=world.a.id,
            endpoint_id=endpoint["id"],
            event_type="alert.fired",
            payload={"hello": "world"},
        )
        assert (delivery.status, delivery.event_type, delivery.endpoint_id) == (
            "pending",
            "alert.fired",
            endpoint["id"],
        )
    refusals = [
        (UnknownWebhookEvent, world.a.id, "x.y"),
        (WebhookEndpointNotFound, world.b.id, "alert.fired"),  # another tenant's endpoint
    ]
    monkeypatch.setitem(EVENT_TYPES, "report.ready", "A report is ready")
    changed = client.patch(
        f"{base(world)}/{endpoint['id']}", json={"event_types": ["report.ready"]}, headers=h
    )
    assert changed.json()["event_types"] == ["report.ready"]
    refusals.append((WebhookEventNotSubscribed, world.a.id, "alert.fired"))
    for error, org_id, event_type in refusals:
        with pytest.raises(error), db.unit_of_work() as uow:
            webhooks_service.deliver(
                uow, org_id=org_id, endpoint_id=endpoint["id"], event_type=event_type, payload={}
            )
    assert run_jobs() == ["webhooks.deliver"]  # only the accepted one
    [got] = receiver.received
    assert got.verified
    assert json.loads(got.body)["data"] == {"hello": "world"}
    assert json.loads(got.body)["type"] == "alert.fired"


def test_delete_removes_the_endpoint_and_its_log(client, session, world, receiver):
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    delivery_id = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()["id"]
    assert client.delete(f"{base(world)}/{endpoint['id']}", headers=h).status_code == 204
    assert client.get(f"{base(world)}/{endpoint['id']}", headers=h).status_code == 404
    assert run_jobs() == ["webhooks.deliver"]  # the queued job finds nothing to send
    assert receiver.received == []
    assert attempt_delivery(delivery_id) == "skipped"


def test_prune_deletes_only_finished_deliveries_past_retention(client, session, world, receiver):
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    old = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()
    run_jobs()
    receiver.replies.append(Reply(500))
    pending = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()
    run_jobs()  # fails once: stays pending, a retry is scheduled
    recent = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()
    run_jobs()
    settings = Settings(env="test", webhooks_delivery_retention_days=30)
    long_ago = utcnow() - timedelta(days=31)
    session.expire_all()
    for delivery_id in (old["id"], pending["id"]):
        row = session.get(WebhookDelivery, delivery_id)
        assert row is not None
        row.created_at = long_ago
        if row.finished_at is not None:
            row.finished_at = long_ago
    session.flush()
    assert delivery_row(session, pending["id"]).status == "pending"
    assert webhooks_service.prune(session, now=utcnow(), settings=settings) == 1
    session.expire_all()
    assert session.get(WebhookDelivery, old["id"]) is None
    assert session.get(WebhookDelivery, pending["id"]) is not None
    assert delivery_row(session, recent["id"]).status == "succeeded"
    attempts = session.execute(
        select(func.count())
        .select_from(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == old["id"])
    ).scalar_one()
    assert attempts == 0


def test_rotating_the_secret_signs_with_both_until_the_old_one_expires(
    client, session, world, receiver
):
    """Standard Webhooks rotation: for the grace period every message carries a signature with
    the new secret and one with the old, so a receiver on either verifies it; then only new."""
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    old_secret = receiver.secret
    rotated = client.post(
        f"{base(world)}/{endpoint['id']}/rotate-secret", json={"previous_valid_hours": 2}, headers=h
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != old_secret
    expires = parse_ts(rotated.json()["previous_expires_at"])
    assert timedelta(hours=1, minutes=59) < expires - utcnow() <= timedelta(hours=2)
    stored = endpoint_row(session, endpoint["id"])
    assert new_secret not in stored.secret_enc
    assert old_secret not in (stored.previous_secret_enc or "")

    client.post(f"{base(world)}/{endpoint['id']}/test", headers=h)
    run_jobs()
    [during] = receiver.received
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (old_secret, new_secret):
        verify(secret or "", during.headers, during.body)  # a receiver on either secret

    # The grace period is over: only the new secret signs.
    row = endpoint_row(session, endpoint["id"])
    row.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    client.post(f"{base(world)}/{endpoint['id']}/test", headers=h)
    run_jobs()
    after = receiver.received[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    verify(new_secret, after.headers, after.body)
    with pytest.raises(SignatureError):
        verify(old_secret or "", after.headers, after.body)

    # previous_valid_hours=0 (a leaked secret): the old one stops at once; the body is optional.
    again = client.post(
        f"{base(world)}/{endpoint['id']}/rotate-secret", json={"previous_valid_hours": 0}, headers=h
    )
    assert again.json()["previous_expires_at"] is None
    default = client.post(f"{base(world)}/{endpoint['id']}/rotate-secret", headers=h)
    assert default.status_code == 200
    assert parse_ts(default.json()["previous_expires_at"]) - utcnow() > timedelta(hours=23)
    bad = client.post(
        f"{base(world)}/{endpoint['id']}/rotate-secret",
        json={"previous_valid_hours": 500},
        headers=h,
    )
    assert bad.status_code == 422
    log = client.get(f"/api/v1/orgs/{world.a.id}/audit-log", headers=h).json()["items"]
    rotations = [e for e in log if e["action"] == "webhook.secret_rotated"]
    assert len(rotations) == 3
    assert all(new_secret not in str(e) and old_secret not in str(e) for e in log)
