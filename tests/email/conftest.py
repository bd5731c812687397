"""Email fixtures: the process settings the `email.send` job reads, pointed at this test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ecotrack.core.jobs import EmbeddedRunner
from ecotrack.core.settings import Settings, get_settings

MailEnv = Callable[..., Path]


@pytest.fixture
def mail_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Settings
) -> Iterator[MailEnv]:
    """`mail_env(EMAIL_BACKEND="smtp", ...)` sets `ECOTRACK_*` for the job (which reads the
    process settings) and returns the data directory it now uses (the instance secret stays the
    app's, so tokens issued by test helpers keep working)."""

    def configure(**values: object) -> Path:
        data_dir = tmp_path / "data"
        monkeypatch.setenv("ECOTRACK_SECRET_KEY", settings.resolved_secret_key())
        monkeypatch.setenv("ECOTRACK_DATA_DIR", str(data_dir))
        for key, value in values.items():
            monkeypatch.setenv(f"ECOTRACK_{key}", str(value))
        get_settings.cache_clear()
        return data_dir

    yield configure
    monkeypatch.undo()
    get_settings.cache_clear()


def run_jobs(runner: EmbeddedRunner | None = None) -> int:
    """Run every due job; returns how many ran."""
    runner = runner or EmbeddedRunner()
    count = 0
    while runner.run_one():
        count += 1
    return count
