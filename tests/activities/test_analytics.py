"""Summary, history and stats over the daily rollup."""

from __future__ import annotations

from datetime import date

import pytest

from ecotrack.activities.analytics import periods_for
from ecotrack.activities.service import activities_service


def _log(session, user_id: int, *entries: tuple[str, float]) -> None:
    """Electricity in GB at a round factor-free check: amounts are kWh on ISO dates."""
    activities_service.bulk_log(
        session,
        user_id=user_id,
        items=[
            {"activity": "electricity", "amount": kwh, "unit": "kWh", "occurred_on": day,
             "region": "GB", "year": 2025}
            for day, kwh in entries
        ],
        emit_logged=False,
    )  # fmt: skip
    session.commit()


def _per_kwh(session, user_id: int) -> float:
    return activities_service.total_kg(
        session, user_id=user_id, start=date(2026, 1, 1), end=date(2026, 12, 31)
    )


def test_periods_compare_like_for_like() -> None:
    p = periods_for(date(2026, 3, 31))  # a Tuesday
    assert p["week"] == (date(2026, 3, 30), date(2026, 3, 31), date(2026, 3, 23), date(2026, 3, 24))
    assert p["month"] == (date(2026, 3, 1), date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28))
    assert p["year"] == (date(2026, 1, 1), date(2026, 3, 31), date(2025, 1, 1), date(2025, 3, 31))


def test_summary_trend_against_the_previous_period(client, session, person) -> None:
    _log(session, person.id, ("2026-03-31", 1))
    unit = _per_kwh(session, person.id)  # kg CO2e for 1 kWh
    _log(
        session,
        person.id,
        ("2026-03-30", 99),  # this week (with the 1 kWh): 100 kWh
        ("2026-03-24", 200),  # the same two days of last week: 200 kWh
        ("2026-03-25", 1000),  # last week, but after the like-for-like window
        ("2026-02-10", 300),  # previous month, inside the window
        ("2025-02-01", 50),  # previous year, inside the window
    )
    s = client.get("/api/v1/me/summary", params={"on": "2026-03-31"}, headers=person.headers)
    assert s.status_code == 200
    body = s.json()
    assert body["on"] == "2026-03-31"
    week, month, year = body["week"], body["month"], body["year"]
    assert week["total_kg"] == pytest.approx(100 * unit)
    assert week["previous_kg"] == pytest.approx(200 * unit)
    assert week["change_pct"] == -50.0
    assert week["trend"] == "down"
    assert week["count"] == 2
    assert month["total_kg"] == pytest.approx(1300 * unit)  # 1 + 99 + 200 + 1000
    assert month["previous_kg"] == pytest.approx(300 * unit)
    assert month["trend"] == "up"
    assert month["change_pct"] == pytest.approx(round((1300 - 300) / 300 * 100, 2))
    assert year["total_kg"] == pytest.approx(1600 * unit)
    assert year["previous_kg"] == pytest.approx(50 * unit)
    assert year["by_category"]["electricity"] == pytest.approx(1600 * unit)
    assert year["by_category"]["transportation"] == 0.0


def test_history_is_gap_free_by_day_week_and_month(client, session, person) -> None:
    _log(session, person.id, ("2026-01-05", 10), ("2026-01-07", 20), ("2026-02-20", 40))
    unit = _per_kwh(session, person.id) / 70
    h = client.get(
        "/api/v1/me/history",
        params={"granularity": "day", "from": "2026-01-04", "to": "2026-01-08"},
        headers=person.headers,
    ).json()
    assert [p["start"] for p in h["points"]] == [f"2026-01-0{d}" for d in range(4, 9)]
    assert [round(p["total_kg"] / unit, 6) for p in h["points"]] == [0, 10, 0, 20, 0]
    assert [p["count"] for p in h["points"]] == [0, 1, 0, 1, 0]

    w = client.get(
        "/api/v1/me/history",
        params={"granularity": "week", "from": "2026-01-01", "to": "2026-01-14"},
        headers=person.headers,
    ).json()
    # ISO weeks: Mon 29 Dec (clipped to 1 Jan), Mon 5 Jan, Mon 12 Jan (clipped to 14 Jan)
    assert [(p["start"], p["end"]) for p in w["points"]] == [
        ("2026-01-01", "2026-01-04"),
        ("2026-01-05", "2026-01-11"),
        ("2026-01-12", "2026-01-14"),
    ]
    assert [round(p["total_kg"] / unit, 6) for p in w["points"]] == [0, 30, 0]

    m = client.get(
        "/api/v1/me/history",
        params={"granularity": "month", "from": "2025-12-15", "to": "2026-03-31"},
        headers=person.headers,
    ).json()
    assert [p["start"] for p in m["points"]] == [
        "2025-12-15",
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
    ]
    assert [round(p["total_kg"] / unit, 6) for p in m["points"]] == [0, 30, 40, 0]
    assert m["points"][2]["by_category"]["electricity"] == pytest.approx(40 * unit)
    assert m["total_kg"] == pytest.approx(70 * unit)


def test_history_limits_and_defaults(client, person) -> None:
    too_long = client.get(
        "/api/v1/me/history",
        params={"granularity": "day", "from": "2020-01-01", "to": "2026-01-01"},
        headers=person.headers,
    )
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "range-too-long"
    backwards = client.get(
        "/api/v1/me/history",
        params={"from": "2026-01-02", "to": "2026-01-01"},
        headers=person.headers,
    )
    assert backwards.status_code == 422
    months = client.get(
        "/api/v1/me/history", params={"granularity": "month", "to": "2026-06-15"},
        headers=person.headers,
    ).json()  # fmt: skip
    assert len(months["points"]) == 12
    assert months["start"] == "2025-07-01"
    bad = client.get("/api/v1/me/history", params={"granularity": "year"}, headers=person.headers)
    assert bad.status_code == 422


def test_stats(client, session, person) -> None:
    empty = client.get("/api/v1/me/stats", headers=person.headers).json()
    assert empty["count"] == 0
    assert empty["average_kg"] is None
    assert empty["first_on"] is None
    _log(session, person.id, ("2026-01-05", 10), ("2026-01-05", 30), ("2026-02-20", 20))
    unit = _per_kwh(session, person.id) / 60
    s = client.get("/api/v1/me/stats", headers=person.headers).json()
    assert s["count"] == 3
    assert s["days"] == 2
    assert s["total_kg"] == pytest.approx(60 * unit)
    assert s["average_kg"] == pytest.approx(20 * unit)
    assert s["average_per_day_kg"] == pytest.approx(30 * unit)
    assert s["min_kg"] == pytest.approx(10 * unit)
    assert s["max_kg"] == pytest.approx(30 * unit)
    assert (s["first_on"], s["latest_on"]) == ("2026-01-05", "2026-02-20")
    assert s["first_calculated_at"] <= s["latest_calculated_at"]
    assert s["by_category"]["electricity"] == pytest.approx(60 * unit)
