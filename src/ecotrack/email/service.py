"""Email: render a template into the outbox, send it after commit with the `email.send` job.

Other domains call `email_service.send(session, to=..., template=..., context=...)`. The row is
written in the caller's unit of work, so a rolled-back request sends nothing; the job is
idempotent by outbox id (a sent row is never sent again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.core import jobs
from ecotrack.core.db import utcnow
from ecotrack.core.errors import NotFoundError
from ecotrack.core.events import subscribe
from ecotrack.core.settings import Settings
from ecotrack.email import repository
from ecotrack.email.backends import OutgoingEmail, get_backend
from ecotrack.email.models import OutboxMessage
from ecotrack.email.templates import render

logger = logging.getLogger("ecotrack.email")

MAX_ATTEMPTS = 8  # the `email.send` job's retry budget


class EmailService:
    def send(self, session: Session, *, to: str, template: str, context: dict[str, Any]) -> int:
        """Render `template` with `context` for `to`; it is sent after the commit. Returns the
        outbox id. Raises `TemplateError` (a programming error) for a bad template/context."""
        rendered = render(template, context)
        message = repository.add(
            session,
            OutboxMessage(
                to_address=to,
                template=template,
                subject=rendered.subject,
                body_text=rendered.text,
                body_html=rendered.html,
                status="pending",
                attempts=0,
            ),
        )
        jobs.enqueue(session, "email.send", message.id)
        return message.id

    def deliver(self, session: Session, *, outbox_id: int, settings: Settings) -> bool:
        """Send one outbox row through the configured backend. False when there is nothing to do
        (already sent, or the row was erased). Backend errors propagate: the job retries."""
        message = repository.get_for_delivery(session, outbox_id)
        if message is None or message.status == "sent":
            return False
        backend = get_backend(settings)
        backend.send(
            OutgoingEmail(
                id=message.id,
                to=message.to_address,
                subject=message.subject,
                text=message.body_text,
                html=message.body_html,
            )
        )
        message.status = "sent"
        message.attempts += 1
        message.backend = backend.name
        message.sent_at = utcnow()
        message.last_error = None
        session.flush()
        return True

    def record_failure(
        self, session: Session, *, outbox_id: int, error: str, max_attempts: int = MAX_ATTEMPTS
    ) -> None:
        """Note a failed attempt; after `max_attempts` (the job's last try) the row is failed."""
        message = repository.get_for_delivery(session, outbox_id)
        if message is None or message.status == "sent":
            return
        message.attempts += 1
        message.last_error = error[:2000]
        if message.attempts >= max_attempts:
            message.status = "failed"
        session.flush()

    def list_outbox(
        self,
        session: Session,
        *,
        to_address: str | None = None,
        template: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[OutboxMessage], int]:
        return repository.list_messages(
            session,
            to_address=to_address.lower() if to_address else None,
            template=template,
            status=status,
            limit=limit,
            offset=offset,
        )

    def get(self, session: Session, *, outbox_id: int) -> OutboxMessage:
        message = session.get(OutboxMessage, outbox_id)
        if message is None:
            raise NotFoundError(f"No outbox message {outbox_id}")
        return message

    def messages_to(self, session: Session, *, to: str) -> list[OutboxMessage]:
        return repository.messages_to(session, to)

    def erase_address(self, session: Session, *, to: str) -> int:
        """Delete every message to `to` (erasure: the bodies are personal data)."""
        return repository.delete_to(session, to)


email_service = EmailService()


def delivery_attempts(settings: Settings) -> int:
    """How often the `email.send` job runs before giving up: Celery retries it up to
    `MAX_ATTEMPTS` times; the embedded runner stops at `ECOTRACK_JOBS_MAX_ATTEMPTS` if lower."""
    if settings.broker_url:
        return MAX_ATTEMPTS
    return min(MAX_ATTEMPTS, settings.jobs_max_attempts)


def _user_email(session: Session, user_id: int) -> str | None:
    from ecotrack.identity.service import identity_service  # identity sends email: import late

    user = identity_service.get_user(session, user_id=user_id)
    return user.email if user is not None else None


@subscribe("user.erased")
def _erase(session: Session, *, user_id: int) -> None:
    address = _user_email(session, user_id)
    if address:
        email_service.erase_address(session, to=address)


@subscribe("privacy.export_requested")
def _export(session: Session, *, user_id: int, add: Callable[[str, Any], None]) -> None:
    address = _user_email(session, user_id)
    if not address:
        return
    add(
        "email/messages.json",
        [
            {
                "id": m.id,
                "template": m.template,
                "subject": m.subject,
                "status": m.status,
                "created_at": m.created_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            }
            for m in email_service.messages_to(session, to=address)
        ],
    )
