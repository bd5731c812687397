"""The authorisation matrix: every route of the OpenAPI document, called as every principal the
suite can build (tests/principals.py), answers as `tests/authz.py` says.

Denied principals get exactly the route's denial status (401 anonymous, 403 or 404 otherwise);
allowed principals get anything but 401/403 (an empty body usually earns 422, a made-up id 404:
both prove the caller got past authorisation).
"""

from __future__ import annotations

import pytest

from tests.authz import ROUTES, Principal, expected_status
from tests.principals import FACTORIES, build_world

# These authenticate by a credential in the request body, not by the caller: 401 for everyone.
BODY_CREDENTIAL_ROUTES = frozenset({"POST /api/v1/auth/refresh"})


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


def test_matrix_covers_the_principals_identity_provides() -> None:
    assert set(FACTORIES) == set(Principal)


# One test per route, each with a fresh world (users, sessions): a route that ends the caller's
# session (logout) cannot disturb the next one.
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route_answers_each_principal_as_classified(route, client, session, settings) -> None:
    world, headers = build_world(session, settings)
    method, template = route.split(" ", 1)
    path = world.path(template)
    body = {} if method in {"POST", "PUT", "PATCH", "DELETE"} else None
    wrong = []
    for principal, principal_headers in headers.items():
        response = client.request(method, path, headers=principal_headers, json=body)
        status = response.status_code
        denied = expected_status(route, principal)
        if denied is not None:
            if status != denied:
                wrong.append(f"{principal}: expected {denied}, got {status} {response.text[:200]}")
        elif route not in BODY_CREDENTIAL_ROUTES and status in (401, 403):
            wrong.append(f"{principal}: allowed but got {status} {response.text[:200]}")
    assert not wrong, f"{route}:\n" + "\n".join(wrong)


def test_refresh_is_refused_without_a_refresh_token_for_everyone(client, session, settings) -> None:
    _, headers = build_world(session, settings)
    for principal_headers in headers.values():
        response = client.post("/api/v1/auth/refresh", headers=principal_headers, json={})
        assert response.status_code == 401
        assert response.json()["code"] == "invalid-refresh-token"
