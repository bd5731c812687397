"""Schemathesis over the whole OpenAPI document, in process: anonymous, signed in, cross-tenant.

1. `test_api_conforms_to_its_schema`: every operation (new routes join automatically), anonymous,
   with generated valid inputs (`as_strategy()` generates positive data); `call_and_validate`
   runs every registered check (no server error, status code, content type, headers, response
   schema, `ignored_auth`, ...) except `positive_data_acceptance`.
2. `test_api_conforms_when_signed_in`: Schemathesis' engine (what `schemathesis run` drives) over
   every operation as user A, who owns organisation A; user B owns organisation B. Both have a
   team, an invitation, an API key, a factor override and a custom model made through the API.
   Identities come from a Web Fuzzing Commons document (fixed `Authorization: Bearer` headers)
   naming A and B as `peers`, so the run also has:
   * `ignored_auth`: each operation declaring a scheme is re-sent without and with broken
     credentials and must refuse them (the WFC provider knows which header is the credential,
     so A's valid token is taken off, unlike with hand-set headers);
   * `object_level_authorization`: every successful GET of an object A created or listed earlier
     in the run (the resource pool and stateful links supply those ids) is replayed as B; B
     receiving the same object is an `ObjectLevelAuthorizationViolation`. The test also proves
     the probes really happened on organisation routes and that B got 404 there.
   Left out of the signed-in run: the operations that end A's own session or organisation
   (`ENDS_THE_RUN`; the anonymous run and the identity/orgs suites cover them): the run would
   carry on with a revoked token and prove nothing. The test fails if A's token or organisation
   did not survive, so a new route with such an effect cannot hollow the run out silently.
3. `test_object_level_check_catches_a_leak` / `..._passes_a_scoped_api`: the same WFC setup on a
   tiny app whose `GET /things/{id}` leaks other users' things (then does not): proves the check
   is live in process, and is quiet when ownership is enforced.

`positive_data_acceptance` stays off everywhere: schema-valid is not always semantically valid
(an estimate's accepted units depend on its activity; an override's `per_unit` must be a unit
pint knows), and a documented 422 problem is the right answer there. Negative (invalid) data is
not generated, as in the anonymous run.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import pytest
import schemathesis
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from hypothesis import HealthCheck, given, settings
from pydantic import BaseModel, Field
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.testclient import TestClient

from ecotrack.app import create_app
from tests import schemathesis_auth as st_auth
from tests.principals import auth_headers, make_user

MAX_EXAMPLES = 30
# The signed-in engine run: examples per operation and phase.
ENGINE_MAX_EXAMPLES = 8
ID_OFFSET = 40
OLA = "ObjectLevelAuthorizationViolation"

# (method, path regex): operations that end A's session or organisation for the rest of the run.
ENDS_THE_RUN: tuple[tuple[str, str], ...] = (
    ("POST", r"/auth/(logout|logout-all|password/change)$"),
    ("DELETE", r"/users/me(/sessions/\{[^}]+\})?$"),
    ("DELETE", r"/orgs/\{org_id\}$"),
)


@pytest.fixture
def api_schema(settings, db):  # type: ignore[no-untyped-def]
    settings.rate_limit_per_minute = 1_000_000
    app = create_app(settings, db=db, run_jobs=False)
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def _operations(schema):  # type: ignore[no-untyped-def]
    return [result.ok() for result in schema.get_all_operations()]


def test_document_has_operations(api_schema) -> None:
    labels = [op.label for op in _operations(api_schema)]
    assert "GET /healthz" in labels
    assert len(labels) >= 4


def test_api_conforms_to_its_schema(api_schema) -> None:
    failures = []
    for operation in _operations(api_schema):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            # Schema-valid is not always semantically valid (module docstring): a documented 422
            # problem is the right answer there, so "positive data must be accepted" is off.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


# --- signed in, two tenants -------------------------------------------------------------------

RESOURCES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("teams", {"name": "{who} team"}),
    ("invitations", {"email": "{who}-invitee@example.org"}),
    ("api-keys", {"name": "{who} key", "scopes": ["read"]}),
    ("factor-overrides", {"activity": "electricity", "value": 0.1, "per_unit": "kWh"}),
    ("custom-models", {"provider": "openai", "name": "{who}-llm", "params_total_b": 7}),
)


def _fill(body: dict[str, Any], who: str) -> dict[str, Any]:
    return {k: v.format(who=who) if isinstance(v, str) else v for k, v in body.items()}


def _tenant(
    client: TestClient, session: Any, who: str, *, extra: int = 0
) -> tuple[dict[str, str], int]:
    """A user owning organisation `who` with one resource of each kind (`1 + extra`), made
    through the API."""
    headers = auth_headers(session, make_user(session, f"st-{who}@example.org"))
    response = client.post(
        "/api/v1/orgs", json={"name": f"Org {who.upper()}", "slug": f"st-{who}"}, headers=headers
    )
    assert response.status_code == 201, response.text
    org_id = int(response.json()["id"])
    for n in range(1 + extra):
        for collection, body in RESOURCES:
            response = client.post(
                f"/api/v1/orgs/{org_id}/{collection}",
                json=_fill(body, f"{who}{n}" if n else who),
                headers=headers,
            )
            assert response.status_code == 201, f"{collection}: {response.text}"
    return headers, org_id


def _declares_user_bearer(operation: Any) -> bool:
    """Whether the operation accepts a user's access token (`HTTPBearer`)."""
    return any(
        "HTTPBearer" in requirement for requirement in operation.definition.raw.get("security", [])
    )


