"""`ecotrack org create` and `ecotrack apikey create`."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ecotrack.cli import app
from ecotrack.orgs.models import ApiKey, Membership, Organisation
from ecotrack.orgs.signing import hash_secret, parse_secret
from tests.orgs.people import make_user


@pytest.fixture
def runner(db) -> CliRunner:  # the CLI uses the process-wide database: the test's
    return CliRunner()


def test_org_create_and_apikey_create(runner: CliRunner, session) -> None:
    owner = make_user(session, "boss@example.org")
    session.commit()
    result = runner.invoke(app, ["org", "create", "Acme Ltd", "--owner", "boss@example.org"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "acme-ltd"
    session.expire_all()
    org = session.execute(select(Organisation).where(Organisation.slug == "acme-ltd")).scalar_one()
    membership = session.execute(select(Membership).where(Membership.org_id == org.id)).scalar_one()
    assert (membership.user_id, membership.role) == (owner.id, "owner")

    result = runner.invoke(
        app,
        [
            "apikey",
            "create",
            "--org",
            "acme-ltd",
            "--scopes",
            "ingest,read",
            "--signed",
            "--name",
            "ci",
        ],
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    key_id = parse_secret(secret)
    assert key_id is not None
    key = session.execute(select(ApiKey).where(ApiKey.key_id == key_id)).scalar_one()
    assert (key.org_id, key.name, key.scopes, key.signed) == (
        org.id,
        "ci",
        ["ingest", "read"],
        True,
    )
    assert key.secret_hash == hash_secret(secret)
    assert key.created_by_id is None


def test_errors_exit_non_zero(runner: CliRunner, session) -> None:
    make_user(session, "boss@example.org")
    session.commit()
    r = runner.invoke(app, ["org", "create", "X", "--owner", "nobody@example.org"])
    assert r.exit_code == 1
    assert "No user" in r.output
    r = runner.invoke(
        app, ["org", "create", "X", "--owner", "boss@example.org", "--slug", "Bad Slug"]
    )
    assert r.exit_code == 2
    r = runner.invoke(app, ["apikey", "create", "--org", "missing", "--scopes", "read"])
    assert r.exit_code == 1
    assert "No organisation" in r.output
    runner.invoke(app, ["org", "create", "Acme", "--owner", "boss@example.org"])
    r = runner.invoke(app, ["apikey", "create", "--org", "acme", "--scopes", "root"])
    assert r.exit_code == 2
    r = runner.invoke(
        app, ["org", "create", "Acme", "--owner", "boss@example.org", "--slug", "acme"]
    )
    assert r.exit_code == 1
    assert "taken" in r.output
