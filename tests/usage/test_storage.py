"""Storage: monthly partitions (PostgreSQL), retention, rollup repair, and rollups == raw under
random batches with retries (Hypothesis)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text, update

from ecotrack.core import jobs
from ecotrack.orgs.models import Organisation
from ecotrack.usage import repository
from ecotrack.usage.models import UsageEvent, UsageEventKey, UsageRollupDaily, UsageRollupOrgDaily
from ecotrack.usage.service import OrganisationGone, usage_service
from tests.principals import auth_headers
from tests.usage.conftest import Org, assert_rollups_equal_raw, event, stored

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _ingest(session, settings, org: Org, events, now=NOW):  # type: ignore[no-untyped-def]
    result = usage_service.ingest(session, org_id=org.id, items=events, settings=settings, now=now)
    session.flush()
    return result


@pytest.mark.postgres_only
def test_partitions_are_created_ahead_and_on_demand(session, settings, org: Org) -> None:
    created = usage_service.ensure_partitions(session, settings=settings, now=NOW)
    assert set(created) <= {"usage_event_p2026_11", "usage_event_p2026_12", "usage_event_p2027_01"}
    names = {name for name, _ in repository.partitions(session)}
    assert {"usage_event_p2026_11", "usage_event_p2026_12", "usage_event_p2027_01"} <= names
    assert usage_service.ensure_partitions(session, settings=settings, now=NOW) == []
    old = event(ts="2026-03-14T09:00:00Z")  # no partition yet: made on demand
    assert "usage_event_p2026_03" not in names
    assert _ingest(session, settings, org, [old]).accepted == 1
    assert "usage_event_p2026_03" in {name for name, _ in repository.partitions(session)}
    where = session.execute(
        text("SELECT tableoid::regclass::text FROM usage_event WHERE event_id = :id"),
        {"id": old["id"]},
    ).scalar_one()
    assert where == "usage_event_p2026_03"


def test_retention_drops_old_events_and_keys_but_keeps_rollups(session, settings, org: Org) -> None:
    old = [event(ts="2026-05-10T09:00:00Z") for _ in range(3)]
    recent = [event(ts="2026-11-20T09:00:00Z") for _ in range(2)]
    assert _ingest(session, settings, org, [*old, *recent]).accepted == 5
    rollups_before = session.execute(
        select(UsageRollupOrgDaily.day, UsageRollupOrgDaily.calls).where(
            UsageRollupOrgDaily.org_id == org.id
        )
    ).all()
    short = settings.model_copy(update={"usage_retention_days": 90})  # cutoff 2026-09-01
    result = usage_service.apply_retention(session, settings=short, now=NOW)
    session.expire_all()
    remaining = set(session.execute(select(UsageEvent.event_id)).scalars())
    assert remaining == {e["id"] for e in recent}
    keys = set(session.execute(select(UsageEventKey.event_id)).scalars())
    assert keys == {e["id"] for e in recent}
    if repository.dialect(session) == "postgresql":
        assert "usage_event_p2026_05" in result["partitions_dropped"]
        assert "usage_event_p2026_11" not in result["partitions_dropped"]
        names = {n for n, _ in repository.partitions(session)}
        assert "usage_event_p2026_05" not in names
        assert "usage_event_p2026_11" in names
    else:
        assert result["events_deleted"] == 3
    assert result["keys_deleted"] == 3
    after = session.execute(
        select(UsageRollupOrgDaily.day, UsageRollupOrgDaily.calls).where(
            UsageRollupOrgDaily.org_id == org.id
        )
    ).all()
    assert sorted(after) == sorted(rollups_before)  # history stays
    # An event older than the retention period is refused, not stored.
    late = _ingest(session, short, org, [event(ts="2026-08-01T00:00:00Z")])
    assert late.accepted == 0
    assert late.rejected[0].errors[0].loc == ["ts"]


def test_retention_job_runs(session, settings, org: Org) -> None:
    jobs.load_task_modules()
    assert jobs.TASKS["usage.apply_retention"].every_s == 86_400
    assert jobs.TASKS["usage.ensure_partitions"].every_s == 3_600
    assert isinstance(jobs.run_task("usage.apply_retention", [], {}), dict)
    assert isinstance(jobs.run_task("usage.ensure_partitions", [], {}), list)


def test_rebuild_rollups_repairs_a_range(session, settings, org: Org) -> None:
    events = [event(ts=f"2026-11-{d:02d}T10:00:00Z", user=f"u{d % 2}") for d in range(1, 29)]
    assert _ingest(session, settings, org, events).accepted == 28
    # Damage: one day's rollup wrong, another missing.
    session.execute(
        update(UsageRollupDaily)
        .where(UsageRollupDaily.org_id == org.id, UsageRollupDaily.day == date(2026, 11, 5))
        .values(calls=99, co2e_kg=1.0)
    )
    session.execute(
        delete(UsageRollupOrgDaily).where(
            UsageRollupOrgDaily.org_id == org.id, UsageRollupOrgDaily.day == date(2026, 11, 6)
        )
    )
    jobs.run_task("usage.rebuild_rollups", [org.id, "2026-11-01", "2026-11-10"], {})
    assert_rollups_equal_raw(session, org.id)


_event_strategy = st.fixed_dictionaries(
    {
        "day": st.integers(min_value=1, max_value=29),
        "user": st.sampled_from(["", "ana", "bo"]),
        "team": st.sampled_from(["", "x"]),
        "model": st.sampled_from(["gpt-4o-mini", "gpt-4o", "not-a-model"]),
        "tokens_out": st.integers(min_value=0, max_value=5000),
        "tokens_in": st.integers(min_value=0, max_value=50_000),
        "zone": st.sampled_from([None, "FR", "SWE", "bad!"]),
    }
)


@hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(st.lists(_event_strategy, min_size=1, max_size=30), min_size=1, max_size=4),
    retries=st.lists(st.integers(min_value=0, max_value=3), max_size=4),
)
def test_rollups_equal_raw_sums_over_random_batches_and_retries(
    session, settings, org: Org, batches, retries
) -> None:
    sent: list[list[dict]] = []  # type: ignore[type-arg]
    accepted = 0
    distinct: set[str] = set()
    for spec in batches:
        items = []
        for s in spec:
            e = event(
                ts=f"2026-11-{s['day']:02d}T10:00:00Z", user=s["user"] or None,
                team=s["team"] or None, model=s["model"], tokens_out=s["tokens_out"],
                tokens_in=s["tokens_in"], zone=s["zone"], id=uuid.uuid4().hex,
            )  # fmt: skip
            items.append(e)
        sent.append(items)
        accepted += _ingest(session, settings, org, items).accepted
        distinct |= {e["id"] for e in items if e["zone"] != "bad!"}
    for index in retries:  # a client retrying a batch (whole or in part)
        again = sent[index % len(sent)]
        result = _ingest(session, settings, org, again)
        assert result.accepted == 0
    assert accepted == len(distinct) == stored(session, org.id)
    assert_rollups_equal_raw(session, org.id)
    # Clean up for the next example (the transaction is per test, not per example).
    for model in (UsageEvent, UsageEventKey, UsageRollupDaily, UsageRollupOrgDaily):
        session.execute(delete(model).where(model.org_id == org.id))
    session.flush()


def test_awkward_dimension_strings_roll_up_exactly(session, settings, org: Org) -> None:
    """User and team values go to PostgreSQL as array literals built by the repository: quotes,
    backslashes, commas, braces, spaces, NULL-like and non-ASCII text must come back unchanged."""
    awkward = ['a"b', "c\\d", "x,y}", "{z}", " NULL ", "é ü 漢", 'q\\"', "t\tab", "sp ace"]
    items = [
        event(ts=f"2026-11-{10 + i % 3:02d}T10:00:00Z", user=u, team=awkward[-1 - i],
              tokens_in=100 + i, tokens_out=10 * i)
        for i, u in enumerate(awkward)
    ]  # fmt: skip
    assert _ingest(session, settings, org, items).accepted == len(awkward)
    users = set(
        session.execute(
            select(UsageRollupDaily.user_ref).where(UsageRollupDaily.org_id == org.id)
        ).scalars()
    )
    assert users == {u.strip() for u in awkward}  # strings are stripped at validation
    assert_rollups_equal_raw(session, org.id)
    # The same batch again adds nothing (keys claimed with the same literal form).
    assert _ingest(session, settings, org, items).accepted == 0
    assert_rollups_equal_raw(session, org.id)


def _usage_rows(session, org_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    out = {}
    for model in (UsageEvent, UsageEventKey, UsageRollupDaily, UsageRollupOrgDaily):
        out[model.__tablename__] = session.execute(
            select(func.count()).select_from(model).where(model.org_id == org_id)
        ).scalar_one()
    return out


def test_deleting_an_organisation_deletes_its_usage_rows(
    client, session, settings, org: Org, other_org: Org
) -> None:
    """`org_id` is a loose key (no foreign key): the `orgs.deleting` handler does the cascade."""
    _ingest(session, settings, org, [event(), event(model="no-such-model")])
    _ingest(session, settings, other_org, [event()])
    session.commit()
    before = _usage_rows(session, org.id)
    assert before["usage_event"] == before["usage_event_key"] == 2
    assert before["usage_rollup_daily"] >= 1
    assert before["usage_rollup_org_daily"] >= 1
    r = client.delete(f"/api/v1/orgs/{org.id}", headers=auth_headers(session, org.owner))
    assert r.status_code == 204, r.text
    session.expire_all()
    assert _usage_rows(session, org.id) == dict.fromkeys(_usage_rows(session, org.id), 0)
    assert all(_usage_rows(session, other_org.id).values())  # another organisation's stay


def test_a_batch_of_an_organisation_deleted_meanwhile_stores_nothing(
    session, settings, org: Org
) -> None:
    """Prepared (validated, enriched) before the organisation went: the write section finds it
    gone under the organisation's lock and refuses, so no orphan rows appear."""
    overrides_catalogue = usage_service.org_context(session, org_id=org.id)
    batch = usage_service.prepare(
        org_id=org.id,
        items=[event()],
        settings=settings,
        org=overrides_catalogue,
        dialect=repository.dialect(session),
        now=NOW,
    )
    session.execute(delete(Organisation).where(Organisation.id == org.id))
    with pytest.raises(OrganisationGone):
        usage_service.store(session, batch)
    assert not any(_usage_rows(session, org.id).values())


