"""The `smtp` backend against a real SMTP server (aiosmtpd on 127.0.0.1): plain SMTP, and AUTH
LOGIN / PLAIN after STARTTLS with a self-signed certificate trusted through `smtp_ca_file`."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecotrack.core.jobs import EmbeddedRunner, JobRecord
from ecotrack.core.settings import Settings
from ecotrack.email.backends import EmailBackendError, OutgoingEmail, SmtpBackend, get_backend
from ecotrack.email.models import OutboxMessage
from tests.email.conftest import MailEnv, run_jobs
from tests.email.smtp_server import (
    free_port,
    self_signed_certificate,
    smtp_server,
)

LOGIN, SECRET = "relay-user", "relay pass 1 !:%"
MESSAGE = OutgoingEmail(
    id=7,
    to="ada@example.org",
    subject="Grüße from EcoTrack",
    text="Hello,\n\nopen https://eco.example/verify-email#token=abc\n",
    html="<p>Hello <b>Ada</b></p>",
)


def smtp_settings(settings: Settings, port: int, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "email_backend": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_timeout_s": 5.0,
        "email_from": "EcoTrack <no-reply@eco.example>",
    }
    return settings.model_copy(update={**values, **changes})


def assert_is_message(received: Any, *, tls: bool, login: str | None) -> None:
    assert received.mail_from == "no-reply@eco.example"
    assert received.rcpt_tos == ["ada@example.org"]
    assert (received.tls, received.login) == (tls, login)
    m = received.message
    assert m["From"] == "EcoTrack <no-reply@eco.example>"
    assert m["To"] == "ada@example.org"
    assert m["Subject"] == "Grüße from EcoTrack"
    assert m["Message-ID"].startswith("<outbox-7.")
    assert m["Message-ID"].endswith("@eco.example>")
    assert m["Date"]
    assert m.get_content_type() == "multipart/alternative"
    plain = m.get_body(("plain",))
    html = m.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content().replace("\r\n", "\n") == MESSAGE.text
    assert html.get_content().strip() == MESSAGE.html


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path)


def server_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    return context


def test_plain_smtp_delivers_headers_body_and_recipient(settings: Settings) -> None:
    with smtp_server() as (recorder, port):
        backend = get_backend(smtp_settings(settings, port))
        assert isinstance(backend, SmtpBackend)
        backend.send(MESSAGE)
        backend.send(MESSAGE)  # a retry of the same outbox row
    assert len(recorder.messages) == 2
    assert_is_message(recorder.messages[0], tls=False, login=None)
    first, again = (r.message["Message-ID"] for r in recorder.messages)
    assert first == again  # the same Message-ID on a retry: receivers can drop the duplicate


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_auth_over_starttls_with_a_private_ca(
    settings: Settings, tls_files: tuple[Path, Path], mechanism: str
) -> None:
    other = {"LOGIN": "PLAIN", "PLAIN": "LOGIN"}[mechanism]
    with smtp_server(
        credentials=(LOGIN, SECRET),
        tls_context=server_tls(tls_files),
        require_starttls=True,
        auth_required=True,
        auth_exclude_mechanism=[other],  # the server offers only the mechanism under test
    ) as (recorder, port):
        backend = get_backend(
            smtp_settings(
                settings,
                port,
                smtp_starttls=True,
                smtp_ca_file=str(tls_files[0]),
                smtp_username=LOGIN,
                smtp_password=SECRET,
            )
        )
        backend.send(MESSAGE)
    assert recorder.auth_attempts == [(mechanism, LOGIN)]
    assert len(recorder.messages) == 1
    assert_is_message(recorder.messages[0], tls=True, login=LOGIN)


def test_an_untrusted_certificate_is_refused(
    settings: Settings, tls_files: tuple[Path, Path]
) -> None:
    """Without `smtp_ca_file` the self-signed certificate is not trusted: nothing is sent."""
    with smtp_server(
        credentials=(LOGIN, SECRET), tls_context=server_tls(tls_files), require_starttls=True
    ) as (recorder, port):
        backend = get_backend(
            smtp_settings(
                settings, port, smtp_starttls=True, smtp_username=LOGIN, smtp_password=SECRET
            )
        )
        with pytest.raises(EmailBackendError, match="CERTIFICATE_VERIFY_FAILED"):
            backend.send(MESSAGE)
    assert (recorder.messages, recorder.auth_attempts) == ([], [])


def test_a_server_without_starttls_gets_no_plaintext_credentials(settings: Settings) -> None:
    with smtp_server(credentials=(LOGIN, SECRET), auth_require_tls=False) as (recorder, port):
        backend = get_backend(
            smtp_settings(
                settings, port, smtp_starttls=True, smtp_username=LOGIN, smtp_password=SECRET
            )
        )
        with pytest.raises(EmailBackendError, match="STARTTLS extension not supported"):
            backend.send(MESSAGE)
    assert (recorder.messages, recorder.auth_attempts) == ([], [])


def test_wrong_credentials_fail_and_send_nothing(
    settings: Settings, tls_files: tuple[Path, Path]
) -> None:
    with smtp_server(
        credentials=(LOGIN, SECRET),
        tls_context=server_tls(tls_files),
        require_starttls=True,
        auth_required=True,
    ) as (recorder, port):
        backend = get_backend(
            smtp_settings(
                settings,
                port,
                smtp_starttls=True,
                smtp_ca_file=str(tls_files[0]),
                smtp_username=LOGIN,
                smtp_password="not the password",
            )
        )
        with pytest.raises(EmailBackendError, match="SMTPAuthenticationError"):
            backend.send(MESSAGE)
    assert recorder.messages == []
    # smtplib tries each offered mechanism it knows, then gives up.
    assert recorder.auth_attempts == [("PLAIN", LOGIN), ("LOGIN", LOGIN)]


def test_non_ascii_credentials_fail_clearly(settings: Settings) -> None:
    with smtp_server(credentials=(LOGIN, "pässword"), auth_require_tls=False) as (recorder, port):
        backend = get_backend(
            smtp_settings(settings, port, smtp_username=LOGIN, smtp_password="pässword")
        )
        with pytest.raises(EmailBackendError, match="username and password must be ASCII"):
            backend.send(MESSAGE)
    assert recorder.messages == []


def _outbox(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def test_registration_email_goes_out_over_smtp_as_a_job(
    client: Any, session: Session, mail_env: MailEnv, tls_files: tuple[Path, Path]
) -> None:
    """register -> outbox row + job (nothing sent yet) -> the job sends it over STARTTLS+AUTH
    -> the link in the received message verifies the address."""
    with smtp_server(
        credentials=(LOGIN, SECRET),
        tls_context=server_tls(tls_files),
        require_starttls=True,
        auth_required=True,
    ) as (recorder, port):
        mail_env(
            EMAIL_BACKEND="smtp",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_CA_FILE=tls_files[0],
            SMTP_USERNAME=LOGIN,
            SMTP_PASSWORD=SECRET,
            EMAIL_FROM="EcoTrack <no-reply@eco.example>",
        )
        response = client.post(
            "/api/v1/auth/register",
            json={"email": "Grace@Example.org", "password": "correct horse battery 9"},
        )
        assert response.status_code == 202, response.text
        # Written and sent by jobs, not by the request: `identity.registration_mail` renders
        # the message into the outbox, `email.send` delivers it.
        assert _outbox(session) == []
        assert recorder.messages == []
        runner = EmbeddedRunner()
        assert runner.run_one() is True
        [row] = _outbox(session)
        assert (row.to_address, row.template, row.status, row.attempts) == (
            "grace@example.org",
            "verify_email",
            "pending",
            0,
        )
        assert recorder.messages == []
        assert run_jobs(runner) == 1
    [received] = recorder.messages
    assert (received.rcpt_tos, received.tls, received.login) == (
        ["grace@example.org"],
        True,
        LOGIN,
    )
    assert received.message["Subject"] == "Confirm your EcoTrack email address"
    [row] = _outbox(session)
    assert (row.status, row.backend, row.attempts, row.last_error) == ("sent", "smtp", 1, None)
    assert row.sent_at is not None
    text = received.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text == row.body_text
    token = text.split("#token=", 1)[1].split()[0]
    assert text.count("http://127.0.0.1:8000/verify-email#token=" + token) == 1
    verified = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 200, verified.text
    assert run_jobs() == 0  # a sent row is never sent again


def test_an_unreachable_server_is_retried_then_marked_failed(
    session: Session, db: Any, mail_env: MailEnv
) -> None:
    from ecotrack.core.db import utcnow
    from ecotrack.email.service import email_service

    port = free_port()  # nothing listens there
    mail_env(EMAIL_BACKEND="smtp", SMTP_PORT=port, SMTP_STARTTLS="false", JOBS_MAX_ATTEMPTS=2)
    with db.unit_of_work() as s:
        outbox_id = email_service.send(
            s, to="ada@example.org", template="notice", context={"title": "T", "message": "M"}
        )
    runner = EmbeddedRunner(max_attempts=2)
    assert runner.run_one() is True
    [row] = _outbox(session)
    assert (row.id, row.status, row.attempts) == (outbox_id, "pending", 1)
    assert row.last_error is not None
    assert row.last_error.startswith("EmailBackendError: SMTP delivery failed: ConnectionRefused")
    with db.unit_of_work() as s:  # skip the backoff
        s.execute(JobRecord.__table__.update().values(run_after=utcnow()))
    assert runner.run_one() is True
    [row] = _outbox(session)
    assert (row.status, row.attempts, row.sent_at) == ("failed", 2, None)
    job = session.execute(select(JobRecord)).scalar_one()
    assert (job.name, job.status, job.attempts) == ("email.send", "failed", 2)
    assert runner.run_one() is False
