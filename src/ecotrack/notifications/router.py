"""Notifications of the signed-in user (`/api/v1/notifications…`) and their event stream."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import StreamingResponse

from ecotrack.core.deps import AppSettings, DbSession
from ecotrack.core.errors import AppError, problem_responses
from ecotrack.core.pagination import Paging
from ecotrack.identity.auth import CurrentUser
from ecotrack.notifications import stream
from ecotrack.notifications.schemas import (
    Notification,
    NotificationPage,
    NotificationPreferences,
    NotificationPreferencesUpdate,
    ReadAll,
)
from ecotrack.notifications.service import notifications_service

router = APIRouter(tags=["notifications"])

MAX_ID = 2**31 - 1
NotificationId = Annotated[int, Path(ge=1, le=MAX_ID, description="Notification id")]


class NotAcceptable(AppError):
    status_code = 406
    code = "not-acceptable"


@router.get(
    "/notifications",
    response_model=NotificationPage,
    status_code=200,
    summary="My notifications, newest first",
    responses=problem_responses(401),
)
def list_notifications(
    user: CurrentUser,
    session: DbSession,
    page: Paging,
    unread: Annotated[
        bool | None, Query(description="true: unread only; false: read only; omit: all")
    ] = None,
) -> NotificationPage:
    return notifications_service.list_notifications(
        session, user_id=user.id, unread=unread, page=page
    )


@router.post(
    "/notifications/read-all",
    response_model=ReadAll,
    status_code=200,
    summary="Mark all my notifications read",
    responses=problem_responses(401, 403),
)
def read_all_notifications(user: CurrentUser, session: DbSession) -> ReadAll:
    return ReadAll(marked=notifications_service.mark_all_read(session, user_id=user.id))


@router.post(
    "/notifications/{notification_id}/read",
    response_model=Notification,
    status_code=200,
    summary="Mark one of my notifications read",
    responses=problem_responses(401, 403, 404),
)
def read_notification(
    notification_id: NotificationId, user: CurrentUser, session: DbSession
) -> Any:
    return notifications_service.mark_read(
        session, user_id=user.id, notification_id=notification_id
    )


@router.get(
    "/notifications/preferences",
    response_model=NotificationPreferences,
    status_code=200,
    summary="Which notifications I also get by email",
    responses=problem_responses(401),
)
def get_notification_preferences(user: CurrentUser, session: DbSession) -> NotificationPreferences:
    return notifications_service.get_preferences(session, user_id=user.id)


@router.patch(
    "/notifications/preferences",
    response_model=NotificationPreferences,
    status_code=200,
    summary="Change which notifications I also get by email",
    responses=problem_responses(401, 403),
)
def update_notification_preferences(
    prefs_in: NotificationPreferencesUpdate, user: CurrentUser, session: DbSession
) -> NotificationPreferences:
    return notifications_service.update_preferences(session, user_id=user.id, prefs_in=prefs_in)


@router.get(
    "/notifications/stream",
    response_model=None,
    response_class=StreamingResponse,
    status_code=200,
    summary="My notifications and leaderboard changes as Server-Sent Events",
    description=(
        "Send `Accept: text/event-stream` (EventSource does). Authenticates with the bearer "
        "header or the web app's access cookie. Events: `notification` (with `id`, resume with "
        "`Last-Event-ID`) and `leaderboard.changed`; `: keep-alive` comments in between. The "
        "stream ends after a maximum lifetime: reconnect. Too many streams per user: 429."
    ),
    responses={
        200: {
            "description": "An endless `text/event-stream`",
            "content": {stream.EVENT_STREAM: {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 406, 429, 503),
    },
)
async def stream_notifications(
    request: Request,
    user: CurrentUser,
    settings: AppSettings,
    last_event_id: Annotated[
        int | None,
        Header(
            alias="Last-Event-ID",
            ge=0,
            le=MAX_ID,
            description="Replay my notifications after this id first",
        ),
    ] = None,
) -> StreamingResponse:
    if stream.EVENT_STREAM not in request.headers.get("accept", ""):
        raise NotAcceptable("This endpoint answers text/event-stream only; send that Accept header")
    listener = await stream.open_listener(user.id, settings)
    return StreamingResponse(
        stream.events(
            listener=listener,
            db=request.app.state.db,
            settings=settings,
            last_event_id=last_event_id,
        ),
        media_type=stream.EVENT_STREAM,
        headers=stream.HEADERS,
    )
