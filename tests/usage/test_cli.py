"""`ecotrack usage import` and `ecotrack usage rebuild-rollups`."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from ecotrack.cli import app
from ecotrack.usage.models import UsageEvent, UsageRollupOrgDaily
from tests.usage.conftest import Org, assert_rollups_equal_raw, event, now_utc, stored


@pytest.fixture
def runner(db) -> CliRunner:  # the CLI uses the process-wide database: the test's
    return CliRunner()


def test_import_jsonl_validates_enriches_and_is_idempotent(
    runner: CliRunner, session, org: Org, tmp_path
) -> None:
    good = [event(user=f"u{i % 3}") for i in range(25)]
    lines = [orjson.dumps(e).decode() for e in good]
    lines.insert(3, "{broken")
    lines.insert(10, orjson.dumps(event(tokens_out="many")).decode())
    lines.append("")
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = runner.invoke(app, ["usage", "import", str(path), "--org", org.slug, "--batch", "10"])
    assert result.exit_code == 3, result.output  # some lines were rejected
    assert "25 accepted, 0 duplicates, 2 rejected" in result.output
    assert "line 4: not JSON" in result.output
    assert "line 11: tokens_out" in result.output
    assert stored(session, org.id) == 25
    first = select(UsageEvent).where(UsageEvent.event_id == good[0]["id"])
    row = session.execute(first).scalar_one()
    assert row.status == "ok"
    assert row.energy_kwh_max > 0
    assert_rollups_equal_raw(session, org.id)

    again = runner.invoke(app, ["usage", "import", str(path), "--org", org.slug])
    assert "0 accepted, 25 duplicates, 2 rejected" in again.output
    assert stored(session, org.id) == 25

    unknown = runner.invoke(app, ["usage", "import", str(path), "--org", "nope"])
    assert unknown.exit_code == 1
    assert "No organisation 'nope'" in unknown.output


def test_rebuild_rollups_command(runner: CliRunner, session, org: Org, tmp_path) -> None:
    day = now_utc().date() - timedelta(days=10)
    e = event(ts=f"{day.isoformat()}T10:00:00Z")
    path = tmp_path / "one.jsonl"
    path.write_text(orjson.dumps(e).decode(), encoding="utf-8")
    assert runner.invoke(app, ["usage", "import", str(path), "--org", org.slug]).exit_code == 0
    session.execute(update(UsageRollupOrgDaily).values(calls=7))
    session.commit()
    result = runner.invoke(
        app,
        ["usage", "rebuild-rollups", "--org", org.slug, "--from",
         (day - timedelta(days=5)).isoformat(), "--to", day.isoformat()],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_rollups_equal_raw(session, org.id)
    args = ["--org", org.slug, "--from", "2026-11-30", "--to", "2026-11-01"]
    bad = runner.invoke(app, ["usage", "rebuild-rollups", *args])
    assert bad.exit_code == 2
