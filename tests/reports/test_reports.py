"""`POST /orgs/{org_id}/reports` → the `reports.generate` job → status → download: CSV sums equal
the raw events, the PDF parses and says what it should, tenancy, limits, expiry, failures."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import subprocess
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ecotrack.core.jobs import JobRecord
from ecotrack.reports import render
from ecotrack.reports.models import Report
from ecotrack.reports.service import _windows
from ecotrack.usage.schemas import UsageFilters
from ecotrack.usage.service import usage_service
from tests.reports.conftest import Org, days_ago, ingest, run_jobs, sample_events

FLOATS = [
    f for f in render.FIGURES if f not in ("calls", "calls_unknown", "tokens_in", "tokens_out")
]


def _request(client: Any, org: Org, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(org.reports, json=body, headers=headers)
    assert response.status_code == 202, response.text
    return dict(response.json())


def _raw_events(session: Session, org: Org) -> list[Any]:
    out, cursor = [], None
    while True:
        page = usage_service.events(
            session,
            org_id=org.id,
            start=None,
            end=None,
            filters=UsageFilters(),
            status=None,
            cursor=cursor,
            limit=200,
        )
        out.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return out


def _expected(events: list[Any], key: Any) -> dict[str, dict[str, float]]:
    """Per group: the sums the rollups must equal, computed from the raw events."""
    sums: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(render.FIGURES, 0))
    for e in events:
        s = sums[key(e)]
        s["calls"] += 1
        s["tokens_in"] += e.tokens_in
        s["tokens_out"] += e.tokens_out
        if e.status != "ok":
            s["calls_unknown"] += 1
            continue
        for m in ("energy_kwh", "water_l", "co2e_kg"):
            lo, hi = getattr(e, f"{m}_min"), getattr(e, f"{m}_max")
            s[f"{m}_min"] += lo
            s[f"{m}_max"] += hi
            s[m] += (lo + hi) / 2
    return sums


def _csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def _assert_rows_equal(rows: list[dict[str, str]], key: str, expected: dict[str, Any]) -> None:
    assert sorted(r[key] for r in rows) == sorted(expected)
    for row in rows:
        want = expected[row[key]]
        for name in ("calls", "calls_unknown", "tokens_in", "tokens_out"):
            assert int(row[name]) == want[name], (row[key], name)
        for name in FLOATS:
            assert float(row[name]) == pytest.approx(want[name], rel=1e-9, abs=1e-15), name


def test_csv_report_by_day_equals_the_raw_events(client: Any, session: Session, org: Org) -> None:
    ingest(client, org, sample_events())
    report = _request(
        client,
        org,
        org.viewer,
        **{"from": days_ago(14).isoformat(), "to": days_ago(0).isoformat()},
        format="csv",
        group_by="day",
    )
    assert (report["status"], report["progress"], report["format"], report["group_by"]) == (
        "pending",
        0,
        "csv",
        "day",
    )
    assert (report["from"], report["to"]) == (days_ago(14).isoformat(), days_ago(0).isoformat())
    jobs = session.execute(
        select(JobRecord.name, JobRecord.args).where(JobRecord.name.like("reports.%"))
    )
    assert jobs.all() == [("reports.generate", [report["id"]])]
    url = f"{org.reports}/{report['id']}"
    early = client.get(f"{url}/download", headers=org.viewer)
    assert (early.status_code, early.json()["code"]) == (409, "report-not-ready")

    assert run_jobs() >= 1
    done = client.get(url, headers=org.viewer).json()
    assert (done["status"], done["progress"], done["error"]) == ("done", 100, None)
    expires = datetime.fromisoformat(done["expires_at"])
    completed = datetime.fromisoformat(done["completed_at"])
    assert expires - completed == timedelta(hours=168)

    response = client.get(f"{url}/download", headers=org.viewer)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    name = f"ecotrack-acme-{days_ago(14):%Y%m%d}-{days_ago(0):%Y%m%d}-day-r{report['id']}.csv"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert done["file_name"] == name
    assert done["size_bytes"] == len(response.content) == int(response.headers["content-length"])
    assert done["sha256"] == hashlib.sha256(response.content).hexdigest()

    rows = _csv(response.content)
    assert list(rows[0]) == ["day", "start", *render.FIGURES]
    events = _raw_events(session, org)
    assert len(events) == 12
    expected = _expected(events, lambda e: e.ts.astimezone(UTC).date().isoformat())
    assert [r["day"] for r in rows] == [
        d.isoformat() for d in (days_ago(12), days_ago(11), days_ago(5))
    ]
    assert [r["start"] for r in rows] == [r["day"] for r in rows]
    _assert_rows_equal(rows, "day", expected)
    unknown = next(r for r in rows if r["day"] == days_ago(11).isoformat())
    assert int(unknown["calls_unknown"]) == 2


@pytest.mark.parametrize(
    ("group_by", "key"),
    [("model", lambda e: e.model), ("user", lambda e: e.user), ("team", lambda e: e.team)],
)
def test_csv_report_by_dimension(
    client: Any, session: Session, org: Org, group_by: str, key: Any
) -> None:
    ingest(client, org, sample_events())
    report = _request(
        client,
        org,
        {"Authorization": f"Bearer {org.read_key}"},  # a read key may ask for reports too
        **{"from": days_ago(30).isoformat(), "to": days_ago(0).isoformat()},
        group_by=group_by,
    )
    run_jobs()
    response = client.get(f"{org.reports}/{report['id']}/download", headers=org.admin)
    rows = _csv(response.content)
    assert list(rows[0])[:2] == [group_by, "calls"]
    _assert_rows_equal(rows, group_by, _expected(_raw_events(session, org), key))


def test_long_range_is_written_in_chunks_without_splitting_weeks(
    client: Any, session: Session, org: Org
) -> None:
    ingest(client, org, sample_events())
    start, end = days_ago(390), days_ago(0)
    assert len(list(_windows(start, end, "week"))) >= 4
    report = _request(
        client,
        org,
        org.viewer,
        **{"from": start.isoformat(), "to": end.isoformat()},
        group_by="week",
    )
    run_jobs()
    rows = _csv(client.get(f"{org.reports}/{report['id']}/download", headers=org.viewer).content)
    expected = _expected(
        _raw_events(session, org), lambda e: "{}-W{:02d}".format(*e.ts.date().isocalendar()[:2])
    )
    _assert_rows_equal(rows, "week", expected)
    assert len({r["week"] for r in rows}) == len(rows)


@pytest.mark.parametrize("group_by", ["day", "week", "month"])
def test_chunk_windows_cover_the_range_on_group_boundaries(group_by: str) -> None:
    start, end = date(2025, 1, 15), date(2026, 11, 29)
    windows = list(_windows(start, end, group_by))
    assert windows[0][0] == start
    assert windows[-1][1] == end
    for (_, hi), (lo, _) in zip(windows, windows[1:], strict=False):
        assert lo == hi + timedelta(days=1)
        if group_by == "week":
            assert lo.weekday() == 0
        if group_by == "month":
            assert lo.day == 1


def test_pdf_report(client: Any, session: Session, org: Org, tmp_path: Path) -> None:
    ingest(client, org, sample_events())
    start, end = days_ago(20), days_ago(0)
    report = _request(
        client,
        org,
        org.viewer,
        **{"from": start.isoformat(), "to": end.isoformat()},
        format="pdf",
        group_by="team",
    )
    run_jobs()
    response = client.get(f"{org.reports}/{report['id']}/download", headers=org.viewer)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 3
    cover, charts, tables = (page.extract_text() for page in reader.pages)
    totals = usage_service.totals(
        session,
        org_id=org.id,
        start=datetime.combine(start, datetime.min.time(), UTC),
        end=datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC),
    )
    assert totals.calls == 12
    assert totals.calls_unknown == 2
    assert "AI usage footprint" in cover
    assert "Acme Research" in cover
    assert f"Period: {start.isoformat()} to {end.isoformat()}" in cover
    cells = cover.split("\n")
    for metric, label in (
        ("co2e_kg", "Greenhouse gases"),
        ("energy_kwh", "Energy"),
        ("water_l", "Water"),
    ):
        values = [
            getattr(totals, metric),
            getattr(totals, f"{metric}_min"),
            getattr(totals, f"{metric}_max"),
        ]
        unit, factor = render._scale(metric, values)
        assert 0 < values[1] < values[0] < values[2]
        row = cells.index(f"{label} ({unit})")
        assert cells[row + 1 : row + 4] == [render._num(v * factor) for v in values]
    assert render._scale("co2e_kg", [2e-5]) == ("mg CO2e", 1e6)
    assert render._scale("co2e_kg", [3.5]) == ("kg CO2e", 1.0)
    assert render._scale("energy_kwh", [0.5]) == ("Wh", 1e3)
    assert cells[cells.index("Calls") + 1] == "12"
    assert cells[cells.index("  of unknown impact (model not registered)") + 1] == "2"
    assert "llm_inference" in cover
    assert "Greenhouse gases per day (" in charts
    assert "Energy per day (" in charts
    assert "gpt-4o-mini" in charts  # the top-models chart's labels
    assert "Summary by team" in tables
    assert "Factor provenance" in tables
    assert "All 12 events of the period." in tables
    events = _raw_events(session, org)
    methodology = next(e.methodology for e in events if e.methodology)
    assert methodology in tables
    assert "not estimated\n(model-not-registered)" in tables
    rows = tables.split("\n")
    for team in ("ml", "ops"):
        assert rows[rows.index(team) + 1] == "6"  # six calls each
    if shutil.which("pdftoppm"):  # a look at page 1 (tests/reports/README: how to view it)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", pdf, tmp_path / "p"], check=True
        )
        assert (tmp_path / "p-1.png").stat().st_size > 1000


def test_empty_period_pdf_and_csv(client: Any, org: Org) -> None:
    body = {"from": days_ago(3).isoformat(), "to": days_ago(0).isoformat()}
    pdf = _request(client, org, org.viewer, **body, format="pdf")
    csv_ = _request(client, org, org.viewer, **body, format="csv")
    run_jobs()
    content = client.get(f"{org.reports}/{pdf['id']}/download", headers=org.viewer).content
    assert content.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "(no usage in this period)" in text
    assert "No enriched events in this period." in text
    rows = client.get(f"{org.reports}/{csv_['id']}/download", headers=org.viewer).content
    assert rows == ("day,start," + ",".join(render.FIGURES) + "\r\n").encode()


def test_tenancy(client: Any, session: Session, org: Org, other_org: Org) -> None:
    ingest(client, org, sample_events())
    report = _request(
        client, org, org.viewer, **{"from": days_ago(14).isoformat(), "to": days_ago(0).isoformat()}
    )
    run_jobs()
    mine = f"{org.reports}/{report['id']}"
    # B's people and keys: A's organisation path is 404, and A's report id under B's path too.
    for headers in (other_org.admin, {"Authorization": f"Bearer {other_org.read_key}"}):
        for url in (mine, f"{mine}/download", org.reports):
            assert client.get(url, headers=headers).status_code == 404
    for url in (
        f"{other_org.reports}/{report['id']}",
        f"{other_org.reports}/{report['id']}/download",
    ):
        response = client.get(url, headers=other_org.admin)
        assert (response.status_code, response.json()["code"]) == (404, "report-not-found")
    assert client.get(other_org.reports, headers=other_org.admin).json()["total"] == 0
    listed = client.get(org.reports, headers=org.viewer).json()
    assert [r["id"] for r in listed["items"]] == [report["id"]]
    # B's report covers only B's (absent) usage.
    theirs = _request(
        client,
        other_org,
        other_org.admin,
        **{"from": days_ago(14).isoformat(), "to": days_ago(0).isoformat()},
    )
    run_jobs()
    content = client.get(
        f"{other_org.reports}/{theirs['id']}/download", headers=other_org.admin
    ).content
    assert content.count(b"\r\n") == 1  # the header only
    assert (
        client.get(
            f"{mine}/download", headers={"Authorization": f"Bearer {org.read_key}"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "validation-failed"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "report-range-too-long"),
        ({"from": "2026-01-01", "to": "2026-01-31", "format": "xlsx"}, "validation-failed"),
        ({"from": "2026-01-01", "to": "2026-01-31", "group_by": "zone"}, "validation-failed"),
        ({"from": "2026-01-01"}, "validation-failed"),
        ({"from": "2026-01-01", "to": "2026-01-31", "extra": 1}, "validation-failed"),
    ],
)
def test_invalid_requests_create_nothing(
    client: Any, session: Session, org: Org, body: dict[str, Any], code: str
) -> None:
    response = client.post(org.reports, json=body, headers=org.viewer)
    assert (response.status_code, response.json()["code"]) == (422, code)
    assert session.execute(select(func.count()).select_from(Report)).scalar_one() == 0
    assert session.execute(select(func.count()).select_from(JobRecord)).scalar_one() == 0


def test_in_progress_limit(client: Any, session: Session, org: Org) -> None:
    body = {"from": days_ago(3).isoformat(), "to": days_ago(0).isoformat()}
    for _ in range(5):
        _request(client, org, org.viewer, **body)
    response = client.post(org.reports, json=body, headers=org.viewer)
    assert (response.status_code, response.json()["code"]) == (429, "reports-in-progress")
    assert response.headers["retry-after"] == "30"
    assert session.execute(select(func.count()).select_from(Report)).scalar_one() == 5
    run_jobs()
    _request(client, org, org.viewer, **body)  # finished ones no longer count


def test_expiry_deletes_the_file(client: Any, session: Session, org: Org, settings: Any) -> None:
    report = _request(
        client, org, org.viewer, **{"from": days_ago(3).isoformat(), "to": days_ago(0).isoformat()}
    )
    run_jobs()
    row = session.get(Report, report["id"])
    assert row is not None
    assert row.file_name is not None
    path = settings.data_dir / "reports" / str(org.id) / row.file_name
    assert path.is_file()
    session.execute(
        update(Report)
        .where(Report.id == report["id"])
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    session.commit()
    gone = client.get(f"{org.reports}/{report['id']}/download", headers=org.viewer)
    assert (gone.status_code, gone.json()["code"]) == (410, "report-expired")
    from ecotrack.reports.tasks import expire

    assert expire() == 1
    assert not path.exists()
    assert (
        client.get(f"{org.reports}/{report['id']}", headers=org.viewer).json()["status"]
        == "expired"
    )


def test_a_failing_build_marks_the_report_failed(
    client: Any, org: Org, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError("layout exploded")

    monkeypatch.setattr(render, "build_pdf", boom)
    report = _request(
        client,
        org,
        org.viewer,
        **{"from": days_ago(3).isoformat(), "to": days_ago(0).isoformat()},
        format="pdf",
    )
    run_jobs()
    failed = client.get(f"{org.reports}/{report['id']}", headers=org.viewer).json()
    assert (failed["status"], failed["error"], failed["file_name"]) == (
        "failed",
        "RuntimeError: layout exploded",
        None,
    )
    assert (
        client.get(f"{org.reports}/{report['id']}/download", headers=org.viewer).status_code == 409
    )
    leftovers = list((settings.data_dir / "reports" / str(org.id)).glob(f"*-r{report['id']}.pdf*"))
    assert leftovers == []


def test_the_job_is_idempotent(client: Any, session: Session, org: Org) -> None:
    from ecotrack.reports.tasks import generate

    report = _request(
        client, org, org.viewer, **{"from": days_ago(3).isoformat(), "to": days_ago(0).isoformat()}
    )
    assert generate(report["id"]) is True
    first = client.get(f"{org.reports}/{report['id']}", headers=org.viewer).json()
    assert generate(report["id"]) is False  # a second delivery finds it done
    assert client.get(f"{org.reports}/{report['id']}", headers=org.viewer).json() == first
    assert generate(999_999) is False
