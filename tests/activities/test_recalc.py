"""`ecotrack recalc`: every activity priced again; changed ones keep their previous value."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from ecotrack.activities import repository
from ecotrack.activities.models import Activity, ActivityRevision, RecalcRun
from ecotrack.activities.recalc import recalc_service
from ecotrack.activities.service import activities_service
from ecotrack.core import jobs
from tests.activities.conftest import assert_rollup_matches, by_name

OLD_FACTOR = "desnz:2024:24_301_3070_4_1"


def _stale(session, person, n: int = 3) -> list[int]:
    """`n` petrol trips whose stored values came from an older edition (0.17 kg/km)."""
    rows = activities_service.bulk_log(
        session,
        user_id=person.id,
        items=[
            {"activity": "car", "amount": 100, "unit": "km", "occurred_on": date(2026, 1, 1 + i),
             "options": {"fuel": "petrol"}}
            for i in range(n)
        ],
        emit_logged=False,
    )  # fmt: skip
    ids = [r.id for r in rows]
    session.execute(
        update(Activity)
        .where(Activity.id.in_(ids))
        .values(co2e_kg=17.0, factor_id=OLD_FACTOR, edition="2024 v1.1")
    )
    repository.refresh_daily(session, user_id=person.id, days=[r.occurred_on for r in rows])
    session.commit()
    return ids


def test_recalc_recomputes_and_keeps_previous_values(db, session, person, published) -> None:
    ids = _stale(session, person)
    published.clear()  # the seeding's own event
    with db.unit_of_work() as s:
        run_id = recalc_service.start(s).id
    seen = []
    run = recalc_service.run(
        db, run_id=run_id, batch_size=2, on_progress=lambda r: seen.append(r.processed)
    )
    assert (run.status, run.total, run.processed, run.changed, run.failed) == ("done", 3, 3, 3, 0)
    assert seen == [2, 3, 3]
    session.expire_all()
    for activity_id in ids:
        row = session.get(Activity, activity_id)
        assert row.co2e_kg == pytest.approx(16.272)
        assert row.factor_id == "desnz:2025:25_301_3070_4_1"
        assert (row.previous_co2e_kg, row.previous_factor_id) == (17.0, OLD_FACTOR)
        assert row.previous_edition == "2024 v1.1"
    revisions = session.execute(select(ActivityRevision)).scalars().all()
    assert sorted((r.activity_id, r.reason, r.co2e_kg, r.factor_id) for r in revisions) == [
        (i, "recalc", 17.0, OLD_FACTOR) for i in ids
    ]
    assert_rollup_matches(session, person.id)
    changed = by_name(published)["activity.changed"]
    assert changed == [
        {"user_id": person.id, "days": [date(2026, 1, 1), date(2026, 1, 2)]},
        {"user_id": person.id, "days": [date(2026, 1, 3)]},
    ]
    assert "activity.logged" not in by_name(published)


def test_recalc_is_idempotent(db, session, person) -> None:
    _stale(session, person, n=2)
    with db.unit_of_work() as s:
        first = recalc_service.start(s).id
    assert recalc_service.run(db, run_id=first).changed == 2
    assert recalc_service.run(db, run_id=first).changed == 2  # a finished run does nothing more
    with db.unit_of_work() as s:
        second = recalc_service.start(s).id
    assert second != first
    again = recalc_service.run(db, run_id=second)
    assert (again.processed, again.changed) == (2, 0)
    session.expire_all()
    assert len(session.execute(select(ActivityRevision)).scalars().all()) == 2


def test_an_interrupted_run_resumes_from_its_cursor(db, session, person) -> None:
    ids = _stale(session, person, n=3)
    with db.unit_of_work() as s:
        run_id = recalc_service.start(s).id
    with db.unit_of_work() as s:
        assert recalc_service.step(s, run_id=run_id, batch_size=1) is True
    # the process dies here; a later `ecotrack recalc` resumes the same run
    with db.unit_of_work() as s:
        resumed = recalc_service.start(s)
        assert (resumed.id, resumed.status, resumed.last_activity_id) == (run_id, "running", ids[0])
    run = recalc_service.run(db, run_id=run_id)
    assert (run.processed, run.changed) == (3, 3)
    session.expire_all()
    assert len(session.execute(select(ActivityRevision)).scalars().all()) == 3


def test_a_chunk_another_runner_already_did_is_rolled_back(db, session, person) -> None:
    _stale(session, person, n=2)
    with db.unit_of_work() as s:
        run_id = recalc_service.start(s).id
    with db.unit_of_work() as s:
        run = s.get(RecalcRun, run_id)
        rows = repository.activities_after(s, after_id=0, limit=1)
        # someone else moved the cursor between our read and our write
        assert repository.advance_run(s, run_id=run_id, from_id=0, values={"last_activity_id": 1})
        assert not repository.advance_run(s, run_id=run_id, from_id=0, values={"processed": 9})
        assert run is not None
        assert rows


def test_the_job_and_the_cli(db, session, person, monkeypatch) -> None:
    _stale(session, person, n=2)
    jobs.load_task_modules()
    assert "activities.recalc" in jobs.TASKS
    from ecotrack.cli import app

    monkeypatch.setattr("ecotrack.core.db.get_database", lambda: db)
    result = CliRunner().invoke(app, ["recalc", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "done" in result.output
    assert "2 changed" in result.output
    with db.unit_of_work() as s:
        run_id = recalc_service.start(s).id
    assert jobs.run_task("activities.recalc", [run_id], {}) == 0
