"""`email.send`: deliver one outbox row (idempotent by outbox id; retried with backoff)."""

from __future__ import annotations

from ecotrack.core.db import get_database
from ecotrack.core.jobs import task
from ecotrack.core.settings import get_settings
from ecotrack.email.service import MAX_ATTEMPTS, delivery_attempts, email_service


@task("email.send", max_attempts=MAX_ATTEMPTS)
def send(outbox_id: int) -> bool:
    db = get_database()
    settings = get_settings()
    try:
        with db.unit_of_work() as session:
            return email_service.deliver(session, outbox_id=outbox_id, settings=settings)
    except Exception as exc:
        with db.unit_of_work() as session:
            email_service.record_failure(
                session,
                outbox_id=outbox_id,
                error=f"{type(exc).__name__}: {exc}",
                max_attempts=delivery_attempts(settings),
            )
        raise
