from __future__ import annotations

from tests.authz import ROUTES, Principal, expected_status


def test_every_route_is_in_the_authorisation_matrix(client) -> None:
    doc = client.get("/api/openapi.json").json()
    routes = {f"{m.upper()} {p}" for p, item in doc["paths"].items() for m in item}
    unclassified = sorted(routes - set(ROUTES))
    assert not unclassified, f"classify these routes in tests/authz.py: {unclassified}"
    stale = sorted(set(ROUTES) - routes)
    assert not stale, f"routes listed in tests/authz.py that no longer exist: {stale}"


def test_public_routes_answer_anonymous_callers(client) -> None:
    for route, access in ROUTES.items():
        if not access.public or "{" in route:
            continue
        method, path = route.split(" ", 1)
        if method != "GET":
            continue
        assert expected_status(route, Principal.ANONYMOUS) is None
        assert client.request(method, path).status_code not in (401, 403), route
