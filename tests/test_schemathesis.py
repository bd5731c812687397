"""Schemathesis over the whole OpenAPI document, in process: no 5xx, responses match schemas.

Every operation of the document is exercised (new routes join automatically) with generated
valid and invalid inputs; `call_and_validate` runs Schemathesis' default checks (no server error,
status code, content type, headers and response schema conformance, negative data rejected).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ecotrack.app import create_app

MAX_EXAMPLES = 30


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
            # Schema-valid is not always semantically valid (an estimate's accepted units depend
            # on its activity): a documented 422 problem is the right answer there, so the
            # "positive data must be accepted" check is off; every other default check runs.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