def _second_waits_for_first(engine, first, work, what: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Run `work(session)` in a second transaction on another thread while `first` is open;
    check it waits for `first`, commit `first`, and return {"result": …} or {"error": …}."""
    import threading

    from sqlalchemy.orm import Session

    outcome: dict[str, object] = {}

    def second() -> None:
        with Session(engine) as s2:
            try:
                outcome["result"] = work(s2)
                s2.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the caller's assertion
                outcome["error"] = exc

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(0.5)
    assert worker.is_alive(), f"the second {what} should wait for the first"
    first.commit()
    worker.join(10)
    return outcome


@pytest.mark.postgres_only
def test_two_transactions_creating_the_same_partition_do_not_fail(engine) -> None:
    """The second creator waits for the first and then finds the partition there (before, its
    `CREATE TABLE IF NOT EXISTS` failed on the catalogue once the first committed: a 500 seen
    in the ingest benchmark with two server workers)."""
    from sqlalchemy.orm import Session

    month = date(2019, 1, 1)
    name = repository.partition_name(month)
    first = Session(engine)
    try:
        assert repository.ensure_partitions(first, [month]) == [name]  # uncommitted
        outcome = _second_waits_for_first(
            engine, first, lambda s2: repository.ensure_partitions(s2, [month]), "creator"
        )
        assert outcome == {"result": []}
    finally:
        first.close()
        with engine.begin() as conn:
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))


@pytest.mark.postgres_only
def test_concurrent_batches_sharing_ids_store_each_event_once(engine, settings) -> None:
    """A batch whose ids another open transaction is inserting waits for it, then (that one
    committed) counts the shared ids as duplicates: on PostgreSQL the optimistic key COPY fails
    on them and the claim falls back to `ON CONFLICT`. Nothing is stored twice and the rollups
    stay exact."""
    from sqlalchemy.orm import Session

    slug = f"conc-{uuid.uuid4().hex[:8]}"
    with Session(engine) as s:
        org = Organisation(name=slug, slug=slug)
        s.add(org)
        s.commit()
        org_id = org.id
    first_events = [event(id=f"a{i}") for i in range(50)]
    second_events = [event(id=f"a{i}") for i in range(25, 75)]  # ids a25…a49 in both

    def prepared(items):  # type: ignore[no-untyped-def]
        with Session(engine) as s:
            context = usage_service.org_context(s, org_id=org_id)
        return usage_service.prepare(
            org_id=org_id, items=items, settings=settings, org=context, dialect="postgresql"
        )

    first = Session(engine)
    try:
        assert usage_service.store(first, prepared(first_events)).accepted == 50
        second = prepared(second_events)
        outcome = _second_waits_for_first(
            engine, first, lambda s2: usage_service.store(s2, second), "batch"
        )
        result = outcome["result"]
        assert (result.accepted, result.duplicates) == (25, 25)  # type: ignore[attr-defined]
        with Session(engine) as s:
            assert stored(s, org_id) == 75
            assert_rollups_equal_raw(s, org_id)
    finally:
        first.close()
        with Session(engine) as s:
            repository.delete_org_rows(s, org_id)
            s.execute(delete(Organisation).where(Organisation.id == org_id))
            s.commit()
