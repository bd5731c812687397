"""The functions other domains read (goals, gamification, recommendations) and `bulk_log`."""

from __future__ import annotations

from datetime import date

import pytest

from ecotrack.activities.schemas import CATEGORIES, ActivityUsage
from ecotrack.activities.service import activities_service
from ecotrack.core.errors import ValidationFailed
from tests.activities.conftest import assert_rollup_matches, by_name

D1, D2, D3 = date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 5)


def _items() -> list[dict]:
    return [
        {"activity": "car", "amount": 100, "unit": "km", "occurred_on": D1,
         "options": {"fuel": "petrol"}},
        {"activity": "car", "amount": 50, "unit": "mile", "occurred_on": D2,
         "options": {"fuel": "petrol"}},
        {"activity": "car", "amount": 10, "unit": "km", "occurred_on": D2,
         "options": {"fuel": "diesel"}},
        {"activity": "car", "amount": 5, "unit": "km", "occurred_on": D2},
        {"activity": "electricity", "amount": 200, "unit": "kWh", "occurred_on": D3,
         "region": "GB"},
        {"activity": "diet", "amount": 1, "unit": "person_day", "occurred_on": D3,
         "options": {"diet": "vegan"}},
    ]  # fmt: skip


@pytest.fixture
def logged(session, person, published):
    rows = activities_service.bulk_log(session, user_id=person.id, items=_items())
    session.flush()
    return rows


def test_totals_by_period_category_and_day(session, person, logged) -> None:
    kg = [r.co2e_kg for r in logged]
    uid = person.id
    assert activities_service.total_kg(session, user_id=uid, start=D1, end=D3) == pytest.approx(
        sum(kg)
    )
    assert activities_service.total_kg(session, user_id=uid, start=D2, end=D2) == pytest.approx(
        kg[1] + kg[2] + kg[3]
    )
    assert activities_service.total_kg(
        session, user_id=uid, start=D1, end=D3, category="electricity"
    ) == pytest.approx(kg[4])
    assert (
        activities_service.total_kg(session, user_id=uid, start=D3, end=D3, category="waste") == 0
    )
    totals = activities_service.category_totals(session, user_id=uid, start=D1, end=D3)
    assert list(totals) == list(CATEGORIES)
    assert totals["transportation"] == pytest.approx(sum(kg[:4]))
    assert totals["electricity"] == pytest.approx(kg[4])
    assert totals["lifestyle"] == pytest.approx(kg[5])
    assert totals["heating"] == totals["waste"] == totals["other"] == 0.0
    daily = activities_service.daily_totals(session, user_id=uid, start=D1, end=D3)
    assert list(daily) == [D1, D2, D3]
    assert daily[D3] == pytest.approx(kg[4] + kg[5])
    assert activities_service.activity_days(session, user_id=uid, start=D1, end=D3) == [D1, D2, D3]
    assert activities_service.activity_days(session, user_id=uid, start=D3, end=D3) == [D3]
    assert (
        activities_service.activity_days(
            session, user_id=uid, start=date(2026, 6, 3), end=date(2026, 6, 4)
        )
        == []
    )


def test_usage_groups_by_activity_unit_and_main_option(session, person, logged) -> None:
    usage = activities_service.usage(session, user_id=person.id, start=D1, end=D3)
    assert all(isinstance(u, ActivityUsage) for u in usage)
    groups = {(u.activity, u.unit, tuple(sorted(u.options.items()))): u for u in usage}
    petrol = groups[("car", "km", (("fuel", "petrol"),))]
    assert (petrol.count, petrol.amount) == (1, 100)
    assert petrol.co2e_kg == pytest.approx(logged[0].co2e_kg)
    assert petrol.category == "transportation"
    # DESNZ publishes per-mile factors: the engine keeps miles as their own normalised unit
    miles = groups[("car", "mile", (("fuel", "petrol"),))]
    assert (miles.count, miles.amount) == (1, 50)
    assert groups[("car", "km", (("fuel", "diesel"),))].count == 1
    assert groups[("car", "km", (("fuel", "unknown"),))].amount == 5  # the engine's default
    assert groups[("electricity", "kWh", ())].options == {}
    assert groups[("diet", logged[5].unit_normalised, (("diet", "vegan"),))].count == 1
    assert len(usage) == 6
    assert [u.co2e_kg for u in usage] == sorted((u.co2e_kg for u in usage), reverse=True)
    with pytest.raises(AttributeError):
        usage[0].amount = 1  # type: ignore[misc]  # frozen


def test_bulk_log_publishes_and_keeps_the_rollup(session, person, logged, published) -> None:
    events = by_name(published)
    assert [e["activity_id"] for e in events["activity.logged"]] == [r.id for r in logged]
    assert events["activity.changed"] == [{"user_id": person.id, "days": [D1, D2, D3]}]
    assert_rollup_matches(session, person.id)


def test_bulk_log_is_all_or_nothing(session, person, published) -> None:
    items = _items()
    items[2] = {**items[2], "unit": "kWh"}
    items[4] = {**items[4], "amount": -1}
    with pytest.raises(ValidationFailed) as caught:
        activities_service.bulk_log(session, user_id=person.id, items=items)
    assert caught.value.code == "invalid-items"
    assert [e["loc"][:3] for e in caught.value.errors or []] == [
        ["items", 2, "unit"],
        ["items", 4, "amount"],
    ]
    assert published == []
    assert activities_service.activity_days(session, user_id=person.id, start=D1, end=D3) == []


def test_bulk_log_can_skip_logged_events(session, person, published) -> None:
    activities_service.bulk_log(session, user_id=person.id, items=_items(), emit_logged=False)
    assert [name for name, _ in published] == ["activity.changed"]
