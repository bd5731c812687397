"""Identity test fixtures: a movable clock, clients over apps with their own settings, a clean
failed-login counter per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from ecotrack.core.db import Database, utcnow
from ecotrack.core.settings import Settings
from ecotrack.identity.lockout import reset_memory_counter
from ecotrack.identity.service import identity_service


class FakeClock:
    """The identity service's clock, moved by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(autouse=True)
def _fresh_failure_counter() -> Iterator[None]:
    # The embedded failed-login counter lives in the process: no test may see another's failures.
    reset_memory_counter()
    yield
    reset_memory_counter()


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    fake = FakeClock(utcnow())
    previous = identity_service.clock
    identity_service.clock = fake
    yield fake
    identity_service.clock = previous


MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(settings: Settings, db: Database) -> Iterator[MakeClient]:
    """`make_client(base_url=..., client=(ip, port), **settings_overrides)`: a TestClient over a new
    app built with the test settings plus the overrides (its own rate limiter)."""
    from ecotrack.app import create_app

    with ExitStack() as stack:

        def build(
            *, base_url: str = "http://testserver", ip: str = "testclient", **overrides: Any
        ) -> TestClient:
            app = create_app(settings.model_copy(update=overrides), db=db, run_jobs=False)
            client = TestClient(
                app, base_url=base_url, client=(ip, 50000), raise_server_exceptions=False
            )
            return stack.enter_context(client)

        yield build
