"""AI-usage alerts of an organisation (`…/alerts`) and its in-app notifications
(`…/notifications`). Members read (viewer and above); admins write."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from ecotrack.alerts.schemas import (
    Alert,
    AlertCreate,
    AlertEvaluation,
    AlertFiring,
    AlertUpdate,
    OrgNotification,
    OrgNotificationPage,
    ReadAll,
)
from ecotrack.alerts.service import alerts_service
from ecotrack.core.deps import AppSettings, DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.orgs.auth import OrgAdmin, OrgViewer
from ecotrack.orgs.schemas import MAX_ID

router = APIRouter(tags=["alerts"])

AlertId = Annotated[int, Path(ge=1, le=MAX_ID, description="Alert id")]
NotificationId = Annotated[int, Path(ge=1, le=MAX_ID, description="Notification id")]
BASE = "/orgs/{org_id}/alerts"


@router.get(
    BASE, response_model=Page[Alert], status_code=200, responses=problem_responses(401, 404)
)
def list_alerts(ctx: OrgViewer, session: DbSession, page: Paging) -> Any:
    return alerts_service.list_alerts(session, ctx=ctx, page=page)


@router.post(
    BASE,
    response_model=Alert,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def create_alert(
    alert_in: AlertCreate, ctx: OrgAdmin, session: DbSession, settings: AppSettings
) -> Any:
    """Create an alert: it fires once per window when the metric reaches the threshold."""
    return alerts_service.create_alert(session, ctx=ctx, alert_in=alert_in, settings=settings)


@router.get(
    BASE + "/{alert_id}",
    response_model=Alert,
    status_code=200,
    responses=problem_responses(401, 404),
)
def get_alert(alert_id: AlertId, ctx: OrgViewer, session: DbSession) -> Any:
    return alerts_service.get_alert(session, ctx=ctx, alert_id=alert_id)


@router.patch(
    BASE + "/{alert_id}",
    response_model=Alert,
    status_code=200,
    responses=problem_responses(401, 403, 404, 422),
)
def update_alert(
    alert_id: AlertId, alert_in: AlertUpdate, ctx: OrgAdmin, session: DbSession
) -> Any:
    return alerts_service.update_alert(session, ctx=ctx, alert_id=alert_id, alert_in=alert_in)


@router.delete(
    BASE + "/{alert_id}",
    status_code=204,
    response_model=None,
    response_class=Response,
    responses=problem_responses(401, 403, 404),
)
def delete_alert(alert_id: AlertId, ctx: OrgAdmin, session: DbSession) -> Response:
    alerts_service.delete_alert(session, ctx=ctx, alert_id=alert_id)
    return Response(status_code=204)


@router.get(
    BASE + "/{alert_id}/firings",
    response_model=Page[AlertFiring],
    status_code=200,
    responses=problem_responses(401, 404),
)
def list_alert_firings(alert_id: AlertId, ctx: OrgViewer, session: DbSession, page: Paging) -> Any:
    """When the alert fired, newest window first."""
    return alerts_service.list_firings(session, ctx=ctx, alert_id=alert_id, page=page)


@router.post(
    BASE + "/{alert_id}/evaluate",
    response_model=AlertEvaluation,
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def evaluate_alert(alert_id: AlertId, ctx: OrgAdmin, session: DbSession) -> Any:
    """Evaluate the alert now (as the schedule does): its current value, and whether it fired."""
    return alerts_service.evaluate_now(session, ctx=ctx, alert_id=alert_id)


@router.get(
    "/orgs/{org_id}/notifications",
    response_model=OrgNotificationPage,
    status_code=200,
    responses=problem_responses(401, 404),
)
def list_org_notifications(
    ctx: OrgViewer,
    session: DbSession,
    page: Paging,
    unread: Annotated[bool, Query(description="Only unread notifications")] = False,
) -> Any:
    """The organisation's in-app notifications (alert firings), newest first."""
    return alerts_service.list_notifications(session, ctx=ctx, page=page, unread_only=unread)


@router.post(
    "/orgs/{org_id}/notifications/read-all",
    response_model=ReadAll,
    status_code=200,
    responses=problem_responses(401, 404),
)
def read_all_org_notifications(ctx: OrgViewer, session: DbSession) -> Any:
    return alerts_service.mark_all_read(session, ctx=ctx)


@router.post(
    "/orgs/{org_id}/notifications/{notification_id}/read",
    response_model=OrgNotification,
    status_code=200,
    responses=problem_responses(401, 404),
)
def read_org_notification(
    notification_id: NotificationId, ctx: OrgViewer, session: DbSession
) -> Any:
    """Mark a notification read for the organisation (the first reader is kept)."""
    return alerts_service.mark_read(session, ctx=ctx, notification_id=notification_id)
