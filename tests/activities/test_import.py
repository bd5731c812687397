"""CSV import: columns, per-row errors, all-or-nothing vs valid-only, limits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ecotrack.activities import importer
from ecotrack.activities.models import Activity
from tests.activities.conftest import assert_rollup_matches, by_name

GOOD = """date,activity,amount,unit,region,year,source,note,opt.fuel,options
2026-01-05,car,500,km,,,,trip,petrol,
2026-01-06,electricity,100,kWh,GB,2025,desnz,,,
2026-01-07,diet,1,person_day,,,,,,"{""diet"": ""vegan""}"
"""

BAD = """date,activity,amount,unit,opt.fuel
2026-01-05,car,500,km,petrol
2026-13-01,car,5,km,petrol
2026-01-07,car,5,kWh,petrol
2026-01-08,car,-1,km,petrol
2026-01-09,car,5,km,steam
2026-01-10,car,ten,km,
"""


def _count(session) -> int:
    return session.execute(select(func.count()).select_from(Activity)).scalar_one()


def post_csv(client, person, text: str, mode: str | None = None):
    params = {"mode": mode} if mode else {}
    return client.post(
        "/api/v1/activities/import",
        content=text.encode(),
        params=params,
        headers={**person.headers, "Content-Type": "text/csv"},
    )


def test_a_good_file_imports_every_row(client, session, person, published) -> None:
    response = post_csv(client, person, GOOD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "all_or_nothing"
    assert (body["rows"], body["imported"], body["failed"], body["errors"]) == (3, 3, 0, [])
    assert len(body["activity_ids"]) == 3
    car = client.get(f"/api/v1/activities/{body['activity_ids'][0]}", headers=person.headers).json()
    assert car["co2e_kg"] == pytest.approx(81.36)
    assert car["options"] == {"fuel": "petrol"}
    assert car["note"] == "trip"
    diet = client.get(f"/api/v1/activities/{body['activity_ids'][2]}", headers=person.headers)
    assert diet.json()["options"] == {"diet": "vegan"}
    assert body["total_co2e_kg"] == pytest.approx(
        sum(
            client.get(f"/api/v1/activities/{i}", headers=person.headers).json()["co2e_kg"]
            for i in body["activity_ids"]
        )
    )
    events = by_name(published)
    assert [e["activity_id"] for e in events["activity.logged"]] == body["activity_ids"]
    assert len(events["activity.changed"]) == 1
    assert_rollup_matches(session, person.id)


def test_all_or_nothing_writes_nothing_and_lists_every_bad_row(client, session, person, published):
    response = post_csv(client, person, BAD, "all_or_nothing")
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "import-rejected"
    assert problem["detail"] == "5 of 6 rows are invalid; nothing was imported"
    assert [e["loc"] for e in problem["errors"]] == [
        ["row", 2, "date"],
        ["row", 3, "unit"],
        ["row", 4, "amount"],
        ["row", 5, "opt.fuel"],
        ["row", 6, "amount"],
    ]
    assert "accepted units: km, mile" in problem["errors"][1]["msg"]
    assert _count(session) == 0
    assert published == []
    assert client.get("/api/v1/me/stats", headers=person.headers).json()["count"] == 0


def test_valid_only_keeps_the_good_rows(client, session, person) -> None:
    response = post_csv(client, person, BAD, "valid_only")
    assert response.status_code == 200
    body = response.json()
    assert (body["rows"], body["imported"], body["failed"]) == (6, 1, 5)
    assert [e["row"] for e in body["errors"]] == [2, 3, 4, 5, 6]
    assert body["errors"][0]["errors"][0]["type"] == "date_parsing"
    assert body["errors"][3]["errors"][0]["type"] == "invalid-option"
    assert _count(session) == 1
    assert_rollup_matches(session, person.id)


def test_multipart_upload(client, session, person) -> None:
    response = client.post(
        "/api/v1/activities/import",
        files={"file": ("mine.csv", GOOD.encode(), "text/csv")},
        headers=person.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 3
    missing = client.post(
        "/api/v1/activities/import",
        files={"other": ("mine.csv", GOOD.encode(), "text/csv")},
        headers=person.headers,
    )
    assert missing.status_code == 422
    assert missing.json()["code"] == "csv-missing"
    assert _count(session) == 3


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "csv-empty"),
        ("date,activity,amount\n2026-01-01,car,1\n", "csv-missing-columns"),
        ("date,activity,amount,unit,colour\n", "csv-bad-columns"),
        ("date,activity,amount,unit,unit\n", "csv-bad-columns"),
    ],
)
def test_file_level_errors(client, person, text, code) -> None:
    response = post_csv(client, person, text)
    assert response.status_code == 422
    assert response.json()["code"] == code


def test_wrong_media_type_is_415(client, person) -> None:
    response = client.post("/api/v1/activities/import", json={"a": 1}, headers=person.headers)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported-media-type"


def test_row_and_size_limits_are_413(client, session, person, monkeypatch) -> None:
    monkeypatch.setattr(importer, "MAX_IMPORT_ROWS", 2)
    response = post_csv(client, person, GOOD)
    assert response.status_code == 413
    assert "at most 2 data rows" in response.json()["detail"]
    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", 100)
    response = post_csv(client, person, GOOD)
    assert response.status_code == 413
    assert _count(session) == 0


def test_the_documented_limits() -> None:
    assert importer.MAX_IMPORT_ROWS == 10_000
    assert importer.MAX_IMPORT_BYTES == 2 * 1024 * 1024


def test_ten_thousand_rows_import_in_one_request(client, session, person) -> None:
    lines = ["date,activity,amount,unit,opt.fuel"]
    lines += [f"2026-01-{1 + i % 28:02d},car,{1 + i % 50},km,petrol" for i in range(10_000)]
    response = post_csv(client, person, "\n".join(lines), "all_or_nothing")
    assert response.status_code == 200, response.text[:500]
    assert response.json()["imported"] == 10_000
    stats = client.get("/api/v1/me/stats", headers=person.headers).json()
    assert stats["count"] == 10_000
    assert stats["days"] == 28
    assert_rollup_matches(session, person.id)
