"""The Server-Sent Events stream over real HTTP: delivery after commit from another request,
Last-Event-ID replay, heartbeats, limits, cookie auth, broadcasts, and Redis fan-out between two
app instances (one in a subprocess)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from ecotrack.app import create_app
from ecotrack.core.events import publish
from ecotrack.core.settings import get_settings
from ecotrack.notifications.realtime import CHANNEL, reset_realtime
from ecotrack.notifications.service import notifications_service
from ecotrack.orgs.context import Actor
from ecotrack.orgs.schemas import OrgCreate
from ecotrack.orgs.service import orgs_service
from tests.goals.helpers import ago, annual_goal, today
from tests.notifications.conftest import (
    SECRET,
    ServerThread,
    StreamReader,
    live_settings,
    wait_healthy,
    write_server_script,
)
from tests.principals import PASSWORD, make_user

STREAM = "/api/v1/notifications/stream"


def new_user(live_db, live_url: str) -> Any:  # type: ignore[no-untyped-def]
    with live_db.session_factory() as session:
        user = make_user(session, settings=live_settings(live_url))
        session.expunge(user)
        return user


def token(base: str, email: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert response.status_code == 200, response.text
    access: str = response.json()["access_token"]
    return access


def notify(live_db, user_id: int, title: str) -> int:  # type: ignore[no-untyped-def]
    with live_db.unit_of_work() as session:
        return notifications_service.notify(
            session, user_id=user_id, kind="test", title=title, body="b"
        ).id


@pytest.fixture
def server(live_db, live_url):  # type: ignore[no-untyped-def]
    app = create_app(live_settings(live_url), db=live_db, run_jobs=False)
    with ServerThread(app) as base:
        yield base


def test_stream_delivers_a_notification_created_by_another_request(
    server, live_db, live_url
) -> None:
    user = new_user(live_db, live_url)
    bearer = {"Authorization": f"Bearer {token(server, user.email)}"}
    for days in (25, 15, 5, 1):
        response = httpx.post(
            f"{server}/api/v1/activities",
            headers=bearer,
            json={
                "activity": "bus",
                "amount": 10,
                "unit": "km",
                "occurred_on": ago(days).isoformat(),
            },
        )
        assert response.status_code == 201, response.text
    reader = StreamReader(f"{server}{STREAM}", bearer).start()
    assert reader.status == 200
    assert reader.content_type.startswith("text/event-stream")
    # Another request reaches a goal: goal.achieved -> a notification -> pushed after commit.
    goal_body = annual_goal(
        name="Quiet month",
        start_on=ago(40).isoformat(),
        target_date=(today() + timedelta(days=100)).isoformat(),
        target_kg_per_year=5000,
    )
    created = httpx.post(f"{server}/api/v1/goals", headers=bearer, json=goal_body)
    assert created.status_code == 201, created.text
    assert created.json()["is_achieved"] is True
    event = reader.next()
    assert event is not None
    assert event.event == "notification"
    assert event.data["kind"] == "goal.achieved"
    assert event.data["title"] == "Goal reached: Quiet month"
    assert event.data["data"] == {"goal_id": created.json()["id"]}
    listed = httpx.get(f"{server}/api/v1/notifications", headers=bearer).json()
    achieved = [item["id"] for item in listed["items"] if item["kind"] == "goal.achieved"]
    assert achieved == [int(event.id or 0)]
    reader.close()


def test_only_committed_notifications_of_the_user_are_pushed(server, live_db, live_url) -> None:
    user = new_user(live_db, live_url)
    other = new_user(live_db, live_url)
    reader = StreamReader(
        f"{server}{STREAM}", {"Authorization": f"Bearer {token(server, user.email)}"}
    ).start()
    with pytest.raises(RuntimeError), live_db.unit_of_work() as session:  # noqa: PT012
        notifications_service.notify(session, user_id=user.id, kind="test", title="gone", body="")
        raise RuntimeError("roll back")
    notify(live_db, other.id, "not yours")
    kept = notify(live_db, user.id, "kept")
    event = reader.next()
    assert event is not None
    assert (event.id, event.data["title"]) == (str(kept), "kept")
    assert reader.nothing_for(0.5)


def test_last_event_id_replays_from_the_table(server, live_db, live_url) -> None:
    user = new_user(live_db, live_url)
    ids = [notify(live_db, user.id, f"n{i}") for i in range(3)]
    headers = {"Authorization": f"Bearer {token(server, user.email)}", "Last-Event-ID": str(ids[0])}
    reader = StreamReader(f"{server}{STREAM}", headers).start()
    replayed = [reader.next(), reader.next()]
    assert [(e.id, e.data["title"]) for e in replayed if e] == [
        (str(ids[1]), "n1"),
        (str(ids[2]), "n2"),
    ]
    live = notify(live_db, user.id, "n3")
    event = reader.next()
    assert event is not None
    assert event.id == str(live)


def test_heartbeats_and_leaderboard_broadcasts(server, live_db, live_url) -> None:
    """An organisation's board change reaches its members' streams only; the global board's
    reaches everyone."""
    member = new_user(live_db, live_url)
    outsider = new_user(live_db, live_url)
    with live_db.unit_of_work() as session:
        org = orgs_service.create_org(
            session,
            actor=Actor(user_id=member.id),
            owner_id=member.id,
            org_in=OrgCreate(name="Board Co", slug=f"board-{member.id}"),
            settings=live_settings(live_url),
        )
        org_id = org.id
    readers = {}
    for name, user in (("member", member), ("outsider", outsider)):
        readers[name] = StreamReader(
            f"{server}{STREAM}", {"Authorization": f"Bearer {token(server, user.email)}"}
        ).start()
        first = readers[name].next(skip_comments=False)
        assert first is not None
        assert first.comment == "keep-alive"
    with live_db.unit_of_work() as session:
        publish(session, "leaderboard.changed", scope="org", scope_id=org_id)
    with live_db.unit_of_work() as session:
        publish(session, "leaderboard.changed", scope="global", scope_id=None)
    seen = {}
    for name, reader in readers.items():
        events = []
        while len(events) < 2:
            event = reader.next()
            assert event is not None
            if event.event == "leaderboard.changed":
                events.append(event.data)
            if event.data == {"scope": "global", "scope_id": None}:
                break
        seen[name] = events
    assert seen["member"] == [
        {"scope": "org", "scope_id": org_id},
        {"scope": "global", "scope_id": None},
    ]
    assert seen["outsider"] == [{"scope": "global", "scope_id": None}]


def test_cookie_auth_and_the_per_user_limit(live_db, live_url) -> None:
    settings = live_settings(live_url, notifications_stream_per_user=1)
    user = new_user(live_db, live_url)
    with ServerThread(create_app(settings, db=live_db, run_jobs=False)) as base:
        login = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"email": user.email, "password": PASSWORD, "use_cookies": True},
        )
        assert login.status_code == 200
        assert login.json()["access_token"] is None
        cookies = dict(login.cookies)
        first = StreamReader(f"{base}{STREAM}", {}, cookies=cookies).start()
        assert first.status == 200
        second = StreamReader(f"{base}{STREAM}", {}, cookies=cookies).start()
        assert second.status == 429
        assert '"code":"too-many-streams"' in second.body.replace(" ", "")
        note = notify(live_db, user.id, "via cookie")
        event = first.next()
        assert event is not None
        assert event.id == str(note)


def test_the_stream_ends_after_its_lifetime(live_db, live_url) -> None:
    settings = live_settings(live_url, notifications_stream_max_s=1.0)
    user = new_user(live_db, live_url)
    with ServerThread(create_app(settings, db=live_db, run_jobs=False)) as base:
        reader = StreamReader(
            f"{base}{STREAM}", {"Authorization": f"Bearer {token(base, user.email)}"}
        ).start()
        assert reader.ended.wait(10)
        # The stream is released: the user may open another one.
        again = StreamReader(
            f"{base}{STREAM}", {"Authorization": f"Bearer {token(base, user.email)}"}
        ).start()
        assert again.status == 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_redis_fans_out_between_two_app_instances(
    live_db, live_url, redis_url, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("ECOTRACK_REDIS_URL", redis_url)
    get_settings.cache_clear()
    reset_realtime()
    settings = live_settings(live_url, redis_url=redis_url)
    port = free_port()
    env = {
        **os.environ,
        "ECOTRACK_DATABASE_URL": live_url,
        "ECOTRACK_REDIS_URL": redis_url,
        "ECOTRACK_SECRET_KEY": SECRET,
        "ECOTRACK_PASSWORD_HASH_PROFILE": "test",
        "ECOTRACK_NOTIFICATIONS_STREAM_HEARTBEAT_S": "0.3",
        "ECOTRACK_RATE_LIMIT_PER_MINUTE": "100000",
    }
    script = write_server_script(tmp_path / "serve.py")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(script), str(port)], env=env
    )
    bus = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    bus.subscribe(CHANNEL)
    try:
        other_instance = f"http://127.0.0.1:{port}"
        wait_healthy(other_instance)
        user = new_user(live_db, live_url)
        with ServerThread(create_app(settings, db=live_db, run_jobs=False)) as this_instance:
            bearer = {"Authorization": f"Bearer {token(this_instance, user.email)}"}
            reader = StreamReader(f"{other_instance}{STREAM}", bearer).start()
            assert reader.status == 200
            # Requests to this instance reach a goal; the stream held by the other process
            # receives the notification through Redis.
            for days in (25, 15, 5, 1):
                logged = httpx.post(
                    f"{this_instance}/api/v1/activities",
                    headers=bearer,
                    json={
                        "activity": "bus",
                        "amount": 10,
                        "unit": "km",
                        "occurred_on": ago(days).isoformat(),
                    },
                )
                assert logged.status_code == 201, logged.text
            goal_body = annual_goal(
                name="Over Redis",
                start_on=ago(40).isoformat(),
                target_date=(today() + timedelta(days=100)).isoformat(),
                target_kg_per_year=5000,
            )
            created = httpx.post(f"{this_instance}/api/v1/goals", headers=bearer, json=goal_body)
            assert created.json()["is_achieved"] is True
            event = reader.next()
            while event is not None and event.data.get("kind") != "goal.achieved":
                event = reader.next()  # other domains may notify too (badges, levels)
            assert event is not None
            assert event.data["title"] == "Goal reached: Over Redis"
            raw: list[bytes] = []
            for _ in range(50):
                message = bus.get_message(timeout=0.2)
                if message is not None:
                    raw.append(message["data"])
            assert any(b"Goal reached: Over Redis" in item for item in raw)
            reader.close()
    finally:
        bus.close()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        reset_realtime()
        get_settings.cache_clear()
