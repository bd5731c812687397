"""Notifications: rows per user, email per preference, real-time pushes after commit.

Other domains do not import this module: they publish events (`goal.achieved`,
`challenge.completed`, `badge.earned`, `level.reached`, `leaderboard.changed`) and the handlers
below turn them into notifications in the same transaction. `notify()` is there for direct use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.core.db import utcnow
from ecotrack.core.errors import NotFoundError
from ecotrack.core.events import subscribe
from ecotrack.core.pagination import PageParams
from ecotrack.notifications import repository
from ecotrack.notifications.models import Notification, NotificationPreference
from ecotrack.notifications.realtime import RealtimeMessage, push_after_commit
from ecotrack.notifications.schemas import (
    Notification as NotificationOut,
)
from ecotrack.notifications.schemas import (
    NotificationPage,
    NotificationPreferences,
    NotificationPreferencesUpdate,
)
from ecotrack.orgs.service import orgs_service

# The kinds that may also go out by email, and the preference that governs each.
EMAIL_PREFERENCE = {
    "goal.achieved": "email_goal_achieved",
    "challenge.completed": "email_challenge_completed",
}
DEFAULT_PREFERENCES = NotificationPreferences(
    email_goal_achieved=True, email_challenge_completed=True
)
REPLAY_LIMIT = 500


class NotificationNotFound(NotFoundError):
    code = "notification-not-found"


def serialise(notification: Notification) -> dict[str, Any]:
    return NotificationOut.model_validate(notification).model_dump(mode="json")


class NotificationsService:
    def notify(
        self,
        session: Session,
        *,
        user_id: int,
        kind: str,
        title: str,
        body: str,
        data: dict[str, Any] | None = None,
        email: bool = False,
        dedupe_key: str | None = None,
    ) -> Notification:
        """Store a notification for `user_id`, push it to their open streams after the commit,
        and when `email` is true and the user's preference for `kind` allows it, send it by
        email (an outbox row and an `email.send` job after the commit). With `dedupe_key`, a
        second call for the same fact returns the first notification and changes nothing."""
        if dedupe_key is not None:
            existing = repository.get_by_key(session, user_id=user_id, dedupe_key=dedupe_key)
            if existing is not None:
                return existing
        notification = repository.add(
            session,
            Notification(
                user_id=user_id,
                kind=kind[:40],
                title=title[:200],
                body=body[:2000],
                data=data or {},
                dedupe_key=dedupe_key,
                read_at=None,
                created_at=utcnow(),
            ),
        )
        if email and self.wants_email(session, user_id=user_id, kind=kind):
            notification.emailed = self._email(session, user_id=user_id, title=title, body=body)
        session.flush()
        push_after_commit(
            session,
            RealtimeMessage(
                event="notification",
                data=serialise(notification),
                user_id=user_id,
                id=notification.id,
            ),
        )
        return notification

    def _email(self, session: Session, *, user_id: int, title: str, body: str) -> bool:
        # Late imports: identity and email are leaves this domain uses, never the reverse.
        from ecotrack.email.service import email_service
        from ecotrack.identity.service import identity_service

        user = identity_service.get_user(session, user_id=user_id)
        if user is None or not user.is_active or not user.is_verified or user.erased_at:
            return False
        email_service.send(
            session, to=user.email, template="notice", context={"title": title, "message": body}
        )
        return True

    # --- preferences ------------------------------------------------------------------------

    def get_preferences(self, session: Session, *, user_id: int) -> NotificationPreferences:
        row = repository.get_preferences(session, user_id=user_id)
        if row is None:
            return DEFAULT_PREFERENCES.model_copy()
        return NotificationPreferences.model_validate(row)

    def update_preferences(
        self, session: Session, *, user_id: int, prefs_in: NotificationPreferencesUpdate
    ) -> NotificationPreferences:
        row = repository.get_preferences(session, user_id=user_id)
        if row is None:
            row = NotificationPreference(user_id=user_id, **DEFAULT_PREFERENCES.model_dump())
            session.add(row)
        for name, value in prefs_in.model_dump(exclude_unset=True).items():
            if value is not None:
                setattr(row, name, value)
        session.flush()
        return NotificationPreferences.model_validate(row)

    def wants_email(self, session: Session, *, user_id: int, kind: str) -> bool:
        preference = EMAIL_PREFERENCE.get(kind)
        if preference is None:
            return False
        return bool(getattr(self.get_preferences(session, user_id=user_id), preference))

    # --- reading ----------------------------------------------------------------------------

    def list_notifications(
        self, session: Session, *, user_id: int, unread: bool | None, page: PageParams
    ) -> NotificationPage:
        rows, total = repository.list_for_user(
            session, user_id=user_id, unread=unread, limit=page.limit, offset=page.offset
        )
        return NotificationPage(
            items=[NotificationOut.model_validate(row) for row in rows],
            total=total,
            unread=repository.count_unread(session, user_id=user_id),
            limit=page.limit,
            offset=page.offset,
        )

    def mark_read(self, session: Session, *, user_id: int, notification_id: int) -> Notification:
        """Mark one of the user's notifications read (idempotent); another user's is a 404."""
        notification = repository.get_for_user(
            session, user_id=user_id, notification_id=notification_id
        )
        if notification is None:
            raise NotificationNotFound(f"No notification {notification_id}")
        if notification.read_at is None:
            notification.read_at = utcnow()
            session.flush()
        return notification

    def mark_all_read(self, session: Session, *, user_id: int) -> int:
        marked = repository.mark_all_read(session, user_id=user_id, now=utcnow())
        session.expire_all()
        return marked

    def since(self, session: Session, *, user_id: int, after_id: int) -> list[dict[str, Any]]:
        """The user's notifications after `after_id` (the stream's Last-Event-ID), oldest first."""
        rows = repository.since(session, user_id=user_id, after_id=after_id, limit=REPLAY_LIMIT)
        return [serialise(row) for row in rows]

    # --- real time --------------------------------------------------------------------------

    def broadcast(
        self,
        session: Session,
        *,
        event: str,
        data: dict[str, Any],
        audience: list[int] | None = None,
    ) -> None:
        """Push `event` after the commit (no row is stored) to the open streams of `audience`,
        or of everyone when it is None."""
        push_after_commit(
            session,
            RealtimeMessage(
                event=event, data=data, audience=None if audience is None else tuple(audience)
            ),
        )

    # --- privacy ----------------------------------------------------------------------------

    def erase_user(self, session: Session, *, user_id: int) -> int:
        return repository.delete_for_user(session, user_id=user_id)

    def export_user(self, session: Session, *, user_id: int) -> dict[str, Any]:
        return {
            "preferences": self.get_preferences(session, user_id=user_id).model_dump(),
            "notifications": [
                serialise(row) for row in repository.all_for_user(session, user_id=user_id)
            ],
        }

    def prune(self, session: Session, *, older_than_days: int) -> int:
        from datetime import timedelta

        return repository.delete_read_before(
            session, before=utcnow() - timedelta(days=older_than_days)
        )


notifications_service = NotificationsService()


# --- event subscriptions (the contract of issue 5) ------------------------------------------


@subscribe("goal.achieved")
def _goal_achieved(session: Session, *, user_id: int, goal_id: int, name: str, **_: Any) -> None:
    notifications_service.notify(
        session,
        user_id=user_id,
        kind="goal.achieved",
        title=f"Goal reached: {name}",
        body=f"Well done: you reached your goal \u201c{name}\u201d.",
        data={"goal_id": goal_id},
        email=True,
        dedupe_key=f"goal.achieved:{goal_id}",
    )


@subscribe("challenge.completed")
def _challenge_completed(
    session: Session, *, user_id: int, challenge_id: int, name: str, **_: Any
) -> None:
    notifications_service.notify(
        session,
        user_id=user_id,
        kind="challenge.completed",
        title=f"Challenge completed: {name}",
        body=f"Congratulations: you completed the challenge \u201c{name}\u201d.",
        data={"challenge_id": challenge_id},
        email=True,
        dedupe_key=f"challenge.completed:{challenge_id}",
    )


@subscribe("badge.earned")
def _badge_earned(session: Session, *, user_id: int, badge: str, name: str, **_: Any) -> None:
    notifications_service.notify(
        session,
        user_id=user_id,
        kind="badge.earned",
        title=f"New badge: {name}",
        body=f"You earned the badge \u201c{name}\u201d.",
        data={"badge": badge},
        dedupe_key=f"badge.earned:{badge}"[:100],
    )


@subscribe("level.reached")
def _level_reached(session: Session, *, user_id: int, level: int, **_: Any) -> None:
    notifications_service.notify(
        session,
        user_id=user_id,
        kind="level.reached",
        title=f"Level {level} reached",
        body=f"You reached level {level}. Keep going!",
        data={"level": level},
        dedupe_key=f"level.reached:{level}",
    )


@subscribe("leaderboard.changed")
def _leaderboard_changed(session: Session, *, scope: str, scope_id: int | None, **_: Any) -> None:
    """The global board: every stream (any signed-in user may read it). An organisation's
    board: only its members' streams (the others may not read it, nor learn it moved)."""
    audience = None
    if scope == "org" and scope_id is not None:
        audience = orgs_service.member_user_ids(session, org_id=scope_id)
    notifications_service.broadcast(
        session,
        event="leaderboard.changed",
        data={"scope": scope, "scope_id": scope_id},
        audience=audience,
    )


@subscribe("user.erased")
def _erase(session: Session, *, user_id: int, **_: Any) -> None:
    notifications_service.erase_user(session, user_id=user_id)


@subscribe("privacy.export_requested")
def _export(session: Session, *, user_id: int, add: Callable[[str, Any], None]) -> None:
    add(
        "notifications/notifications.json",
        notifications_service.export_user(session, user_id=user_id),
    )
