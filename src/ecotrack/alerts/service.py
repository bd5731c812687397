"""AI-usage alerts: CRUD, evaluation against the usage totals, firing to the channels, and the
organisation's in-app notifications.

An alert compares one metric of the organisation's AI usage (optionally narrowed to a team, user,
provider or model) over its current window (UTC day, ISO week, month, or the last 24 h) with a
threshold, and fires when the value reaches it. A firing is unique per alert and window start, so
an alert fires once per window however often and wherever it is evaluated; a rolling-24 h alert
fires at most once per 24 h. A firing notifies its channels in the same transaction: an in-app
organisation notification, emails to chosen members (`ecotrack.email`), and `alert.fired`
webhooks (`ecotrack.webhooks`), all sent after the commit.

Evaluation runs in the `alerts.evaluate` job, enqueued by the `usage.ingested` event, and every
five minutes for every organisation with enabled alerts (`alerts.evaluate_all`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ecotrack.alerts import repository
from ecotrack.alerts.models import Alert, AlertFiring, OrgNotification
from ecotrack.alerts.schemas import Alert as AlertOut
from ecotrack.alerts.schemas import (
    AlertChannels,
    AlertCreate,
    AlertEvaluation,
    AlertUpdate,
    Metric,
    OrgNotificationPage,
    ReadAll,
    Scope,
)
from ecotrack.alerts.schemas import AlertFiring as AlertFiringOut
from ecotrack.alerts.schemas import OrgNotification as OrgNotificationOut
from ecotrack.alerts.windows import ROLLING, Window, bounds
from ecotrack.core import jobs
from ecotrack.core.db import utcnow
from ecotrack.core.errors import ConflictError, NotFoundError, ValidationFailed
from ecotrack.core.events import subscribe
from ecotrack.core.pagination import Page, PageParams
from ecotrack.core.settings import Settings
from ecotrack.email.service import email_service
from ecotrack.identity.service import identity_service
from ecotrack.orgs import audit_log
from ecotrack.orgs.context import OrgContext
from ecotrack.orgs.service import orgs_service
from ecotrack.webhooks.service import webhooks_service

logger = logging.getLogger("ecotrack.alerts")

ALERT_FIRED = "alert.fired"
# Ingests of events older than this cannot change any current window (a month is ≤ 31 days).
CURRENT_WINDOW_REACH = timedelta(days=32)
# Late events (an SDK flushing after a night offline) are judged in the calendar window they
# belong to, if that window ended at most this long ago; older windows are left as they were.
LATE_WINDOW_REACH = timedelta(days=7)


class UsageTotalsLike(Protocol):
    """The fields of `ecotrack.usage.schemas.UsageTotals` an alert reads."""

    @property
    def calls(self) -> int: ...
    @property
    def tokens_in(self) -> int: ...
    @property
    def tokens_out(self) -> int: ...
    @property
    def energy_kwh(self) -> float: ...
    @property
    def water_l(self) -> float: ...
    @property
    def co2e_kg(self) -> float: ...


# `usage_service.totals`'s shape: (session, *, org_id, start, end, team, user, provider, model).
TotalsProvider = Callable[..., UsageTotalsLike]


def usage_totals(session: Session, **query: Any) -> UsageTotalsLike:
    """The usage domain's totals (imported on use: usage publishes the event alerts react to)."""
    from ecotrack.usage.service import usage_service

    totals: UsageTotalsLike = usage_service.totals(session, **query)
    return totals


class AlertNotFound(NotFoundError):
    code = "alert-not-found"

    def __init__(self, alert_id: int) -> None:
        super().__init__(f"No alert {alert_id} in this organisation")


class OrgNotificationNotFound(NotFoundError):
    code = "org-notification-not-found"

    def __init__(self, notification_id: int) -> None:
        super().__init__(f"No notification {notification_id} in this organisation")


class TooManyAlerts(ConflictError):
    code = "alert-limit-reached"


class AlertChannelInvalid(ValidationFailed):
    code = "alert-channel-invalid"


