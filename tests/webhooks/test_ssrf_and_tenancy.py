"""SSRF: private, loopback, link-local, multicast and reserved targets are refused when an
endpoint is saved and again when a message is sent (unless ECOTRACK_WEBHOOKS_ALLOW_PRIVATE).
Tenancy: another organisation's endpoints and deliveries are 404."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from sqlalchemy import select

from ecotrack.webhooks.egress import GuardedTransport, refusal_reason
from ecotrack.webhooks.models import WebhookAttempt, WebhookEndpoint
from tests.webhooks.conftest import run_jobs
from tests.webhooks.helpers import create_endpoint, delivery_row

REFUSED = [
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://127.0.0.1:5432/",
    "http://127.1/",  # a loopback spelling that needs the resolver
    "http://[::1]/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/",
    "http://192.168.1.10/",
    "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    "http://0.0.0.0/",
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://localhost:8080/hook",  # a host name resolving to loopback
    "http://user:pw@93.184.215.14/hook",  # credentials in the URL
]


def base(world) -> str:
    return f"/api/v1/orgs/{world.a.id}/webhooks"


@pytest.mark.parametrize("url", REFUSED)
def test_private_targets_are_refused_at_save_time(client, session, world, url):
    h = world.headers("org_admin")
    response = client.post(base(world), json={"url": url}, headers=h)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "webhook-url-refused"
    assert body["errors"][0]["loc"] == ["body", "url"]
    assert client.get(base(world), headers=h).json()["total"] == 0
    assert session.execute(select(WebhookEndpoint)).first() is None


def test_non_http_schemes_are_refused(client, world):
    h = world.headers("org_admin")
    for url in ("ftp://93.184.215.14/", "file:///etc/passwd", "gopher://93.184.215.14/"):
        response = client.post(base(world), json={"url": url}, headers=h)
        assert response.status_code == 422
        assert response.json()["code"] == "validation-failed"


def test_a_public_address_is_accepted(client, world):
    # An IP literal: accepted without any DNS lookup (and nothing is sent in this test).
    h = world.headers("org_admin")
    response = client.post(base(world), json={"url": "https://93.184.215.14/hook"}, headers=h)
    assert response.status_code == 201, response.text


def test_changing_the_url_to_a_private_target_is_refused(client, session, world):
    h = world.headers("org_admin")
    created = client.post(base(world), json={"url": "https://93.184.215.14/a"}, headers=h).json()
    response = client.patch(
        f"{base(world)}/{created['id']}", json={"url": "http://169.254.169.254/"}, headers=h
    )
    assert response.status_code == 422
    assert response.json()["code"] == "webhook-url-refused"
    assert client.get(f"{base(world)}/{created['id']}", headers=h).json()["url"] == (
        "https://93.184.215.14/a"
    )


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("10.0.0.1", "private"),
        ("224.0.0.251", "multicast"),
        ("::", "unspecified"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 around 127.0.0.1
        ("93.184.215.14", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_refusal_reasons(address, reason):
    assert refusal_reason(ipaddress.ip_address(address)) == reason


def test_delivery_re_checks_the_target(client, session, world, receiver, app, job_env):
    """Saved while private targets were allowed; refused at send time once they are not."""
    job_env(WEBHOOKS_ALLOW_PRIVATE="true")
    app.state.settings = app.state.settings.model_copy(update={"webhooks_allow_private": True})
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    delivery_id = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()["id"]
    job_env(WEBHOOKS_ALLOW_PRIVATE="false")
    run_jobs()
    assert receiver.received == []
    row = delivery_row(session, delivery_id)
    assert row.status == "pending"  # retried on the schedule, refused each time
    assert row.last_status_code is None
    attempt = session.execute(select(WebhookAttempt)).scalar_one()
    assert attempt.status_code is None
    assert attempt.error == "refused: 127.0.0.1 resolves to 127.0.0.1, a loopback address"


def test_the_transport_refuses_at_connect_time(receiver):
    """The guard inside the connection (what defeats DNS rebinding): a name resolving to
    loopback is refused even when nothing checked the URL first."""
    with httpx.Client(transport=GuardedTransport(allow_private=False)) as client:
        with pytest.raises(httpx.ConnectError, match="refused: localhost resolves to"):
            client.post(receiver.url(host="localhost"), content=b"{}")
    assert receiver.received == []
    with httpx.Client(transport=GuardedTransport(allow_private=True)) as client:
        assert client.post(receiver.url(host="localhost"), content=b"{}").status_code == 200
    assert len(receiver.received) == 1


def test_other_organisations_get_404(client, session, world, receiver, private_allowed):
    del private_allowed
    h = world.headers("org_admin")
    endpoint = create_endpoint(client, h, world.a.id, receiver)
    delivery_id = client.post(f"{base(world)}/{endpoint['id']}/test", headers=h).json()["id"]
    run_jobs()
    b_owner = world.headers("other_org_user")
    a_paths = [
        ("GET", f"{base(world)}/{endpoint['id']}"),
        ("PATCH", f"{base(world)}/{endpoint['id']}"),
        ("DELETE", f"{base(world)}/{endpoint['id']}"),
        ("POST", f"{base(world)}/{endpoint['id']}/test"),
        ("GET", f"{base(world)}/{endpoint['id']}/deliveries"),
        ("GET", f"{base(world)}/{endpoint['id']}/deliveries/{delivery_id}"),
        ("POST", f"{base(world)}/{endpoint['id']}/deliveries/{delivery_id}/redeliver"),
    ]
    b_base = f"/api/v1/orgs/{world.b.id}/webhooks"
    b_paths = [(m, p.replace(base(world), b_base)) for m, p in a_paths]
    for method, path in a_paths:  # B's owner on A's organisation
        body = {"enabled": False} if method == "PATCH" else None
        response = client.request(method, path, headers=b_owner, json=body)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "org-not-found"
    for method, path in b_paths:  # B's owner on A's endpoint through B's organisation
        body = {"enabled": False} if method == "PATCH" else None
        response = client.request(method, path, headers=b_owner, json=body)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "webhook-endpoint-not-found"
    # Nothing changed: still enabled, one delivery, one message received.
    got = client.get(f"{base(world)}/{endpoint['id']}", headers=h).json()
    assert got["enabled"] is True
    assert client.get(f"{base(world)}/{endpoint['id']}/deliveries", headers=h).json()["total"] == 1
    assert len(receiver.received) == 1


def test_endpoint_changes_are_audited_without_the_secret(
    client, world, receiver, private_allowed
) -> None:
    h = world.headers("org_admin")
    created = create_endpoint(client, h, world.a.id, receiver)
    base = f"/api/v1/orgs/{world.a.id}/webhooks/{created['id']}"
    assert client.patch(base, json={"enabled": False}, headers=h).status_code == 200
    assert client.delete(base, headers=h).status_code == 204
    log = client.get(f"/api/v1/orgs/{world.a.id}/audit-log", headers=h).json()["items"]
    mine = [e for e in log if e["resource_type"] == "webhook_endpoint"]
    assert [e["action"] for e in mine] == ["webhook.deleted", "webhook.updated", "webhook.created"]
    assert mine[1]["details"]["enabled"] is False
    assert mine[1]["details"]["fields"] == ["enabled"]
    assert mine[2]["details"]["url"] == created["url"]
    assert all(created["secret"] not in str(e) for e in log)
