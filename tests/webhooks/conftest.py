"""Webhook fixtures: a real local receiver, the setting that lets tests target it, and an
organisation with its admins (tests/orgs's world)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from ecotrack.core.db import get_database, utcnow
from ecotrack.core.jobs import EmbeddedRunner, JobRecord, run_task
from ecotrack.core.settings import get_settings
from tests.orgs.conftest import World, b_resources, world  # noqa: F401 - fixtures
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def job_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`job_env(KEY=value)`: set `ECOTRACK_<KEY>` for the jobs (which read the process settings)."""

    def configure(**values: object) -> None:
        for key, value in values.items():
            monkeypatch.setenv(f"ECOTRACK_{key}", str(value))
        get_settings.cache_clear()

    yield configure
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def private_allowed(app: Any, job_env: Any) -> None:
    """`ECOTRACK_WEBHOOKS_ALLOW_PRIVATE=true` for the API and the jobs: the receiver is local."""
    job_env(WEBHOOKS_ALLOW_PRIVATE="true")
    app.state.settings = app.state.settings.model_copy(update={"webhooks_allow_private": True})


def run_jobs() -> list[str]:
    """Run every due job of the durable table, raising any task's error; returns their names."""
    runner = EmbeddedRunner()
    names: list[str] = []
    while (job := runner.claim()) is not None:
        names.append(job.name)
        run_task(job.name, list(job.args), dict(job.kwargs))
        with get_database().session_factory() as session, session.begin():
            session.execute(
                update(JobRecord)
                .where(JobRecord.id == job.id)
                .values(status="done", finished_at=utcnow(), locked_until=None)
            )
    return names