def metric_value(totals: UsageTotalsLike, metric: Metric | str) -> float:
    match Metric(metric):
        case Metric.CO2E_KG:
            return float(totals.co2e_kg)
        case Metric.ENERGY_KWH:
            return float(totals.energy_kwh)
        case Metric.WATER_L:
            return float(totals.water_l)
        case Metric.CALLS:
            return float(totals.calls)
        case Metric.TOKENS:
            return float(totals.tokens_in + totals.tokens_out)


def to_out(alert: Alert) -> AlertOut:
    return AlertOut(
        id=alert.id,
        name=alert.name,
        metric=Metric(alert.metric),
        scope=Scope(alert.scope),
        scope_value=alert.scope_value,
        window=Window(alert.time_window),
        threshold=alert.threshold,
        channels=AlertChannels(
            webhook_endpoint_ids=list(alert.webhook_endpoint_ids),
            email_user_ids=list(alert.email_user_ids),
            in_app=alert.in_app,
        ),
        enabled=alert.enabled,
        created_by_id=alert.created_by_id,
        created_at=alert.created_at,
        updated_at=alert.updated_at,
    )


@dataclass(frozen=True)
class _Measured:
    start: datetime
    end: datetime
    value: float


class AlertsService:
    # --- CRUD ------------------------------------------------------------------------------

    def _alert(self, session: Session, ctx: OrgContext, alert_id: int) -> Alert:
        alert = repository.get_alert(session, org_id=ctx.org_id, alert_id=alert_id)
        if alert is None:
            raise AlertNotFound(alert_id)
        return alert

    def _check_channels(self, session: Session, org_id: int, channels: AlertChannels) -> None:
        errors: list[dict[str, Any]] = []
        wanted = channels.webhook_endpoint_ids
        found = set(
            webhooks_service.existing_endpoint_ids(session, org_id=org_id, endpoint_ids=wanted)
        )
        for missing in [i for i in wanted if i not in found]:
            errors.append(
                {
                    "loc": ["body", "channels", "webhook_endpoint_ids"],
                    "msg": f"no webhook endpoint {missing} in this organisation",
                    "type": "unknown_webhook_endpoint",
                }
            )
        if channels.email_user_ids:
            members = set(orgs_service.member_user_ids(session, org_id=org_id))
            for outsider in [u for u in channels.email_user_ids if u not in members]:
                errors.append(
                    {
                        "loc": ["body", "channels", "email_user_ids"],
                        "msg": f"user {outsider} is not a member of this organisation",
                        "type": "not_a_member",
                    }
                )
        if errors:
            raise AlertChannelInvalid("The alert's channels are not valid", errors=errors)

    def list_alerts(self, session: Session, *, ctx: OrgContext, page: PageParams) -> Page[AlertOut]:
        rows, total = repository.alerts(
            session, org_id=ctx.org_id, limit=page.limit, offset=page.offset
        )
        return Page(
            items=[to_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset
        )

    def create_alert(
        self, session: Session, *, ctx: OrgContext, alert_in: AlertCreate, settings: Settings
    ) -> AlertOut:
        count = repository.count_alerts(session, org_id=ctx.org_id)
        if count >= settings.alerts_max_per_org:
            raise TooManyAlerts(f"This organisation has {count} alerts, the limit")
        self._check_channels(session, ctx.org_id, alert_in.channels)
        alert = repository.add(
            session,
            Alert(
                org_id=ctx.org_id,
                name=alert_in.name,
                metric=alert_in.metric.value,
                scope=alert_in.scope.value,
                scope_value=alert_in.scope_value,
                time_window=alert_in.window.value,
                threshold=float(alert_in.threshold),
                webhook_endpoint_ids=alert_in.channels.webhook_endpoint_ids,
                email_user_ids=alert_in.channels.email_user_ids,
                in_app=alert_in.channels.in_app,
                enabled=alert_in.enabled,
                created_by_id=ctx.user_id,
            ),
        )
        _audit(session, ctx, "alert.created", alert.id, _summary(alert))
        return to_out(alert)

    def get_alert(self, session: Session, *, ctx: OrgContext, alert_id: int) -> AlertOut:
        return to_out(self._alert(session, ctx, alert_id))

    def update_alert(
        self, session: Session, *, ctx: OrgContext, alert_id: int, alert_in: AlertUpdate
    ) -> AlertOut:
        alert = self._alert(session, ctx, alert_id)
        given = alert_in.model_fields_set
        if alert_in.name is not None:
            alert.name = alert_in.name
        if alert_in.metric is not None:
            alert.metric = alert_in.metric.value
        if alert_in.scope is not None:
            alert.scope = alert_in.scope.value
            alert.scope_value = alert_in.scope_value
        if alert_in.window is not None:
            alert.time_window = alert_in.window.value
        if alert_in.threshold is not None:
            alert.threshold = float(alert_in.threshold)
        if alert_in.channels is not None:
            self._check_channels(session, ctx.org_id, alert_in.channels)
            alert.webhook_endpoint_ids = alert_in.channels.webhook_endpoint_ids
            alert.email_user_ids = alert_in.channels.email_user_ids
            alert.in_app = alert_in.channels.in_app
        if alert_in.enabled is not None:
            alert.enabled = alert_in.enabled
        if given:
            alert.updated_at = utcnow()
            _audit(
                session, ctx, "alert.updated", alert.id, _summary(alert) | {"fields": sorted(given)}
            )
        session.flush()
        return to_out(alert)

    def delete_alert(self, session: Session, *, ctx: OrgContext, alert_id: int) -> None:
        """Delete the alert with its firing history (its notifications stay)."""
        alert = self._alert(session, ctx, alert_id)
        details = _summary(alert)
        repository.delete_row(session, alert)
        _audit(session, ctx, "alert.deleted", alert_id, details)

    def list_firings(
        self, session: Session, *, ctx: OrgContext, alert_id: int, page: PageParams
    ) -> Page[AlertFiringOut]:
        self._alert(session, ctx, alert_id)
        rows, total = repository.firings(
            session, org_id=ctx.org_id, alert_id=alert_id, limit=page.limit, offset=page.offset
        )
        items = [AlertFiringOut.model_validate(r) for r in rows]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    # --- evaluation ------------------------------------------------------------------------

    def _measure(
        self, session: Session, alert: Alert, now: datetime, totals: TotalsProvider
    ) -> _Measured:
        start, end = bounds(alert.time_window, now)
        filters: dict[str, str | None] = {
            "team": None,
            "user": None,
            "provider": None,
            "model": None,
        }
        if alert.scope != Scope.ORGANISATION.value:
            filters[alert.scope] = alert.scope_value
        result = totals(session, org_id=alert.org_id, start=start, end=end, **filters)
        return _Measured(start=start, end=end, value=metric_value(result, alert.metric))

    def _current_firing(
        self, session: Session, alert: Alert, measured: _Measured
    ) -> AlertFiring | None:
        if alert.time_window == Window.ROLLING_24H.value:
            return repository.firing_since(session, alert_id=alert.id, since=measured.end - ROLLING)
        return repository.firing_for_window(session, alert_id=alert.id, window_start=measured.start)

    def evaluate_alert(
        self,
        session: Session,
        *,
        alert: Alert,
        now: datetime,
        totals: TotalsProvider | None = None,
        at: datetime | None = None,
    ) -> AlertEvaluation:
        """Measure the alert's window containing `at` (default: now, the current window); fire
        it if the value reached the threshold and it has not fired in that window yet. `totals`
        defaults to the usage domain's."""
        measured = self._measure(session, alert, at or now, totals or usage_totals)
        firing = self._current_firing(session, alert, measured)
        fired = False
        if firing is None and alert.enabled and measured.value >= alert.threshold:
            # Serialise concurrent evaluators of this alert (PostgreSQL row lock; SQLite writers
            # are serialised already), then check again under the lock.
            locked = repository.get_alert(
                session, org_id=alert.org_id, alert_id=alert.id, for_update=True
            )
            firing = None if locked is None else self._current_firing(session, alert, measured)
            if locked is not None and firing is None:
                firing = self._fire(session, alert=alert, measured=measured, now=now)
                fired = firing is not None
        return AlertEvaluation(
            alert_id=alert.id,
            metric=Metric(alert.metric),
            window=Window(alert.time_window),
            window_start=measured.start,
            window_end=measured.end,
            value=measured.value,
            threshold=alert.threshold,
            fired=fired,
            firing=AlertFiringOut.model_validate(firing) if firing is not None else None,
        )

    def evaluate_now(
        self,
        session: Session,
        *,
        ctx: OrgContext,
        alert_id: int,
        totals: TotalsProvider | None = None,
    ) -> AlertEvaluation:
        """Evaluate one alert now (what the schedule would do), e.g. right after creating it."""
        alert = self._alert(session, ctx, alert_id)
        return self.evaluate_alert(session, alert=alert, now=utcnow(), totals=totals)

    def evaluate_org(
        self,
        session: Session,
        *,
        org_id: int,
        now: datetime,
        totals: TotalsProvider | None = None,
        days: Iterable[date] = (),
    ) -> list[AlertEvaluation]:
        """Evaluate every enabled alert of the organisation: its current window, and the ended
        calendar windows holding any of `days` (the days of late events just ingested) that
        ended within `LATE_WINDOW_REACH`."""
        days = sorted(set(days))
        out = []
        for alert in repository.enabled_alerts(session, org_id=org_id):
            out.append(self.evaluate_alert(session, alert=alert, now=now, totals=totals))
            for at in late_windows(alert.time_window, now, days):
                out.append(self.evaluate_alert(session, alert=alert, now=now, totals=totals, at=at))
        return out

    def orgs_to_evaluate(self, session: Session) -> list[int]:
        return repository.orgs_with_enabled_alerts(session)

    def _fire(
        self, session: Session, *, alert: Alert, measured: _Measured, now: datetime
    ) -> AlertFiring | None:
        firing = AlertFiring(
            org_id=alert.org_id,
            alert_id=alert.id,
            window_start=measured.start,
            window_end=measured.end,
            value=measured.value,
            threshold=alert.threshold,
            fired_at=now,
        )
        if not repository.add_unique(session, firing):
            return None  # another evaluator fired this window first
        title, body = self._message(alert, measured)
        payload = self._payload(alert, firing)
        if alert.in_app:
            repository.add(
                session,
                OrgNotification(
                    org_id=alert.org_id,
                    kind=ALERT_FIRED,
                    title=title,
                    body=body,
                    data=payload,
                    alert_id=alert.id,
                    created_at=now,
                ),
            )
        self._email(session, alert=alert, title=title, body=body)
        for endpoint_id in webhooks_service.subscribed_endpoint_ids(
            session,
            org_id=alert.org_id,
            endpoint_ids=list(alert.webhook_endpoint_ids),
            event_type=ALERT_FIRED,
        ):
            webhooks_service.deliver(
                session,
                org_id=alert.org_id,
                endpoint_id=endpoint_id,
                event_type=ALERT_FIRED,
                payload=payload,
            )
        return firing

    @staticmethod
    def _message(alert: Alert, measured: _Measured) -> tuple[str, str]:
        scope = (
            "the organisation"
            if alert.scope == Scope.ORGANISATION.value
            else f"{alert.scope} {alert.scope_value}"
        )
        window = {
            "day": f"on {measured.start:%Y-%m-%d}",
            "week": f"in the week of {measured.start:%Y-%m-%d}",
            "month": f"in {measured.start:%B %Y}",
            "rolling_24h": "in the last 24 hours",
        }[alert.time_window]
        title = f"Alert {alert.name!r}: {alert.metric} reached {alert.threshold:g}"[:200]
        body = (
            f"The AI usage of {scope} reached {measured.value:g} {alert.metric} {window} "
            f"(threshold {alert.threshold:g}, window {measured.start.isoformat()} to "
            f"{measured.end.isoformat()}, UTC)."
        )[:2000]
        return title, body

    @staticmethod
    def _payload(alert: Alert, firing: AlertFiring) -> dict[str, Any]:
        return {
            "org_id": alert.org_id,
            "alert": {
                "id": alert.id,
                "name": alert.name,
                "metric": alert.metric,
                "scope": alert.scope,
                "scope_value": alert.scope_value,
                "window": alert.time_window,
                "threshold": alert.threshold,
            },
            "firing": {
                "id": firing.id,
                "window_start": firing.window_start.isoformat(),
                "window_end": firing.window_end.isoformat(),
                "value": firing.value,
                "fired_at": firing.fired_at.isoformat(),
            },
        }

    def _email(self, session: Session, *, alert: Alert, title: str, body: str) -> None:
        if not alert.email_user_ids:
            return
        members = set(orgs_service.member_user_ids(session, org_id=alert.org_id))
        for user_id in alert.email_user_ids:
            if user_id not in members:
                continue  # left the organisation since: no more alerts for them
            user = identity_service.get_user(session, user_id=user_id)
            if user is None:
                continue
            email_service.send(
                session, to=user.email, template="notice", context={"title": title, "message": body}
            )

    # --- organisation notifications --------------------------------------------------------

    def list_notifications(
        self, session: Session, *, ctx: OrgContext, page: PageParams, unread_only: bool = False
    ) -> OrgNotificationPage:
        rows, total = repository.notifications(
            session,
            org_id=ctx.org_id,
            unread_only=unread_only,
            limit=page.limit,
            offset=page.offset,
        )
        return OrgNotificationPage(
            items=[OrgNotificationOut.model_validate(r) for r in rows],
            total=total,
            unread=repository.count_unread(session, org_id=ctx.org_id),
            limit=page.limit,
            offset=page.offset,
        )

    def mark_read(
        self, session: Session, *, ctx: OrgContext, notification_id: int
    ) -> OrgNotification:
        """Mark one notification read for the organisation (idempotent: the first reader stays)."""
        row = repository.get_notification(
            session, org_id=ctx.org_id, notification_id=notification_id
        )
        if row is None:
            raise OrgNotificationNotFound(notification_id)
        if row.read_at is None:
            row.read_at = utcnow()
            row.read_by_id = ctx.user_id
            session.flush()
        return row

    def mark_all_read(self, session: Session, *, ctx: OrgContext) -> ReadAll:
        marked = repository.mark_all_read(
            session, org_id=ctx.org_id, user_id=ctx.user_id, now=utcnow()
        )
        return ReadAll(marked=marked)


def late_windows(window: str, now: datetime, days: Iterable[date]) -> list[datetime]:
    """A moment in each ended calendar window that holds one of `days` and ended at most
    `LATE_WINDOW_REACH` before `now` (none for the rolling window: it is always current)."""
    if window == Window.ROLLING_24H.value:
        return []
    current_start, _ = bounds(window, now)
    out: dict[datetime, datetime] = {}
    for day in days:
        at = datetime.combine(day, time(12), tzinfo=UTC)
        start, end = bounds(window, at)
        if start < current_start and now - end <= LATE_WINDOW_REACH:
            out.setdefault(start, at)
    return list(out.values())


def _summary(alert: Alert) -> dict[str, Any]:
    return {
        "name": alert.name,
        "metric": alert.metric,
        "scope": alert.scope,
        "scope_value": alert.scope_value,
        "window": alert.time_window,
        "threshold": alert.threshold,
        "enabled": alert.enabled,
    }


def _audit(
    session: Session, ctx: OrgContext, action: str, alert_id: int, details: dict[str, Any]
) -> None:
    audit_log.record_for(
        session, ctx, action=action, resource_type="alert", resource_id=alert_id, details=details
    )


alerts_service = AlertsService()


@subscribe("usage.ingested")
def _on_usage_ingested(session: Session, *, org_id: int, days: list[date], **_: Any) -> None:
    """Evaluate the organisation's alerts after the ingest commits (only if it has any, and only
    if the events can touch a current window)."""
    today = utcnow().date()
    if days and max(days) < today - CURRENT_WINDOW_REACH:
        return
    if repository.has_enabled_alerts(session, org_id=org_id):
        jobs.enqueue(session, "alerts.evaluate", org_id, [d.isoformat() for d in days])


@subscribe("user.erased")
def _on_user_erased(session: Session, *, user_id: int, **_: Any) -> None:
    """Stop emailing an erased user (the member check would skip them anyway)."""
    for alert in repository.alerts_emailing_anyone(session):
        if user_id in alert.email_user_ids:
            alert.email_user_ids = [u for u in alert.email_user_ids if u != user_id]
    session.flush()
