"""`ecotrack demo` end to end on a fresh database (a new SQLite file, or a new PostgreSQL database
in the PostgreSQL leg): the command migrates and seeds; a second run adds no row.

The demo runs once per module (a fixture); the tests read what it made through the services.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecotrack.activities.service import activities_service
from ecotrack.cli import app as cli_app
from ecotrack.core import jobs
from ecotrack.core.db import Database, ensure_database, set_database
from ecotrack.core.migrate import load_models
from ecotrack.core.pagination import PageParams
from ecotrack.core.settings import Settings, get_settings
from ecotrack.demo import run_demo
from ecotrack.footprints.service import footprints_service
from ecotrack.gamification.demo import CHALLENGES, LEADERBOARD_OPT_IN
from ecotrack.gamification.rules import CHALLENGES as CATALOGUE
from ecotrack.gamification.service import (
    challenge_service,
    gamification_service,
    leaderboard_service,
)
from ecotrack.goals.service import goals_service
from ecotrack.identity.demo import (
    CAR_COMMUTER,
    DEMO_EMAIL,
    DEMO_EMAILS,
    DEMO_PEOPLE,
    FREQUENT_FLYER,
    RAIL_COMMUTER,
    VEGETARIAN,
)
from ecotrack.identity.service import ClientInfo, identity_service
from ecotrack.orgs.apikeys import api_key_service
from ecotrack.orgs.context import ApiScope, OrgContext, OrgRole
from ecotrack.orgs.demo import API_KEY_NAME, FIELD_SALES, OPERATIONS, ORG_SLUG, ROLES, TEAMS
from ecotrack.orgs.service import orgs_service
from ecotrack.orgs.signing import MemoryReplayCache
from ecotrack.privacy.service import privacy_service
from tests.conftest import create_pg_database, drop_pg_database, test_db_kind, unavailable

# Written by the job probe that `ecotrack demo` runs first (ecotrack/demo.py), on every run.
PROBE_TABLES = {"system_probe", "job"}
ALL = PageParams(limit=200, offset=0)


@dataclass
class DemoRun:
    settings: Settings
    db: Database
    today: date
    first_output: str
    second_lines: list[str]
    rows_after_first: dict[str, int]
    rows_after_second: dict[str, int]


def _row_counts(db: Database) -> dict[str, int]:
    with db.session_factory() as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in load_models().sorted_tables
        }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    data_dir = tmp_path_factory.mktemp("demo")
    pg_name = None
    if test_db_kind() == "postgresql":
        try:
            pg_name, url = create_pg_database("ecotrack_demo")
        except Exception as exc:
            unavailable("PostgreSQL", exc)
    else:
        url = f"sqlite:///{Path(data_dir) / 'demo.db'}"
    env = {
        "ECOTRACK_DATABASE_URL": url,
        "ECOTRACK_DATA_DIR": str(data_dir),
        "ECOTRACK_PASSWORD_HASH_PROFILE": "test",
        "COLUMNS": "1000",  # one printed line per output line
    }
    settings = Settings(
        env="test",
        data_dir=data_dir,
        database_url=url,
        log_json=False,
        password_hash_profile="test",
    )
    set_database(None)
    jobs.reset_backend()
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(cli_app, ["demo"], env=env)
        assert first.exit_code == 0, first.output
        get_settings.cache_clear()
        db = ensure_database(settings)
        today = datetime.now(UTC).date()
        rows_after_first = _row_counts(db)
        second_lines = list(run_demo(settings))
        yield DemoRun(
            settings=settings,
            db=db,
            today=today,
            first_output=first.output,
            second_lines=second_lines,
            rows_after_first=rows_after_first,
            rows_after_second=_row_counts(db),
        )
    finally:
        get_settings.cache_clear()
        ensure_database(settings).engine.dispose()
        set_database(None)
        jobs.reset_backend()
        if pg_name is not None:
            drop_pg_database(pg_name)


@pytest.fixture
def session(demo: DemoRun) -> Iterator[Session]:
    with demo.db.session_factory() as session:
        yield session


def _users(session: Session) -> dict[str, Any]:
    users = {e: identity_service.get_user_by_email(session, email=e) for e in DEMO_EMAILS}
    assert all(u is not None for u in users.values())
    return users


def _owner_ctx(session: Session) -> OrgContext:
    owner = identity_service.get_user_by_email(session, email=DEMO_EMAIL)
    org = orgs_service.get_org_by_slug(session, slug=ORG_SLUG)
    return orgs_service.access(
        session, org_id=org.id, user_id=owner.id, email=owner.email, role=OrgRole.OWNER
    )


# --- the second run -------------------------------------------------------------------------


def test_the_second_run_adds_no_row(demo: DemoRun) -> None:
    first = {t: n for t, n in demo.rows_after_first.items() if t not in PROBE_TABLES}
    second = {t: n for t, n in demo.rows_after_second.items() if t not in PROBE_TABLES}
    assert second == first
    assert demo.rows_after_second["system_probe"] == demo.rows_after_first["system_probe"] + 1
    for table in ("user", "organisation", "activity", "goal", "footprint_result"):
        assert first[table] > 0


def test_the_second_run_says_everything_exists(demo: DemoRun) -> None:
    lines = demo.second_lines
    assert re.fullmatch(r"jobs: probe demo-[0-9a-f]{8} ran 1 time\(s\) in process", lines[0])
    others = [e for e in DEMO_EMAILS if e != DEMO_EMAIL]
    assert lines[1:-1] == [
        "identity: the 5 demo users exist; left as they are",
        "orgs: Demo Co with its members, teams and API key exists; left as it is",
        *[f"activities: {e} already has activities; left as they are" for e in DEMO_EMAILS],
        f"footprints: {DEMO_EMAIL} already has 3 result(s)",
        *[f"footprints: {e} already has 1 result(s)" for e in others],
        *[f"goals: {e} already has 3 goal(s)" for e in DEMO_EMAILS],
        "gamification: the demo challenges and consents exist; left as they are",
    ]
    assert lines[-1].startswith("gamification: Demo Co leaderboard, all-time points: 1. ")
    assert "password" not in "\n".join(lines)
    assert "secret" not in "\n".join(lines)


# --- people ---------------------------------------------------------------------------------


def test_the_demo_people_are_verified_with_profiles(demo: DemoRun, session: Session) -> None:
    for person in DEMO_PEOPLE:
        user = identity_service.get_user_by_email(session, email=person.email)
        assert user is not None
        assert (user.display_name, user.country, user.household_size) == (
            person.display_name,
            person.country,
            person.household_size,
        )
        assert user.is_verified
        assert user.is_active
        assert user.role == "user"
    _, total = identity_service.list_users(session, limit=1)
    assert total == len(DEMO_PEOPLE) == 5


def test_the_printed_password_logs_every_demo_person_in(demo: DemoRun, session: Session) -> None:
    found = re.findall(r"password for each: (\S+)", demo.first_output)
    assert len(found) == 1
    for email in DEMO_EMAILS:
        issued = identity_service.login(
            session,
            email=email,
            password=found[0],
            client=ClientInfo(ip="127.0.0.1", user_agent="pytest"),
            settings=demo.settings,
        )
        assert issued.access_token
    session.rollback()


# --- organisation ---------------------------------------------------------------------------


def test_demo_co_has_every_role_and_two_teams(demo: DemoRun, session: Session) -> None:
    ctx = _owner_ctx(session)
    org = orgs_service.get_org(session, ctx=ctx)
    assert (org.name, org.slug) == ("Demo Co", ORG_SLUG)
    members = orgs_service.list_members(session, ctx=ctx, page=ALL).items
    assert {m.email: m.role.value for m in members} == ROLES
    assert set(ROLES.values()) == {"owner", "admin", "member", "viewer"}
    teams = orgs_service.list_teams(session, ctx=ctx, page=ALL).items
    assert sorted(t.name for t in teams) == sorted([OPERATIONS, FIELD_SALES])
    for team in teams:
        people = orgs_service.list_team_members(session, ctx=ctx, team_id=team.id, page=ALL)
        assert sorted(m.email for m in people.items) == sorted(TEAMS[team.name][1])


def test_the_printed_api_key_ingests_for_demo_co(demo: DemoRun, session: Session) -> None:
    found = re.findall(r"secret \(shown once, store it now\): (\S+)", demo.first_output)
    assert len(found) == 1
    principal = orgs_service.authenticate_api_key(
        session,
        secret=found[0],
        timestamp=None,
        signature=None,
        body=b"",
        settings=demo.settings,
        cache=MemoryReplayCache(),
    )
    ctx = _owner_ctx(session)
    assert principal.org_id == ctx.org_id
    assert principal.name == API_KEY_NAME
    assert principal.scopes == frozenset({ApiScope.INGEST})
    keys = api_key_service.list(session, ctx=ctx, page=ALL).items
    assert [k.name for k in keys] == [API_KEY_NAME]
    session.rollback()


# --- activities -----------------------------------------------------------------------------


def _usage(session: Session, user_id: int, today: date) -> dict[str, float]:
    """activity (and diet) -> count of entries over the demo year."""
    out: dict[str, float] = {}
    for u in activities_service.usage(
        session, user_id=user_id, start=today - timedelta(days=364), end=today
    ):
        key = f"diet:{u.options.get('diet')}" if u.activity == "diet" else u.activity
        out[key] = out.get(key, 0) + u.count
    return out


def test_every_person_has_a_year_of_activities(demo: DemoRun, session: Session) -> None:
    start = demo.today - timedelta(days=364)
    for email, user in _users(session).items():
        days = activities_service.activity_days(
            session, user_id=user.id, start=date(1900, 1, 1), end=date(2100, 1, 1)
        )
        assert days == [start + timedelta(days=i) for i in range(365)], email
        _, count = activities_service.list_activities(session, user_id=user.id, page=ALL)
        assert 600 <= count <= 1000, (email, count)
        totals = activities_service.category_totals(
            session, user_id=user.id, start=start, end=demo.today
        )
        for category in ("transportation", "lifestyle", "electricity", "waste"):
            assert totals[category] > 0, (email, category)


def test_the_lifestyles_differ(demo: DemoRun, session: Session) -> None:
    users = _users(session)
    usage = {email: _usage(session, user.id, demo.today) for email, user in users.items()}
    year = {
        email: activities_service.total_kg(
            session, user_id=user.id, start=demo.today - timedelta(days=364), end=demo.today
        )
        for email, user in users.items()
    }
    carla, rahul, fiona, vera = (
        usage[CAR_COMMUTER],
        usage[RAIL_COMMUTER],
        usage[FREQUENT_FLYER],
        usage[VEGETARIAN],
    )
    assert carla["car"] > 200
    assert "rail" not in carla
    assert carla["flight"] == 1
    assert rahul["rail"] > 150
    assert "car" not in rahul
    assert "flight" not in rahul
    assert fiona["flight"] >= 20
    assert fiona["hotel_stay"] >= 20
    assert "car" not in vera
    assert "flight" not in vera
    assert {k for k in vera if k.startswith("diet:")} == {"diet:vegetarian", "diet:vegan"}
    assert sum(n for k, n in vera.items() if k.startswith("diet:")) == 365
    # The frequent flyer emits the most, the vegetarian tram rider the least.
    assert max(year, key=year.__getitem__) == FREQUENT_FLYER
    assert min(year, key=year.__getitem__) == VEGETARIAN
    assert 1_000 < year[VEGETARIAN] < 3_000
    assert 12_000 < year[FREQUENT_FLYER] < 30_000


# --- questionnaire, goals, challenges, leaderboards -----------------------------------------


def test_everyone_has_questionnaire_results(demo: DemoRun, session: Session) -> None:
    for email, user in _users(session).items():
        page = footprints_service.list_for_user(session, user_id=user.id, page=ALL)
        assert page.total == (3 if email == DEMO_EMAIL else 1), email
        latest = footprints_service.latest_for_user(session, user_id=user.id)
        assert latest is not None
        assert latest["total_kg"] > 0
        assert set(latest["categories"]) == {
            "electricity",
            "transportation",
            "heating",
            "waste",
            "lifestyle",
            "other",
        }


def test_everyone_has_a_goal_of_each_kind(demo: DemoRun, session: Session) -> None:
    for email, user in _users(session).items():
        goals = goals_service.list_goals(session, user_id=user.id, achieved=None, page=ALL)
        assert sorted(g.kind for g in goals.items) == ["annual", "category", "reduction"], email
        for goal in goals.items:
            assert goal.progress.emitted_kg > 0 or goal.status == "upcoming", (email, goal.name)
    session.rollback()


def test_challenges_and_the_team_challenge(demo: DemoRun, session: Session) -> None:
    users = _users(session)
    slug_of = {c.id: c.slug for c in CATALOGUE.values()}
    ctx = _owner_ctx(session)
    teams = {t.name: t for t in orgs_service.list_teams(session, ctx=ctx, page=ALL).items}
    (team_run,) = challenge_service.team_challenges(session, ctx=ctx, team_id=teams[OPERATIONS].id)
    assert slug_of[team_run.challenge_id] == "daily_logger"
    assert sorted(m.user_id for m in team_run.members) == sorted(
        users[e].id for e in TEAMS[OPERATIONS][1]
    )
    assert challenge_service.team_challenges(session, ctx=ctx, team_id=teams[FIELD_SALES].id) == []
    for email, user in users.items():
        joined = challenge_service.my_challenges(session, user_id=user.id)
        alone = sorted(slug_of[p.challenge_id] for p in joined if p.team_challenge_id is None)
        assert alone == [CHALLENGES[email]], email
        in_team = [p for p in joined if p.team_challenge_id == team_run.id]
        assert len(in_team) == (1 if email in TEAMS[OPERATIONS][1] else 0), email
        assert all(p.status in {"active", "completed"} for p in joined), email
    session.rollback()


def test_leaderboards_follow_consent(demo: DemoRun, session: Session) -> None:
    users = _users(session)
    for email, user in users.items():
        opted_in = email in LEADERBOARD_OPT_IN
        assert privacy_service.has_consent(session, user_id=user.id, kind="leaderboard") is (
            opted_in
        )
        summary = gamification_service.summary(session, user_id=user.id)
        assert summary.leaderboard_opt_in is opted_in
        assert summary.points >= 50  # the week's logging, capped at 50 a day
    ctx = _owner_ctx(session)
    teams = {t.name: t for t in orgs_service.list_teams(session, ctx=ctx, page=ALL).items}

    def board(scope: str, scope_id: int | None) -> set[int]:
        got = leaderboard_service.board(
            session,
            viewer_id=ctx.user_id,
            scope=scope,  # type: ignore[arg-type]
            scope_id=scope_id,
            period="all",
            metric="points",
            page=ALL,
        )
        assert got.total == len(got.items)
        assert all(e.score > 0 for e in got.items)
        return {e.user_id for e in got.items}

    assert board("org", ctx.org_id) == {u.id for u in users.values()}
    assert board("global", None) == {users[e].id for e in LEADERBOARD_OPT_IN}
    assert users[VEGETARIAN].id not in board("global", None)
    assert board("team", teams[FIELD_SALES].id) == {users[e].id for e in TEAMS[FIELD_SALES][1]}
    session.rollback()
