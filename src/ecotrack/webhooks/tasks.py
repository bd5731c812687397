"""Webhook jobs: one attempt of a delivery, and the sweep that queues due retries."""

from __future__ import annotations

from datetime import datetime

from ecotrack.core.db import get_database, utcnow
from ecotrack.core.jobs import task
from ecotrack.core.settings import get_settings
from ecotrack.webhooks.service import webhooks_service

DISPATCH_EVERY_S = 15.0


def attempt_delivery(delivery_id: int, *, now: datetime | None = None) -> str:
    """Claim, send and record one attempt; returns the delivery's status afterwards, or
    "skipped" when it was not due (done, not yet time, or taken by another worker).

    Three steps so that no database transaction stays open during the HTTP request."""
    settings = get_settings()
    db = get_database()
    now = now or utcnow()
    with db.unit_of_work() as session:
        attempt = webhooks_service.prepare_attempt(
            session, delivery_id=delivery_id, now=now, settings=settings
        )
    if attempt is None:
        return "skipped"
    outcome = webhooks_service.send(attempt, settings=settings)
    with db.unit_of_work() as session:
        return webhooks_service.record_attempt(
            session, attempt=attempt, outcome=outcome, now=now, settings=settings
        )


# The retry policy is the delivery's own (the retry schedule); the job itself is not retried.
@task("webhooks.deliver", max_attempts=1)
def deliver(delivery_id: int) -> str:
    return attempt_delivery(delivery_id)


@task("webhooks.prune", every_s=24 * 3600)
def prune() -> int:
    """Delete the delivery log past its retention; returns how many deliveries went."""
    with get_database().unit_of_work() as session:
        return webhooks_service.prune(session, now=utcnow(), settings=get_settings())


@task("webhooks.dispatch_due", every_s=DISPATCH_EVERY_S)
def dispatch_due() -> int:
    with get_database().unit_of_work() as session:
        return webhooks_service.dispatch_due(session, now=utcnow())
