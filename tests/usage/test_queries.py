"""Summary, timeseries, top and events (from the rollups / keyset-paged), and `totals`."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from ecotrack.usage.schemas import UsageFilters
from ecotrack.usage.service import usage_service
from tests.usage.conftest import Org, event, now_utc, post


def _at(day_offset: int, hour: int = 12):  # type: ignore[no-untyped-def]
    today = now_utc().date()
    return datetime.combine(today - timedelta(days=day_offset), time(hour), tzinfo=UTC)


@pytest.fixture
def loaded(client, org: Org) -> dict:  # type: ignore[type-arg]
    """12 events over three days, two users, two teams, two providers."""
    spec = [
        (10, "ana", "search", "openai", "gpt-4o-mini", 3),
        (10, "bo", "ads", "anthropic", "claude-sonnet-4-5", 2),
        (9, "ana", "search", "openai", "gpt-4o", 4),
        (2, "bo", "ads", "openai", "gpt-4o-mini", 2),
        (2, "", "", "openai", "mystery-model", 1),
    ]
    events = []
    for offset, user, team, provider, model, n in spec:
        for i in range(n):
            events.append(
                event(
                    ts=_at(offset, 8 + i).isoformat(), user=user or None, team=team or None,
                    provider=provider, model=model, tokens_out=100 * (i + 1),
                )
            )  # fmt: skip
    r = post(client, org, events)
    assert r.json()["accepted"] == 12
    return {"events": events, "start": _at(10).date(), "end": _at(2).date()}


def test_summary_by_day_week_month_and_dimensions(client, org: Org, loaded) -> None:
    params = {"from": loaded["start"].isoformat(), "to": loaded["end"].isoformat()}
    r = client.get(f"{org.base()}/summary", params=params, headers=org.viewer_headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totals"]["calls"] == 12
    assert body["totals"]["calls_unknown"] == 1
    assert [(g["key"], g["calls"]) for g in body["groups"]] == [
        (_at(10).date().isoformat(), 5),
        (_at(9).date().isoformat(), 4),
        (_at(2).date().isoformat(), 3),
    ]
    for group_by in ("week", "month"):
        r = client.get(
            f"{org.base()}/summary", params={**params, "group_by": group_by},
            headers=org.viewer_headers,
        )  # fmt: skip
        groups = r.json()["groups"]
        assert sum(g["calls"] for g in groups) == 12
        total = sum(g["co2e_kg"] for g in groups)
        assert total == pytest.approx(body["totals"]["co2e_kg"], rel=1e-12)
    r = client.get(
        f"{org.base()}/summary", params={**params, "group_by": "provider"},
        headers=org.viewer_headers,
    )  # fmt: skip
    assert {g["key"]: g["calls"] for g in r.json()["groups"]} == {"openai": 10, "anthropic": 2}
    r = client.get(
        f"{org.base()}/summary", params={**params, "group_by": "user", "team": "search"},
        headers=org.viewer_headers,
    )  # fmt: skip
    assert [(g["key"], g["calls"]) for g in r.json()["groups"]] == [("ana", 7)]
    r = client.get(
        f"{org.base()}/summary", params={**params, "group_by": "team"}, headers=org.viewer_headers
    )
    assert {g["key"]: g["calls"] for g in r.json()["groups"]} == {"search": 7, "ads": 4, "": 1}
    bad = client.get(
        f"{org.base()}/summary", params={"from": "2026-02-01", "to": "2026-01-01"},
        headers=org.viewer_headers,
    )  # fmt: skip
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid-range")


def test_timeseries_fills_empty_days(client, org: Org, loaded) -> None:
    params = {"from": loaded["start"].isoformat(), "to": loaded["end"].isoformat()}
    r = client.get(f"{org.base()}/timeseries", params=params, headers=org.viewer_headers)
    points = r.json()["points"]
    assert len(points) == 9
    assert [p["calls"] for p in points] == [5, 4, 0, 0, 0, 0, 0, 0, 3]
    assert points[2]["co2e_kg"] == 0.0
    assert points[2]["start"] == _at(8).date().isoformat()


def test_top_by_metric(client, org: Org, loaded) -> None:
    params = {
        "from": loaded["start"].isoformat(), "to": loaded["end"].isoformat(),
        "by": "model", "metric": "calls", "limit": 2,
    }  # fmt: skip
    r = client.get(f"{org.base()}/top", params=params, headers=org.key_headers(org.read_key))
    assert r.status_code == 200
    assert [(i["key"], i["calls"]) for i in r.json()["items"]] == [
        ("gpt-4o-mini", 5),
        ("gpt-4o", 4),
    ]


def test_events_are_keyset_paged_newest_first(client, org: Org, other_org: Org, loaded) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        r = client.get(f"{org.base()}/events", params=params, headers=org.viewer_headers)
        assert r.status_code == 200, r.text
        page = r.json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 12
    assert len(set(seen)) == 12
    expected = [e["id"] for e in sorted(loaded["events"], key=lambda e: (e["ts"], e["id"]))]
    assert seen == expected[::-1]
    one = client.get(
        f"{org.base()}/events", params={"status": "model-not-registered"},
        headers=org.viewer_headers,
    ).json()["items"]  # fmt: skip
    assert [e["model"] for e in one] == ["mystery-model"]
    assert one[0]["user"] is None
    bad = client.get(f"{org.base()}/events", params={"cursor": "nope"}, headers=org.viewer_headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid-cursor")
    # Another organisation sees none of them.
    theirs = client.get(
        f"{other_org.base()}/events", headers=other_org.key_headers(other_org.read_key)
    )
    assert theirs.json() == {"items": [], "next_cursor": None}


def test_totals_reads_whole_days_from_rollups_and_partial_days_raw(
    session, org: Org, loaded
) -> None:
    # Whole days 10 … 2 (day 2 ends where day 1 starts): rollups only.
    all_days = usage_service.totals(session, org_id=org.id, start=_at(10, 0), end=_at(1, 0))
    assert all_days.calls == 12
    assert all_days.calls_unknown == 1
    summary = usage_service.overall(
        session, org_id=org.id, start=loaded["start"], end=loaded["end"], filters=UsageFilters()
    )
    assert all_days.co2e_kg == pytest.approx(summary.co2e_kg, rel=1e-12)
    # A rolling window that cuts days: 10:30 on day 10 to 09:30 on day 9.
    window = usage_service.totals(session, org_id=org.id, start=_at(10, 10) + timedelta(minutes=30),
                                  end=_at(9, 9) + timedelta(minutes=30))  # fmt: skip
    # day 10 events at 8, 9, 10 (ana) and 8, 9 (bo): none at >= 10:30; day 9 at 8, 9 (<9:30)
    assert window.calls == 2
    assert window.tokens_out == 100 + 200
    only_bo = usage_service.totals(
        session, org_id=org.id, start=_at(11, 0), end=_at(0, 0), user="bo"
    )
    assert (only_bo.calls, only_bo.tokens_out) == (4, 100 + 200 + 100 + 200)
    assert usage_service.totals(session, org_id=org.id, start=_at(2), end=_at(3)).calls == 0


@pytest.mark.parametrize("group_by", ["day", "week", "month", "provider", "model", "user", "team"])
def test_summary_totals_are_the_sum_of_its_groups_and_equal_overall(
    session, org: Org, loaded, group_by: str
) -> None:
    """`summary_with_totals` (what GET …/summary runs) derives the totals from the groups of its
    one query: they equal `overall` (a separate SUM) for every grouping, with and without a
    filter that switches to the user-grain rollup."""
    for filters in (UsageFilters(), UsageFilters(team="search"), UsageFilters(provider="openai")):
        groups, totals = usage_service.summary_with_totals(
            session, org_id=org.id, start=loaded["start"], end=loaded["end"],
            group_by=group_by, filters=filters,
        )  # fmt: skip
        overall = usage_service.overall(
            session, org_id=org.id, start=loaded["start"], end=loaded["end"], filters=filters
        )
        assert totals.calls == overall.calls == sum(g.calls for g in groups)
        assert totals.calls_unknown == overall.calls_unknown
        assert totals.tokens_out == overall.tokens_out == sum(g.tokens_out for g in groups)
        assert totals.co2e_kg == pytest.approx(overall.co2e_kg, rel=1e-12)
        assert totals.energy_kwh_max == pytest.approx(overall.energy_kwh_max, rel=1e-12)
        assert groups == usage_service.summary(
            session, org_id=org.id, start=loaded["start"], end=loaded["end"],
            group_by=group_by, filters=filters,
        )  # fmt: skip
    _, search = usage_service.summary_with_totals(
        session, org_id=org.id, start=loaded["start"], end=loaded["end"], group_by=group_by,
        filters=UsageFilters(team="search"),
    )  # fmt: skip
    assert search.calls == 7  # ana's 3 + 4 calls in team "search"


def test_provenance_counts_every_event_of_the_period_by_its_data(
    client, org: Org, other_org: Org, session, loaded
) -> None:
    """Exact (one aggregate), not a sample: the counts add up to the period's events, split by
    status, methodology, model data, zone and grid factor; other periods and organisations out."""
    post(client, other_org, [event()], Authorization=f"Bearer {other_org.ingest_key}")
    start = datetime.combine(loaded["start"], time(), tzinfo=UTC)
    end = datetime.combine(loaded["end"] + timedelta(days=1), time(), tzinfo=UTC)
    rows = usage_service.provenance(session, org_id=org.id, start=start, end=end)
    assert sum(n for *_, n in rows) == 12
    unknown = [r for r in rows if r[0] == "model-not-registered"]
    assert [(r[1], r[5]) for r in unknown] == [(None, 1)]
    known = [r for r in rows if r[0] == "ok"]
    assert sum(r[5] for r in known) == 11
    assert all(r[1] and r[2] and r[4] for r in known)  # methodology, model data, grid factor
    # Only the last day (offset 2): 3 events.
    last = datetime.combine(loaded["end"], time(), tzinfo=UTC)
    assert (
        sum(r[5] for r in usage_service.provenance(session, org_id=org.id, start=last, end=end))
        == 3
    )


def test_summary_figures_are_typed_and_in_the_models_field_order(session, org: Org, loaded) -> None:
    """The summary reads its sums positionally (SQL column order = `SUM_COLUMNS`) into the
    response fields: the two orders must agree, and counts come back as ints, figures as
    floats on both databases (PostgreSQL's SUM of a BIGINT would be a Decimal)."""
    from ecotrack.usage.models import SUM_COLUMNS
    from ecotrack.usage.schemas import UsageFigures

    assert tuple(UsageFigures.model_fields) == SUM_COLUMNS
    groups, totals = usage_service.summary_with_totals(
        session, org_id=org.id, start=loaded["start"], end=loaded["end"], group_by="day",
        filters=UsageFilters(),
    )  # fmt: skip
    for figures in (*groups, totals):
        assert all(type(getattr(figures, f)) is int for f in SUM_COLUMNS[:4])
        assert all(type(getattr(figures, f)) is float for f in SUM_COLUMNS[4:])
    assert [g.start for g in groups] == sorted(g.start for g in groups)
    assert groups[0].tokens_out == sum(100 * (i + 1) for i in range(3)) + 100 + 200