# SQLite leg only: the generator reaches A's objects through small, predictable ids; on the
# shared PostgreSQL test database the sequences keep climbing across tests (rolled-back rows
# still consume ids), and the run then mostly addresses made-up ids and proves little. The
# route behaviour it checks does not depend on the database; both legs run the anonymous run.
@pytest.mark.sqlite_only
def test_api_conforms_when_signed_in(settings, db, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.rate_limit_per_minute = 1_000_000
    settings.auth_rate_limit_per_minute = 1_000_000
    settings.invitations_per_hour = 1_000_000
    settings.api_key_rate_limit_per_minute = 1_000_000
    app = create_app(settings, db=db, run_jobs=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        # B first, with extra objects: A's objects then get ids well above every organisation
        # id. The object-level check ignores a value the owner's request itself sent, and small
        # ids equal to an `org_id` in the same request would hide A's objects from it.
        b_headers, b_org = _tenant(client, session, "b", extra=ID_OFFSET)
        a_headers, a_org = _tenant(client, session, "a")
        # Cross-tenant reads answer 404 before the run (the run must keep it so).
        assert client.get(f"/api/v1/orgs/{a_org}", headers=b_headers).status_code == 404

    wfc = st_auth.write_wfc(tmp_path / "wfc.json", {"A": a_headers, "B": b_headers})
    config = st_auth.engine_config(
        wfc,
        user="A",
        peers=["A", "B"],
        max_examples=ENGINE_MAX_EXAMPLES,
        excluded_checks=("positive_data_acceptance",),
    )
    schema = st_auth.load_asgi(app, config)
    for method, path_regex in ENDS_THE_RUN:
        schema = schema.exclude(method=method, path_regex=path_regex)
    operations = _operations(schema)
    outcome = st_auth.run(schema)

    # Object-level authorisation: none found, and the check really probed organisation objects.
    assert not outcome.of_kind(OLA), "\n\n".join(map(str, outcome.of_kind(OLA)))
    probes = [c for c in outcome.calls if c.identity == "B" and "{org_id}" in c.label]
    # Which nested objects (teams, keys, …) get probed depends on what the generator drew (it
    # varied between the SQLite and PostgreSQL legs), so only the organisation itself is a
    # fixed expectation here; test_object_level_check_catches_a_leak proves the check fires.
    assert {c.label for c in probes} >= {"GET /api/v1/orgs/{org_id}"}, probes
    # B's replays of A's reads hit A's organisation and were refused as another tenant: 404.
    assert Counter(c.status for c in probes) == Counter({404: len(probes)}), probes

    # Every other check, over every operation the run reached.
    others = [f for f in outcome.failures if f.kind != OLA]
    assert not others, "\n\n".join(map(str, others))
    assert not outcome.errors, "\n".join(outcome.errors)

    # Signed in for real: every operation taking a user's token was answered past authentication
    # at least once, and the organisation routes served A's objects.
    as_a = [c for c in outcome.calls if c.identity == "A"]
    reached = {c.label for c in as_a if c.status not in (None, 401)}
    bearer_ops = {op.label for op in operations if _declares_user_bearer(op)}
    assert bearer_ops - reached == set(), f"only ever 401 as A: {sorted(bearer_ops - reached)}"
    served = {c.label for c in as_a if c.status is not None and 200 <= c.status < 300}
    # (Reads addressed by `org_id` alone; deeper ids depend on what the run happened to create.)
    org_reads = {
        op.label
        for op in operations
        if op.method.upper() == "GET"
        and "/orgs" in op.path
        and set(re.findall(r"\{([^}]+)\}", op.path)) <= {"org_id"}
    }
    assert org_reads - served == set(), f"never served to A: {sorted(org_reads - served)}"

    # The run left A signed in and A's organisation in place (see ENDS_THE_RUN).
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/users/me", headers=a_headers).status_code == 200
        assert client.get(f"/api/v1/orgs/{a_org}", headers=a_headers).status_code == 200
        assert client.get(f"/api/v1/orgs/{b_org}", headers=b_headers).status_code == 200


# --- the check itself, on a throwaway app -----------------------------------------------------

TOKENS = {"alice-token": "alice", "bob-token": "bob"}


class ThingIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)


class Thing(BaseModel):
    id: int
    name: str
    owner: str


def _caller(
    credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))
    ],
) -> str:
    if credentials is None or credentials.credentials not in TOKENS:
        raise HTTPException(401)
    return TOKENS[credentials.credentials]


