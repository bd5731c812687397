"""Templates, the `file` and `console` backends, sending as a job after commit, and the outbox
that platform admins read at `GET /api/v1/admin/outbox`."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecotrack.core.db import Database
from ecotrack.core.jobs import EmbeddedRunner, JobRecord
from ecotrack.core.settings import Settings
from ecotrack.email.backends import BACKENDS, EmailBackendError, get_backend
from ecotrack.email.models import OutboxMessage
from ecotrack.email.service import email_service
from ecotrack.email.templates import TEMPLATES, TemplateError, render
from tests.email.conftest import MailEnv, run_jobs
from tests.identity.helpers import forgot, register
from tests.principals import PASSWORD, auth_headers, make_user

API = "/api/v1"


# --- templates ----------------------------------------------------------------------------


def test_verification_template_links_and_escapes() -> None:
    url = "https://eco.example/verify-email#token=ett_abc&x=<1>"
    r = render("verify_email", {"url": url, "ttl_hours": 48})
    assert r.subject == "Confirm your EcoTrack email address"
    assert f"\n\n{url}\n\n" in r.text
    assert "The link works for 48 hours." in r.text
    escaped = "https://eco.example/verify-email#token=ett_abc&amp;x=&lt;1&gt;"
    assert f'<a href="{escaped}">Confirm my address</a>' in r.html
    assert url not in r.html
    assert "<title>Confirm your EcoTrack email address</title>" in r.html


def test_reset_existing_account_export_and_notice_templates() -> None:
    reset = render(
        "password_reset", {"url": "https://e.x/reset-password#token=t1", "ttl_minutes": 30}
    )
    assert reset.subject == "Reset your EcoTrack password"
    assert "\n\nhttps://e.x/reset-password#token=t1\n\n" in reset.text
    assert "30 minutes and only once" in reset.text
    assert '<a href="https://e.x/reset-password#token=t1">Choose a new password</a>' in reset.html

    existing = render("existing_account", {"reset_url": "https://e.x/forgot-password", "extra": ""})
    assert existing.subject == "You already have an EcoTrack account"
    assert "https://e.x/forgot-password" in existing.text

    export = render(
        "data_export_ready", {"url": "https://e.x/d?token=etx_1", "expires_at": "2026-12-03 10:00"}
    )
    assert "https://e.x/d?token=etx_1" in export.text
    assert "until 2026-12-03 10:00 (UTC)" in export.text

    notice = render("notice", {"title": "Line1\nLine2 <b>", "message": "Body <script>"})
    assert notice.subject == "Line1 Line2 <b>"  # no header injection through a newline
    assert notice.text == "Hello,\n\nBody <script>\n"
    assert "<p>Body &lt;script&gt;</p>" in notice.html
    assert "<title>Line1 Line2 &lt;b&gt;</title>" in notice.html


def test_template_errors_are_loud() -> None:
    with pytest.raises(TemplateError, match="unknown email template 'nope'"):
        render("nope", {})
    with pytest.raises(TemplateError, match=r"needs \['ttl_hours'\]"):
        render("verify_email", {"url": "u"})
    assert sorted(TEMPLATES) == [
        "data_export_ready",
        "existing_account",
        "notice",
        "password_reset",
        "verify_email",
    ]


# --- backends -------------------------------------------------------------------------------


def test_backend_registry(settings: Settings) -> None:
    assert {"file", "console", "smtp"} <= set(BACKENDS)
    assert settings.email_backend == "file"  # the embedded default
    with pytest.raises(EmailBackendError, match="unknown email backend 'pigeon'"):
        get_backend(settings.model_copy(update={"email_backend": "pigeon"}))


def _outbox(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def _jobs(session: Session) -> list[tuple[str, list[Any], str]]:
    rows = session.execute(select(JobRecord).order_by(JobRecord.id)).scalars()
    return [(j.name, j.args, j.status) for j in rows]


def test_file_backend_writes_the_message_after_commit(
    db: Database, session: Session, mail_env: MailEnv
) -> None:
    data_dir = mail_env(EMAIL_BACKEND="file")
    with db.unit_of_work() as s:
        outbox_id = email_service.send(
            s, to="ada@example.org", template="notice", context={"title": "Hi", "message": "M1"}
        )
        s.flush()
        assert _jobs(s) == [("email.send", [outbox_id], "pending")]
    mail = data_dir / "mail" / f"{outbox_id:08d}.eml"
    assert not mail.exists()  # committed, not yet sent
    assert run_jobs() == 1
    message = message_from_bytes(mail.read_bytes(), policy=policy.default)
    assert (message["To"], message["Subject"]) == ("ada@example.org", "Hi")
    assert message["From"] == "EcoTrack <no-reply@ecotrack.invalid>"
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content() == "Hello,\n\nM1\n"
    assert oct(mail.stat().st_mode & 0o777) == "0o600"
    assert oct((data_dir / "mail").stat().st_mode & 0o777) == "0o700"
    [row] = _outbox(session)
    assert (row.status, row.backend, row.attempts) == ("sent", "file", 1)
    # Idempotent by outbox id: delivering a sent row again does nothing.
    with db.unit_of_work() as s:
        assert email_service.deliver(s, outbox_id=outbox_id, settings=Settings()) is False
        assert email_service.deliver(s, outbox_id=999_999, settings=Settings()) is False


def test_console_backend_logs_the_message(
    db: Database, mail_env: MailEnv, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = mail_env(EMAIL_BACKEND="console")
    with db.unit_of_work() as s:
        outbox_id = email_service.send(
            s,
            to="bob@example.org",
            template="verify_email",
            context={"url": "http://127.0.0.1:8000/verify-email#token=ett_zz", "ttl_hours": 1},
        )
    with caplog.at_level(logging.INFO, logger="ecotrack.email"):
        assert run_jobs() == 1
    [line] = [r for r in caplog.records if r.name == "ecotrack.email"]
    assert line.getMessage().startswith("email to bob@example.org: Confirm your EcoTrack email")
    assert "http://127.0.0.1:8000/verify-email#token=ett_zz" in line.getMessage()
    assert line.outbox_id == outbox_id  # type: ignore[attr-defined]
    assert not (data_dir / "mail").exists()


def test_a_rolled_back_unit_of_work_sends_nothing(
    db: Database, session: Session, mail_env: MailEnv
) -> None:
    data_dir = mail_env(EMAIL_BACKEND="file")
    with pytest.raises(RuntimeError, match="boom"), db.unit_of_work() as s:
        email_service.send(
            s, to="ada@example.org", template="notice", context={"title": "T", "message": "M"}
        )
        raise RuntimeError("boom")
    assert _outbox(session) == []
    assert _jobs(session) == []
    assert EmbeddedRunner().run_one() is False
    assert not (data_dir / "mail").exists()


def test_a_failed_request_sends_nothing(client: Any, session: Session) -> None:
    """A password change that fails validation after re-authentication rolls back: no notice."""
    user = make_user(session, "dan@example.org")
    h = auth_headers(session, user)
    weak = client.post(
        f"{API}/auth/password/change",
        json={"current_password": PASSWORD, "new_password": "password"},
        headers=h,
    )
    assert weak.status_code == 422
    assert [m.to_address for m in _outbox(session)] == []
    good = client.post(
        f"{API}/auth/password/change",
        json={"current_password": PASSWORD, "new_password": "another sturdy phrase 7"},
        headers=h,
    )
    assert good.status_code == 204, good.text
    assert [(m.to_address, m.template, m.subject) for m in _outbox(session)] == [
        ("dan@example.org", "notice", "Your EcoTrack password was changed")
    ]
    assert [name for name, _, _ in _jobs(session)] == ["email.send"]


# --- the flows that send email, and the outbox API -----------------------------------------


def _outbox_api(client: Any, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/admin/outbox", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _link(body_text: str, page: str) -> str:
    start = body_text.index(f"http://127.0.0.1:8000/{page}#token=")
    return body_text[start:].split()[0]


def test_verification_reset_and_notice_links_work(client: Any, session: Session) -> None:
    admin_h = auth_headers(session, make_user(session, "root@example.org", admin=True))
    r = register(client, "eve@example.org", "a new passphrase 77")
    assert r.status_code == 202
    [verify] = _outbox_api(client, admin_h, to="EVE@example.org")["items"]
    assert (verify["template"], verify["status"], verify["subject"]) == (
        "verify_email",
        "pending",
        "Confirm your EcoTrack email address",
    )
    link = _link(verify["body_text"], "verify-email")
    token = link.split("#token=", 1)[1]
    assert client.post(f"{API}/auth/verify-email", json={"token": token}).status_code == 200
    assert client.post(f"{API}/auth/verify-email", json={"token": token}).status_code == 400

    # Registering again with the same address: the owner gets a notice, not a second account.
    again = register(client, "eve@example.org", "whatever pass 12")
    assert again.status_code == 202
    notice = _outbox_api(client, admin_h, to="eve@example.org", template="existing_account")
    assert notice["total"] == 1
    assert "http://127.0.0.1:8000/forgot-password" in notice["items"][0]["body_text"]

    assert forgot(client, "eve@example.org").status_code == 202
    [reset] = _outbox_api(client, admin_h, to="eve@example.org", template="password_reset")["items"]
    token = _link(reset["body_text"], "reset-password").split("#token=", 1)[1]
    done = client.post(
        f"{API}/auth/password/reset", json={"token": token, "new_password": "brand new phrase 88"}
    )
    assert done.status_code == 204, done.text
    changed = _outbox_api(client, admin_h, to="eve@example.org", template="notice")["items"]
    assert [m["subject"] for m in changed] == ["Your EcoTrack password was changed"]
    # An unknown address: the same answer, and nothing in the outbox.
    before = _outbox_api(client, admin_h)["total"]
    assert forgot(client, "nobody@example.org").status_code == 202
    assert _outbox_api(client, admin_h)["total"] == before


def test_outbox_api_filters_pages_and_is_admin_only(
    client: Any, session: Session, db: Database, mail_env: MailEnv
) -> None:
    mail_env(EMAIL_BACKEND="file")
    admin_h = auth_headers(session, make_user(session, admin=True))
    ids = []
    with db.unit_of_work() as s:
        for i, to in enumerate(["a@example.org", "b@example.org", "a@example.org"]):
            ids.append(
                email_service.send(
                    s, to=to, template="notice", context={"title": f"T{i}", "message": "m"}
                )
            )
    EmbeddedRunner().run_one()  # the first one is sent
    everything = _outbox_api(client, admin_h)
    assert [m["id"] for m in everything["items"]] == ids[::-1]  # newest first
    assert everything["total"] == 3
    first = everything["items"][-1]
    assert set(first) == {
        "id", "to_address", "template", "subject", "body_text", "status", "backend", "attempts",
        "last_error", "created_at", "sent_at",
    }  # fmt: skip
    assert (first["status"], first["backend"], first["attempts"]) == ("sent", "file", 1)
    assert [m["id"] for m in _outbox_api(client, admin_h, to="a@example.org")["items"]] == [
        ids[2],
        ids[0],
    ]
    assert [m["id"] for m in _outbox_api(client, admin_h, status="pending")["items"]] == [
        ids[2],
        ids[1],
    ]
    assert _outbox_api(client, admin_h, template="password_reset")["items"] == []
    page = _outbox_api(client, admin_h, limit=1, offset=1)
    assert ([m["id"] for m in page["items"]], page["total"]) == ([ids[1]], 3)
    bad = client.get(f"{API}/admin/outbox", params={"status": "lost"}, headers=admin_h)
    assert bad.status_code == 422
    user_h = auth_headers(session, make_user(session))
    assert client.get(f"{API}/admin/outbox", headers=user_h).status_code == 403
    assert client.get(f"{API}/admin/outbox").status_code == 401
    count = session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
    assert count == 3


def test_mail_directory_is_under_the_data_dir(settings: Settings, tmp_path: Path) -> None:
    from ecotrack.email.backends import FileBackend

    backend = FileBackend(settings.model_copy(update={"data_dir": tmp_path}))
    assert backend.directory() == str(tmp_path / "mail")
