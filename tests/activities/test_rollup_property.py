"""Property: whatever sequence of creates, edits, deletes and imports a person makes, the daily
rollup equals the sum of their activity rows."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrack.activities.importer import import_csv
from ecotrack.activities.schemas import ActivityCreate, ActivityUpdate
from ecotrack.activities.service import activities_service
from tests.activities.conftest import assert_rollup_matches
from tests.principals import make_user

BASE = date(2026, 3, 1)
KINDS = [("car", "km", {"fuel": "petrol"}), ("electricity", "kWh", {}), ("waste", "kg", {})]

create = st.tuples(
    st.just("create"),
    st.integers(0, len(KINDS) - 1),
    st.floats(0, 1000, allow_nan=False),
    st.integers(0, 9),
)
edit = st.tuples(st.just("edit"), st.integers(0, 50), st.floats(0, 500), st.integers(0, 9))
remove = st.tuples(st.just("delete"), st.integers(0, 50), st.just(0.0), st.just(0))
imported = st.tuples(
    st.just("import"), st.integers(0, len(KINDS) - 1), st.floats(0, 100), st.integers(0, 9)
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(st.one_of(create, edit, remove, imported), min_size=1, max_size=12))
def test_rollup_equals_rows(session, ops) -> None:
    user = make_user(session)
    ids: list[int] = []
    for op, a, amount, offset in ops:
        day = BASE + timedelta(days=offset)
        if op == "create":
            activity, unit, options = KINDS[a]
            row = activities_service.log(
                session,
                user_id=user.id,
                activity_in=ActivityCreate(
                    activity=activity, amount=amount, unit=unit, occurred_on=day, options=options
                ),
            )
            ids.append(row.id)
        elif op == "import":
            activity, unit, _ = KINDS[a]
            csv = (
                "date,activity,amount,unit\n"
                f"{day},{activity},{amount},{unit}\n{day},{activity},1,{unit}\n"
            )
            result = import_csv(session, user_id=user.id, data=csv.encode(), mode="valid_only")
            ids += result.activity_ids
        elif ids:
            target = ids[a % len(ids)]
            if op == "edit":
                activities_service.update(
                    session,
                    user_id=user.id,
                    activity_id=target,
                    activity_in=ActivityUpdate(amount=amount, occurred_on=day),
                )
            else:
                activities_service.delete(session, user_id=user.id, activity_id=target)
                ids.remove(target)
        assert_rollup_matches(session, user.id)
    session.rollback()
