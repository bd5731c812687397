"""Email backends behind one small interface and a registry (plugins, not if-chains).

* `file` (the embedded default): writes each message as an `.eml` file under
  `<data dir>/mail/`, readable by the operator (and every message stays in the outbox table,
  which platform admins read at `GET /api/v1/admin/outbox`).
* `console`: logs each message (development).
* `smtp`: `smtplib` with STARTTLS (`ECOTRACK_SMTP_STARTTLS`, default on) or implicit TLS
  (`ECOTRACK_SMTP_SSL`), optional login.

A plugin registers itself with `@register_backend("name")` and is chosen with
`ECOTRACK_EMAIL_BACKEND=name`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import smtplib
import ssl
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from ecotrack.core.settings import Settings

logger = logging.getLogger("ecotrack.email")


@dataclass(frozen=True)
class OutgoingEmail:
    id: int
    to: str
    subject: str
    text: str
    html: str


class EmailBackendError(RuntimeError):
    pass


class EmailBackend(ABC):
    name: str = ""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    def send(self, message: OutgoingEmail) -> None:
        """Deliver one message or raise; called at least once per outbox row."""

    def mime(self, message: OutgoingEmail) -> EmailMessage:
        mime = EmailMessage()
        mime["From"] = self.settings.email_from
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Date"] = formatdate(localtime=False)
        # Stable per outbox row (no clock, no randomness: `make_msgid` has both), so a retried
        # send carries the same Message-ID and receivers can drop the duplicate.
        domain = self.settings.email_from.rsplit("@", 1)[-1].strip(" >") or "ecotrack.invalid"
        digest = hashlib.sha256(
            "\x00".join((message.to, message.subject, message.text)).encode("utf-8")
        ).hexdigest()[:16]
        mime["Message-ID"] = f"<outbox-{message.id}.{digest}@{domain}>"
        mime.set_content(message.text)
        mime.add_alternative(message.html, subtype="html")
        return mime


BACKENDS: dict[str, type[EmailBackend]] = {}


def register_backend(name: str) -> Callable[[type[EmailBackend]], type[EmailBackend]]:
    def decorator(cls: type[EmailBackend]) -> type[EmailBackend]:
        cls.name = name
        BACKENDS[name] = cls
        return cls

    return decorator


def get_backend(settings: Settings) -> EmailBackend:
    cls = BACKENDS.get(settings.email_backend)
    if cls is None:
        raise EmailBackendError(
            f"unknown email backend {settings.email_backend!r}; known: {sorted(BACKENDS)}"
        )
    return cls(settings)


@register_backend("console")
class ConsoleBackend(EmailBackend):
    """Logs the whole message, links included: for development only."""

    def send(self, message: OutgoingEmail) -> None:
        logger.info(
            "email to %s: %s\n%s",
            message.to,
            message.subject,
            message.text,
            extra={"outbox_id": message.id, "to": message.to},
        )


@register_backend("file")
class FileBackend(EmailBackend):
    def directory(self) -> str:
        path = self.settings.ensure_data_dir() / "mail"
        path.mkdir(mode=0o700, exist_ok=True)
        return str(path)

    def send(self, message: OutgoingEmail) -> None:
        target = os.path.join(self.directory(), f"{message.id:08d}.eml")
        data = bytes(self.mime(message))
        tmp = target + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)  # idempotent: a retry overwrites the same file


@register_backend("smtp")
class SmtpBackend(EmailBackend):
    def send(self, message: OutgoingEmail) -> None:
        s = self.settings
        context = ssl.create_default_context(cafile=s.smtp_ca_file)
        client: smtplib.SMTP
        try:
            if s.smtp_ssl:
                client = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s, context=context
                )
            else:
                client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
            with client:
                client.ehlo()
                if s.smtp_starttls and not s.smtp_ssl:
                    client.starttls(context=context)
                    client.ehlo()
                if s.smtp_username:
                    client.login(s.smtp_username, s.smtp_password or "")
                client.send_message(self.mime(message))
        except UnicodeEncodeError as exc:  # smtplib sends AUTH strings as ASCII only
            raise EmailBackendError(
                "SMTP delivery failed: the SMTP username and password must be ASCII"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise EmailBackendError(f"SMTP delivery failed: {type(exc).__name__}: {exc}") from exc
