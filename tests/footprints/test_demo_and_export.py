"""The demo seeder and the privacy export of questionnaire results."""

from __future__ import annotations

from typing import Any

from ecotrack.core.pagination import PageParams
from ecotrack.footprints import demo
from ecotrack.footprints import service as footprints_service_module
from ecotrack.footprints.service import footprints_service
from tests.principals import auth_headers, make_user


def test_demo_seeds_results_for_the_demo_person_once(db, session, settings) -> None:
    assert list(demo.seed(settings)) == [
        "footprints: no demo@demo.example.org account, no questionnaire results seeded"
    ]
    user = make_user(session, demo.DEMO_EMAIL)
    session.commit()
    lines = list(demo.seed(settings))
    assert len(lines) == 1
    assert lines[0].startswith("footprints: 3 questionnaire results for demo@demo.example.org: ")
    session.expire_all()
    page = footprints_service.list_for_user(
        session, user_id=user.id, page=PageParams(limit=10, offset=0)
    )
    assert page.total == 3
    confidences = sorted(item["confidence"] for item in page.items)
    assert confidences[0] < confidences[1] < confidences[2] == 1.0
    again = list(demo.seed(settings))
    assert again == ["footprints: demo@demo.example.org already has 3 result(s)"]


def test_privacy_export_contains_the_users_results(client, session) -> None:
    user = make_user(session)
    r = client.post(
        "/api/v1/footprints",
        json={"country": "GB", "answers": {"diet": "vegan"}},
        headers=auth_headers(session, user),
    )
    assert r.status_code == 200
    files: dict[str, Any] = {}
    footprints_service_module._on_export_requested(
        session, user_id=user.id, add=lambda name, data: files.__setitem__(name, data)
    )
    exported = files["footprints/results.json"]
    assert [e["id"] for e in exported] == [r.json()["id"]]
    assert exported[0]["input"] == {"country": "GB", "answers": {"diet": "vegan"}}
    assert exported[0]["total_kg"] == r.json()["total_kg"]
