"""Monthly report schedules: admins manage them; the beat task makes last month's report once."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecotrack.core.db import Database
from ecotrack.core.settings import Settings
from ecotrack.reports.models import Report
from ecotrack.reports.service import previous_month, reports_service
from tests.reports.conftest import Org


def _schedules(org: Org) -> str:
    return f"/api/v1/orgs/{org.id}/report-schedules"


def _run(db: Database, settings: Settings, today: date) -> int:
    with db.unit_of_work() as session:  # as the beat task does
        return reports_service.run_schedules(session, today=today, settings=settings)


def test_schedule_lifecycle(
    client: Any, db: Database, session: Session, settings: Settings, org: Org, other_org: Org
) -> None:
    denied = client.post(_schedules(org), json={"format": "pdf"}, headers=org.viewer)
    assert denied.status_code == 403
    created = client.post(
        _schedules(org), json={"format": "pdf", "group_by": "team"}, headers=org.admin
    )
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert (
        schedule["format"],
        schedule["group_by"],
        schedule["enabled"],
        schedule["last_period"],
    ) == (
        "pdf",
        "team",
        True,
        None,
    )
    again = client.post(
        _schedules(org), json={"format": "pdf", "group_by": "team"}, headers=org.admin
    )
    assert (again.status_code, again.json()["code"]) == (409, "report-schedule-exists")
    assert [s["id"] for s in client.get(_schedules(org), headers=org.viewer).json()] == [
        schedule["id"]
    ]
    assert client.get(_schedules(other_org), headers=other_org.admin).json() == []

    # The beat task on 2026-12-03 makes November's report, once.
    assert _run(db, settings, date(2026, 12, 3)) == 1
    assert _run(db, settings, date(2026, 12, 20)) == 0
    (report,) = session.execute(select(Report)).scalars().all()
    assert (report.org_id, report.schedule_id, report.format, report.group_by) == (
        org.id,
        schedule["id"],
        "pdf",
        "team",
    )
    assert (report.start_date, report.end_date, report.status) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
        "pending",
    )
    assert client.get(_schedules(org), headers=org.viewer).json()[0]["last_period"] == "2026-11"
    # January makes December's.
    assert _run(db, settings, date(2027, 1, 1)) == 1

    url = f"{_schedules(org)}/{schedule['id']}"
    assert client.delete(url, headers=other_org.admin).status_code == 404
    assert (
        client.delete(
            f"{_schedules(other_org)}/{schedule['id']}", headers=other_org.admin
        ).status_code
        == 404
    )
    assert client.delete(url, headers=org.admin).status_code == 204
    assert client.get(_schedules(org), headers=org.viewer).json() == []
    session.expire_all()
    # Reports already made stay (their schedule link is cleared).
    assert session.execute(select(func.count()).select_from(Report)).scalar_one() == 2


def test_previous_month() -> None:
    assert previous_month(date(2026, 1, 15)) == ("2025-12", date(2025, 12, 1), date(2025, 12, 31))
    assert previous_month(date(2024, 3, 1)) == ("2024-02", date(2024, 2, 1), date(2024, 2, 29))
