"""`ecotrack user create` and `ecotrack apikey create` (the secret is printed once)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecotrack.audit.models import AuditRecord
from ecotrack.cli import app
from ecotrack.email.models import OutboxMessage
from ecotrack.identity import passwords
from ecotrack.identity.models import User
from ecotrack.orgs.models import ApiKey
from ecotrack.orgs.signing import hash_secret, parse_secret
from tests.principals import PASSWORD, make_user, test_settings


@pytest.fixture
def runner(db: Any) -> CliRunner:  # noqa: ARG001 - the CLI uses the test's process-wide database
    return CliRunner()


def _user(session: Session, email: str) -> User | None:
    session.expire_all()
    return session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def test_user_create_admin_verified_with_password(
    runner: CliRunner, session: Session, client: Any
) -> None:
    result = runner.invoke(
        app,
        ["user", "create", "Admin@Example.org", "--password", PASSWORD, "--admin", "--verified"],
    )
    assert result.exit_code == 0, result.output
    user = _user(session, "admin@example.org")
    assert user is not None
    assert result.output.strip() == f"Created user {user.id} <admin@example.org> (role admin)"
    assert PASSWORD not in result.output
    assert (user.role, user.is_verified, user.is_active) == ("admin", True, True)
    assert user.verified_at is not None
    assert passwords.verify_password(user.password_hash, PASSWORD, test_settings(None))
    login = client.post(
        "/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    admin_h = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert client.get("/api/v1/admin/config", headers=admin_h).status_code == 200
    record = session.execute(
        select(AuditRecord).where(AuditRecord.action == "user.created")
    ).scalar_one()
    assert (record.actor_id, record.resource_id, record.details) == (
        None,
        str(user.id),
        {"role": "admin", "is_verified": True},
    )
    # No email is sent by the CLI.
    assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


def test_user_create_prompts_for_the_password(runner: CliRunner, session: Session) -> None:
    secret = "typed at the prompt 31"
    result = runner.invoke(
        app, ["user", "create", "bea@example.org"], input=f"{secret}\n{secret}\n"
    )
    assert result.exit_code == 0, result.output
    assert secret not in result.output  # hidden input
    user = _user(session, "bea@example.org")
    assert user is not None
    assert (user.role, user.is_verified) == ("user", False)
    assert passwords.verify_password(user.password_hash, secret, test_settings(None))

    mismatch = runner.invoke(
        app, ["user", "create", "cy@example.org"], input=f"{secret}\nsomething else 99\n"
    )
    assert mismatch.exit_code == 1
    assert "do not match" in mismatch.output
    assert _user(session, "cy@example.org") is None


def test_user_create_errors(runner: CliRunner, session: Session) -> None:
    make_user(session, "taken@example.org")
    taken = runner.invoke(app, ["user", "create", "TAKEN@example.org", "--password", PASSWORD])
    assert taken.exit_code == 1
    assert "email-taken" in taken.output
    weak = runner.invoke(app, ["user", "create", "weak@example.org", "--password", "password"])
    assert weak.exit_code == 1
    assert _user(session, "weak@example.org") is None
    short = runner.invoke(app, ["user", "create", "short@example.org", "--password", "abc"])
    assert short.exit_code == 1
    assert _user(session, "short@example.org") is None
    bad = runner.invoke(app, ["user", "create", "not-an-email", "--password", PASSWORD])
    assert bad.exit_code == 2
    assert "is not an email address" in bad.output
    assert _user(session, "not-an-email") is None


def test_apikey_create_prints_the_secret_once(runner: CliRunner, session: Session) -> None:
    make_user(session, "boss@example.org")
    created = runner.invoke(app, ["org", "create", "Key Org", "--owner", "boss@example.org"])
    assert created.exit_code == 0, created.output
    result = runner.invoke(
        app, ["apikey", "create", "--org", "key-org", "--scopes", "ingest,read", "--signed"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("eco_")
    assert result.output.count(secret) == 1
    key_id = parse_secret(secret)
    session.expire_all()
    key = session.execute(select(ApiKey).where(ApiKey.key_id == key_id)).scalar_one()
    assert (key.scopes, key.signed) == (["ingest", "read"], True)
    assert key.secret_hash == hash_secret(secret)
    assert secret not in str([key.secret_hash, key.prefix, key.name])
    # It is never shown again: a second key gets a different secret, the first stays hashed.
    again = runner.invoke(app, ["apikey", "create", "--org", "key-org", "--scopes", "read"])
    assert again.exit_code == 0, again.output
    assert secret not in again.output
