"""Webhook endpoints of an organisation, and the reliable delivery of events to them.

Other domains call `webhooks_service.deliver(session, org_id=…, endpoint_id=…, event_type=…,
payload=…)`: it stores the message (its body fixed once, byte for byte) in the caller's unit of
work and the `webhooks.deliver` job sends it after the commit. Each attempt is signed per
Standard Webhooks (`signing.py`) and sent through the SSRF-guarded client (`egress.py`); any 2xx
is a success, everything else (3xx included: redirects are not followed) a failure retried after
the delays of `ECOTRACK_WEBHOOKS_RETRY_SCHEDULE_S` (the `webhooks.dispatch_due` sweep picks due
retries up). `410 Gone` disables the endpoint; `Retry-After` on 429/503 lengthens the next delay.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.orm import Session

from ecotrack.core import jobs
from ecotrack.core.db import utcnow
from ecotrack.core.errors import AppError, ConflictError, NotFoundError, ValidationFailed
from ecotrack.core.pagination import Page, PageParams
from ecotrack.core.settings import Settings
from ecotrack.orgs import audit_log
from ecotrack.orgs.context import OrgContext
from ecotrack.webhooks import egress, repository, signing
from ecotrack.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ecotrack.webhooks.schemas import (
    EVENT_TYPES,
    TEST_EVENT,
    WebhookDeliveryDetail,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointUpdate,
    WebhookSecretRotate,
    WebhookSecretRotated,
)
from ecotrack.webhooks.schemas import WebhookAttempt as WebhookAttemptOut
from ecotrack.webhooks.schemas import WebhookDelivery as WebhookDeliveryOut
from ecotrack.webhooks.schemas import WebhookEndpoint as WebhookEndpointOut

MAX_RETRY_AFTER_S = 24 * 3600
LEASE_MARGIN_S = 30
DISPATCH_BATCH = 500


class WebhookEndpointNotFound(NotFoundError):
    code = "webhook-endpoint-not-found"

    def __init__(self, endpoint_id: int) -> None:
        super().__init__(f"No webhook endpoint {endpoint_id} in this organisation")


class WebhookDeliveryNotFound(NotFoundError):
    code = "webhook-delivery-not-found"

    def __init__(self, delivery_id: int) -> None:
        super().__init__(f"No delivery {delivery_id} of this webhook endpoint")


class WebhookUrlRefused(ValidationFailed):
    code = "webhook-url-refused"


class TooManyWebhookEndpoints(ConflictError):
    code = "webhook-endpoint-limit-reached"


class WebhookEndpointDisabled(ConflictError):
    code = "webhook-endpoint-disabled"


class WebhookEventNotSubscribed(ConflictError):
    code = "webhook-event-not-subscribed"


class WebhookDeliveryInProgress(ConflictError):
    code = "webhook-delivery-in-progress"


class UnknownWebhookEvent(AppError):
    code = "webhook-event-unknown"


@dataclass(frozen=True)
class PreparedAttempt:
    """A claimed attempt: everything needed to send it without a database transaction open."""

    delivery_id: int
    org_id: int
    endpoint_id: int
    number: int
    url: str
    message_id: str
    body: bytes
    secret: str
    previous_secret: str | None = None  # during a rotation: also signed with the old secret


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _body(event_type: str, payload: dict[str, Any], at: datetime) -> str:
    envelope = {"type": event_type, "timestamp": _iso(at), "data": payload}
    return orjson.dumps(envelope).decode("utf-8")


def _retry_after_s(outcome: egress.Outcome) -> float | None:
    if outcome.status_code not in (429, 503):
        return None
    value = outcome.headers.get("retry-after", "")
    try:
        return min(float(MAX_RETRY_AFTER_S), max(0.0, float(value)))
    except ValueError:
        return None


class WebhooksService:
    # --- endpoints -------------------------------------------------------------------------

    def _endpoint(self, session: Session, ctx: OrgContext, endpoint_id: int) -> WebhookEndpoint:
        row = repository.get_endpoint(session, org_id=ctx.org_id, endpoint_id=endpoint_id)
        if row is None:
            raise WebhookEndpointNotFound(endpoint_id)
        return row

    @staticmethod
    def _check_url(url: str, settings: Settings) -> None:
        try:
            egress.check_url(url, allow_private=settings.webhooks_allow_private)
        except egress.TargetRefused as exc:
            raise WebhookUrlRefused(
                f"This URL cannot receive webhooks: {exc}",
                errors=[{"loc": ["body", "url"], "msg": str(exc), "type": "url_refused"}],
            ) from exc

    def list_endpoints(
        self, session: Session, *, ctx: OrgContext, page: PageParams
    ) -> Page[WebhookEndpointOut]:
        rows, total = repository.endpoints(
            session, org_id=ctx.org_id, limit=page.limit, offset=page.offset
        )
        items = [WebhookEndpointOut.model_validate(r) for r in rows]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    def create_endpoint(
        self,
        session: Session,
        *,
        ctx: OrgContext,
        endpoint_in: WebhookEndpointCreate,
        settings: Settings,
    ) -> WebhookEndpointCreated:
        """A new endpoint; the response's `secret` is shown this once."""
        count = repository.count_endpoints(session, org_id=ctx.org_id)
        if count >= settings.webhooks_max_endpoints_per_org:
            raise TooManyWebhookEndpoints(
                f"This organisation has {count} webhook endpoints, the limit: delete one first"
            )
        url = str(endpoint_in.url)
        self._check_url(url, settings)
        row = repository.add(
            session,
            WebhookEndpoint(
                org_id=ctx.org_id,
                url=url,
                description=endpoint_in.description,
                event_types=endpoint_in.event_types,
                enabled=endpoint_in.enabled,
                secret_enc="",
                created_by_id=ctx.user_id,
            ),
        )
        secret = signing.new_secret()
        row.secret_enc = signing.seal(
            secret, endpoint_id=row.id, server_secret=settings.resolved_secret_key()
        )
        session.flush()
        _audit(session, ctx, "webhook.created", row.id, _summary(row))
        out = WebhookEndpointOut.model_validate(row)
        return WebhookEndpointCreated(**out.model_dump(), secret=secret)

    def get_endpoint(
        self, session: Session, *, ctx: OrgContext, endpoint_id: int
    ) -> WebhookEndpoint:
        return self._endpoint(session, ctx, endpoint_id)

    def update_endpoint(
        self,
        session: Session,
        *,
        ctx: OrgContext,
        endpoint_id: int,
        endpoint_in: WebhookEndpointUpdate,
        settings: Settings,
    ) -> WebhookEndpoint:
        row = self._endpoint(session, ctx, endpoint_id)
        changes = endpoint_in.model_dump(exclude_unset=True)
        if changes.get("url") is not None:
            url = str(endpoint_in.url)
            self._check_url(url, settings)
            row.url = url
        if changes.get("description") is not None:
            row.description = str(changes["description"])
        if changes.get("event_types") is not None:
            row.event_types = list(changes["event_types"])
        if changes.get("enabled") is not None:
            row.enabled = bool(changes["enabled"])
            if row.enabled:
                row.disabled_reason = None
        if changes:
            _audit(
                session, ctx, "webhook.updated", row.id, _summary(row) | {"fields": sorted(changes)}
            )
        session.flush()
        return row

    def rotate_secret(
        self,
        session: Session,
        *,
        ctx: OrgContext,
        endpoint_id: int,
        rotate_in: WebhookSecretRotate,
        settings: Settings,
        now: datetime | None = None,
    ) -> WebhookSecretRotated:
        """A new signing secret, shown this once. The old one keeps signing next to it for
        `previous_valid_hours` (Standard Webhooks' multiple signatures), so receivers can move
        to the new secret without rejecting a message; a rotation during a rotation drops the
        oldest secret."""
        row = self._endpoint(session, ctx, endpoint_id)
        now = now or utcnow()
        server_secret = settings.resolved_secret_key()
        readable = (
            signing.unseal(row.secret_enc, endpoint_id=row.id, server_secret=server_secret)
            is not None
        )
        if readable and rotate_in.previous_valid_hours > 0:
            row.previous_secret_enc = row.secret_enc
            row.previous_secret_expires_at = now + timedelta(hours=rotate_in.previous_valid_hours)
        else:
            row.previous_secret_enc = None
            row.previous_secret_expires_at = None
        secret = signing.new_secret()
        row.secret_enc = signing.seal(secret, endpoint_id=row.id, server_secret=server_secret)
        row.updated_at = now
        session.flush()
        expires = row.previous_secret_expires_at
        _audit(
            session,
            ctx,
            "webhook.secret_rotated",
            row.id,
            _summary(row) | {"previous_expires_at": None if expires is None else _iso(expires)},
        )
        return WebhookSecretRotated(secret=secret, previous_expires_at=expires)

    @staticmethod
    def _previous_secret(
        endpoint: WebhookEndpoint, *, now: datetime, settings: Settings
    ) -> str | None:
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret_enc is None or expires is None or expires <= now:
            return None
        return signing.unseal(
            endpoint.previous_secret_enc,
            endpoint_id=endpoint.id,
            server_secret=settings.resolved_secret_key(),
        )

    def delete_endpoint(self, session: Session, *, ctx: OrgContext, endpoint_id: int) -> None:
        """Delete the endpoint with its delivery log (pending retries stop)."""
        row = self._endpoint(session, ctx, endpoint_id)
        details = _summary(row)
        repository.delete_row(session, row)
        _audit(session, ctx, "webhook.deleted", endpoint_id, details)

    def prune(self, session: Session, *, now: datetime, settings: Settings) -> int:
        """Delete the delivery log older than `webhooks_delivery_retention_days` (finished
        deliveries only: a pending one is still being retried)."""
        cutoff = now - timedelta(days=settings.webhooks_delivery_retention_days)
        return repository.delete_finished_before(session, cutoff)

    # --- deliveries (API) ------------------------------------------------------------------

    def _new_delivery(
        self,
        session: Session,
        *,
        endpoint: WebhookEndpoint,
        event_type: str,
        body: str,
        message_id: str | None = None,
        redelivery_of_id: int | None = None,
    ) -> WebhookDelivery:
        now = utcnow()
        delivery = repository.add(
            session,
            WebhookDelivery(
                org_id=endpoint.org_id,
                endpoint_id=endpoint.id,
                message_id=message_id or signing.new_message_id(),
                event_type=event_type,
                body=body,
                status="pending",
                attempt_count=0,
                next_attempt_at=now,
                redelivery_of_id=redelivery_of_id,
                created_at=now,
            ),
        )
        jobs.enqueue(session, "webhooks.deliver", delivery.id)
        return delivery

    def send_test(self, session: Session, *, ctx: OrgContext, endpoint_id: int) -> WebhookDelivery:
        """Queue a `webhook.test` message to the endpoint (enabled or not, subscribed or not)."""
        endpoint = self._endpoint(session, ctx, endpoint_id)
        payload = {
            "endpoint_id": endpoint.id,
            "org_id": endpoint.org_id,
            "message": "A test message from EcoTrack: the signature verifies with your secret.",
        }
        body = _body(TEST_EVENT, payload, utcnow())
        return self._new_delivery(session, endpoint=endpoint, event_type=TEST_EVENT, body=body)

    def list_deliveries(
        self,
        session: Session,
        *,
        ctx: OrgContext,
        endpoint_id: int,
        page: PageParams,
        status: str | None = None,
    ) -> Page[WebhookDeliveryOut]:
        """The endpoint's delivery log, newest first."""
        self._endpoint(session, ctx, endpoint_id)
        rows, total = repository.deliveries(
            session,
            org_id=ctx.org_id,
            endpoint_id=endpoint_id,
            status=status,
            limit=page.limit,
            offset=page.offset,
        )
        items = [WebhookDeliveryOut.model_validate(r) for r in rows]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    def _delivery(
        self, session: Session, ctx: OrgContext, endpoint_id: int, delivery_id: int
    ) -> WebhookDelivery:
        self._endpoint(session, ctx, endpoint_id)
        row = repository.get_delivery(
            session, org_id=ctx.org_id, endpoint_id=endpoint_id, delivery_id=delivery_id
        )
        if row is None:
            raise WebhookDeliveryNotFound(delivery_id)
        return row

    def get_delivery(
        self, session: Session, *, ctx: OrgContext, endpoint_id: int, delivery_id: int
    ) -> WebhookDeliveryDetail:
        """One delivery with its payload and every attempt (status, latency, response start)."""
        row = self._delivery(session, ctx, endpoint_id, delivery_id)
        attempts = [
            WebhookAttemptOut.model_validate(a)
            for a in repository.attempts(session, delivery_id=row.id)
        ]
        return WebhookDeliveryDetail(
            **WebhookDeliveryOut.model_validate(row).model_dump(),
            payload=orjson.loads(row.body),
            attempts=attempts,
        )

    def redeliver(
        self, session: Session, *, ctx: OrgContext, endpoint_id: int, delivery_id: int
    ) -> WebhookDelivery:
        """Send a finished delivery's message again, as a new delivery with the same
        `webhook-id` and body (receivers that already processed it can recognise it)."""
        original = self._delivery(session, ctx, endpoint_id, delivery_id)
        if original.status in ("pending", "sending"):
            raise WebhookDeliveryInProgress(
                f"Delivery {delivery_id} is still {original.status}: it will be retried"
            )
        endpoint = self._endpoint(session, ctx, endpoint_id)
        return self._new_delivery(
            session,
            endpoint=endpoint,
            event_type=original.event_type,
            body=original.body,
            message_id=original.message_id,
            redelivery_of_id=original.id,
        )

    # --- for other domains -----------------------------------------------------------------

    def deliver(
        self,
        session: Session,
        *,
        org_id: int,
        endpoint_id: int,
        event_type: str,
        payload: dict[str, Any],
    ) -> WebhookDelivery:
        """Queue `payload` for the endpoint as `{"type", "timestamp", "data": payload}`; it is
        sent after the commit. The endpoint must belong to `org_id`, be enabled and subscribe to
        `event_type` (see `subscribed_endpoint_ids`)."""
        if event_type not in EVENT_TYPES:
            raise UnknownWebhookEvent(f"Unknown webhook event type {event_type!r}")
        endpoint = repository.get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id)
        if endpoint is None:
            raise WebhookEndpointNotFound(endpoint_id)
        if not endpoint.enabled:
            raise WebhookEndpointDisabled(f"Webhook endpoint {endpoint_id} is disabled")
        if event_type not in endpoint.event_types:
            raise WebhookEventNotSubscribed(
                f"Webhook endpoint {endpoint_id} does not subscribe to {event_type!r}"
            )
        body = _body(event_type, payload, utcnow())
        return self._new_delivery(session, endpoint=endpoint, event_type=event_type, body=body)

    def existing_endpoint_ids(
        self, session: Session, *, org_id: int, endpoint_ids: list[int]
    ) -> list[int]:
        """Which of `endpoint_ids` are endpoints of `org_id`."""
        rows = repository.endpoints_by_ids(session, org_id=org_id, ids=endpoint_ids)
        return [r.id for r in rows]

    def subscribed_endpoint_ids(
        self, session: Session, *, org_id: int, endpoint_ids: list[int], event_type: str
    ) -> list[int]:
        """Which of `endpoint_ids` are enabled endpoints of `org_id` subscribed to `event_type`."""
        rows = repository.endpoints_by_ids(session, org_id=org_id, ids=endpoint_ids)
        return [r.id for r in rows if r.enabled and event_type in r.event_types]

    # --- the worker side -------------------------------------------------------------------

    def prepare_attempt(
        self, session: Session, *, delivery_id: int, now: datetime, settings: Settings
    ) -> PreparedAttempt | None:
        """Claim the delivery for one attempt if it is due; None when there is nothing to send
        (not due, already done, taken by another worker, or its endpoint is gone/disabled)."""
        lease = now + timedelta(seconds=settings.webhooks_timeout_s + LEASE_MARGIN_S)
        if not repository.claim(session, delivery_id=delivery_id, now=now, lease_until=lease):
            return None
        delivery = repository.delivery_for_worker(session, delivery_id)
        assert delivery is not None  # noqa: S101 - just claimed in this transaction
        session.refresh(delivery)
        endpoint = repository.endpoint_for_worker(session, delivery.endpoint_id)
        problem: str | None = None
        secret: str | None = None
        if endpoint is None:
            problem = "endpoint deleted"
        elif not endpoint.enabled and delivery.event_type != TEST_EVENT:
            problem = f"endpoint disabled ({endpoint.disabled_reason or 'by an administrator'})"
        else:
            secret = signing.unseal(
                endpoint.secret_enc,
                endpoint_id=endpoint.id,
                server_secret=settings.resolved_secret_key(),
            )
            if secret is None:
                problem = "the signing secret cannot be read (was the server secret changed?)"
            previous = self._previous_secret(endpoint, now=now, settings=settings)
        if problem is not None or endpoint is None or secret is None:
            repository.finish_claimed(
                session,
                delivery_id=delivery.id,
                attempt_number=delivery.attempt_count,
                values={
                    "status": "failed",
                    "last_error": problem,
                    "next_attempt_at": None,
                    "finished_at": now,
                    "attempt_count": delivery.attempt_count - 1,  # nothing was sent
                },
            )
            return None
        return PreparedAttempt(
            delivery_id=delivery.id,
            org_id=delivery.org_id,
            endpoint_id=endpoint.id,
            number=delivery.attempt_count,
            url=endpoint.url,
            message_id=delivery.message_id,
            body=delivery.body.encode("utf-8"),
            secret=secret,
            previous_secret=previous,
        )

    def send(self, attempt: PreparedAttempt, *, settings: Settings) -> egress.Outcome:
        """One signed POST (no database access: call it outside any transaction)."""
        timestamp = int(time.time())  # this attempt's time, never the scheduler's clock
        signatures = [
            signing.sign(
                secret, message_id=attempt.message_id, timestamp=timestamp, body=attempt.body
            )
            for secret in (attempt.secret, attempt.previous_secret)
            if secret is not None
        ]
        headers = {
            "webhook-id": attempt.message_id,
            "webhook-timestamp": str(timestamp),
            # Standard Webhooks: space-separated, any one valid signature is enough.
            "webhook-signature": " ".join(signatures),
        }
        return egress.post(
            attempt.url,
            body=attempt.body,
            headers=headers,
            timeout_s=settings.webhooks_timeout_s,
            max_response_bytes=settings.webhooks_max_response_bytes,
            allow_private=settings.webhooks_allow_private,
        )

    def record_attempt(
        self,
        session: Session,
        *,
        attempt: PreparedAttempt,
        outcome: egress.Outcome,
        now: datetime,
        settings: Settings,
    ) -> str:
        """Log the attempt and move the delivery on: succeeded, retry scheduled, or failed.
        Returns the delivery's new status."""
        schedule = settings.webhooks_retry_schedule_s
        values: dict[str, Any] = {
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
        }
        next_at: datetime | None = None
        if outcome.ok:
            values.update(status="succeeded", next_attempt_at=None, finished_at=now)
        elif outcome.status_code == 410 or attempt.number > len(schedule):
            values.update(status="failed", next_attempt_at=None, finished_at=now)
        else:
            delay = schedule[attempt.number - 1]
            retry_after = _retry_after_s(outcome)
            if retry_after is not None:
                delay = max(delay, retry_after)
            next_at = now + timedelta(seconds=delay)
            values.update(status="pending", next_attempt_at=next_at)
        if not repository.finish_claimed(
            session, delivery_id=attempt.delivery_id, attempt_number=attempt.number, values=values
        ):
            return "superseded"  # the lease ran out and another worker took this delivery over
        repository.add(
            session,
            WebhookAttempt(
                org_id=attempt.org_id,
                delivery_id=attempt.delivery_id,
                number=attempt.number,
                started_at=now,
                latency_ms=outcome.latency_ms,
                status_code=outcome.status_code,
                response_snippet=outcome.snippet,
                response_headers=outcome.headers,
                error=outcome.error,
                next_attempt_at=next_at,
            ),
        )
        if outcome.status_code == 410:
            endpoint = repository.endpoint_for_worker(session, attempt.endpoint_id)
            if endpoint is not None:
                endpoint.enabled = False
                endpoint.disabled_reason = "the receiver answered 410 Gone"
                session.flush()
        return str(values["status"])

    def dispatch_due(self, session: Session, *, now: datetime) -> int:
        """Queue a `webhooks.deliver` job for every due retry (and every lease that ran out)."""
        ids = repository.due_delivery_ids(session, now=now, limit=DISPATCH_BATCH)
        for delivery_id in ids:
            jobs.enqueue(session, "webhooks.deliver", delivery_id)
        return len(ids)


def _summary(row: WebhookEndpoint) -> dict[str, Any]:
    """What the audit log keeps of an endpoint (never its secret)."""
    return {"url": row.url, "event_types": list(row.event_types), "enabled": row.enabled}


def _audit(
    session: Session, ctx: OrgContext, action: str, endpoint_id: int, details: dict[str, Any]
) -> None:
    audit_log.record_for(
        session,
        ctx,
        action=action,
        resource_type="webhook_endpoint",
        resource_id=endpoint_id,
        details=details,
    )


webhooks_service = WebhooksService()
