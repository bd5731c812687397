"""Notifications: list (paged, unread filter), mark read, read-all, preferences, the event
subscriptions of the contract (deduplicated), email per preference, export and erasure."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ecotrack.core.events import publish
from ecotrack.email.service import email_service
from ecotrack.notifications.models import Notification
from ecotrack.notifications.service import notifications_service
from tests.principals import auth_headers, make_user

URL = "/api/v1/notifications"


@pytest.fixture
def user(session):  # type: ignore[no-untyped-def]
    return make_user(session)


@pytest.fixture
def headers(session, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return auth_headers(session, user)


def seed(session, user_id: int, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    ids = [
        notifications_service.notify(
            session, user_id=user_id, kind="test", title=f"Note {i}", body=f"Body {i}"
        ).id
        for i in range(n)
    ]
    session.commit()
    return ids


def count(session, user_id: int) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.execute(
        select(func.count()).select_from(Notification).where(Notification.user_id == user_id)
    ).scalar_one()


def test_list_is_newest_first_paged_and_filtered(client, session, user, headers) -> None:
    ids = seed(session, user.id, 5)
    other = make_user(session)
    seed(session, other.id, 2)
    page = client.get(URL, headers=headers, params={"limit": 2, "offset": 1}).json()
    assert [item["id"] for item in page["items"]] == [ids[3], ids[2]]
    assert (page["total"], page["unread"], page["limit"], page["offset"]) == (5, 5, 2, 1)
    first = page["items"][0]
    assert first["title"] == "Note 3"
    assert first["body"] == "Body 3"
    assert first["kind"] == "test"
    assert first["data"] == {}
    assert first["read_at"] is None

    read = client.post(f"{URL}/{ids[1]}/read", headers=headers)
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    again = client.post(f"{URL}/{ids[1]}/read", headers=headers).json()
    assert again["read_at"] == read.json()["read_at"]  # idempotent

    unread = client.get(URL, headers=headers, params={"unread": "true"}).json()
    assert [item["id"] for item in unread["items"]] == [ids[4], ids[3], ids[2], ids[0]]
    assert (unread["total"], unread["unread"]) == (4, 4)
    read_only = client.get(URL, headers=headers, params={"unread": "false"}).json()
    assert [item["id"] for item in read_only["items"]] == [ids[1]]


def test_read_all_marks_only_mine(client, session, user, headers) -> None:
    seed(session, user.id, 3)
    other = make_user(session)
    seed(session, other.id, 2)
    assert client.post(f"{URL}/read-all", headers=headers).json() == {"marked": 3}
    assert client.post(f"{URL}/read-all", headers=headers).json() == {"marked": 0}
    assert client.get(URL, headers=headers).json()["unread"] == 0
    other_headers = auth_headers(session, other)
    assert client.get(URL, headers=other_headers).json()["unread"] == 2


def test_another_users_notification_is_a_404_and_stays_unread(client, session, headers) -> None:
    other = make_user(session)
    (theirs,) = seed(session, other.id, 1)
    response = client.post(f"{URL}/{theirs}/read", headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == "notification-not-found"
    session.expire_all()
    assert session.get(Notification, theirs).read_at is None


def test_preferences_default_and_update(client, headers) -> None:
    prefs = f"{URL}/preferences"
    defaults = {"email_goal_achieved": True, "email_challenge_completed": True}
    assert client.get(prefs, headers=headers).json() == defaults
    changed = client.patch(prefs, headers=headers, json={"email_challenge_completed": False})
    assert changed.json() == {"email_goal_achieved": True, "email_challenge_completed": False}
    assert client.get(prefs, headers=headers).json() == changed.json()
    bad = client.patch(prefs, headers=headers, json={"email_everything": True})
    assert bad.status_code == 422
    assert client.get(prefs, headers=headers).json() == changed.json()


def test_contract_events_create_notifications_once(db, session, user) -> None:
    for _ in range(2):  # a repeated event is one notification
        with db.unit_of_work() as uow:
            publish(uow, "challenge.completed", user_id=user.id, challenge_id=7, name="Car-free")
            publish(uow, "badge.earned", user_id=user.id, badge="first-log", name="First log")
            publish(uow, "level.reached", user_id=user.id, level=3)
    rows = session.execute(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).scalars()
    assert [(n.kind, n.title, n.data, n.emailed) for n in rows] == [
        ("challenge.completed", "Challenge completed: Car-free", {"challenge_id": 7}, True),
        ("badge.earned", "New badge: First log", {"badge": "first-log"}, False),
        ("level.reached", "Level 3 reached", {"level": 3}, False),
    ]
    mails = email_service.messages_to(session, to=user.email)
    assert [(m.template, m.subject) for m in mails] == [("notice", "Challenge completed: Car-free")]


def test_challenge_email_follows_the_preference(client, db, session, user, headers) -> None:
    client.patch(f"{URL}/preferences", headers=headers, json={"email_challenge_completed": False})
    with db.unit_of_work() as uow:
        publish(uow, "challenge.completed", user_id=user.id, challenge_id=1, name="Meat-free")
    assert count(session, user.id) == 1
    assert email_service.messages_to(session, to=user.email) == []


def test_unverified_users_get_no_email(db, session) -> None:
    user = make_user(session, verified=False)
    with db.unit_of_work() as uow:
        publish(uow, "challenge.completed", user_id=user.id, challenge_id=1, name="Meat-free")
    assert count(session, user.id) == 1
    assert email_service.messages_to(session, to=user.email) == []


def test_rolled_back_notification_leaves_nothing(session, user) -> None:
    notifications_service.notify(session, user_id=user.id, kind="test", title="t", body="b")
    session.rollback()
    assert count(session, user.id) == 0


def test_export_and_erasure(session, user) -> None:
    seed(session, user.id, 2)
    other = make_user(session)
    seed(session, other.id, 1)
    exported = notifications_service.export_user(session, user_id=user.id)
    assert [n["title"] for n in exported["notifications"]] == ["Note 0", "Note 1"]
    assert exported["preferences"] == {
        "email_goal_achieved": True,
        "email_challenge_completed": True,
    }
    publish(session, "user.erased", user_id=user.id)
    session.commit()
    assert count(session, user.id) == 0
    assert count(session, other.id) == 1


def test_stream_needs_the_event_stream_accept_header(client, headers) -> None:
    response = client.get(f"{URL}/stream", headers=headers)
    assert response.status_code == 406
    assert response.json()["code"] == "not-acceptable"
    anonymous = client.get(f"{URL}/stream", headers={"Accept": "text/event-stream"})
    assert anonymous.status_code == 401