Caller = Annotated[str, Depends(_caller)]


def _things_app(*, leaky: bool) -> FastAPI:
    """Things owned by whoever created them; `leaky` skips the owner check on `GET /things/{id}`."""
    app = FastAPI()
    store: dict[int, Thing] = {}
    ids = itertools.count(1)

    @app.post("/things", status_code=201, response_model=Thing, responses={401: {}})
    def create_thing(thing_in: ThingIn, user: Caller) -> Thing:
        thing = Thing(id=next(ids), name=thing_in.name, owner=user)
        store[thing.id] = thing
        return thing

    @app.get("/things", response_model=list[Thing], responses={401: {}})
    def list_things(user: Caller) -> list[Thing]:
        return [thing for thing in store.values() if thing.owner == user]

    @app.get("/things/{thing_id}", response_model=Thing, responses={401: {}, 404: {}})
    def get_thing(thing_id: int, user: Caller) -> Thing:
        thing = store.get(thing_id)
        if thing is None or (thing.owner != user and not leaky):
            raise HTTPException(404)
        return thing

    return app


def _run_things(tmp_path: Path, *, leaky: bool) -> st_auth.Outcome:
    wfc = st_auth.write_wfc(
        tmp_path / "wfc.json",
        {
            "alice": {"Authorization": "Bearer alice-token"},
            "bob": {"Authorization": "Bearer bob-token"},
        },
    )
    config = st_auth.engine_config(wfc, user="alice", peers=["alice", "bob"], max_examples=10)
    app = _things_app(leaky=leaky)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    return st_auth.run(schema)


def test_object_level_check_catches_a_leak(tmp_path: Path) -> None:
    outcome = _run_things(tmp_path, leaky=True)
    found = outcome.of_kind(OLA)
    assert [(f.check, f.label) for f in found] == [
        ("object_level_authorization", "GET /things/{thing_id}")
    ], outcome.failures
    assert "`bob` received the `Thing` that `alice` owns" in found[0].message
    # Bob's replay got alice's thing.
    assert any(
        c.identity == "bob" and c.status == 200 and c.label.endswith("{thing_id}")
        for c in outcome.calls
    )


def test_object_level_check_passes_a_scoped_api(tmp_path: Path) -> None:
    outcome = _run_things(tmp_path, leaky=False)
    assert outcome.of_kind(OLA) == []
    bob = [c for c in outcome.calls if c.identity == "bob" and c.label == "GET /things/{thing_id}"]
    assert bob, outcome.calls
    assert {c.status for c in bob} == {404}, bob
