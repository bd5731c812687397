"""`ecotrack demo`: demonstration data. Each capability adds its seeder to `SEEDERS`."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator

from ecotrack.core.db import ensure_database
from ecotrack.core.settings import Settings


def _jobs_seeder(settings: Settings) -> Iterator[str]:
    """Run the job probe once through the configured job path and report it."""
    from ecotrack.core import jobs
    from ecotrack.system.service import system_service

    db = ensure_database(settings)
    jobs.load_task_modules()
    token = f"demo-{secrets.token_hex(4)}"
    with db.unit_of_work() as session:
        system_service.request_probe(session, token=token)
    if settings.broker_url:
        yield f"jobs: probe {token} sent to the broker; `ecotrack worker` will run it"
        return
    runner = jobs.EmbeddedRunner()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not runner.run_one():
        time.sleep(0.05)
    with db.session_factory() as session:
        runs = system_service.get_probe(session, token=token).runs
    yield f"jobs: probe {token} ran {runs} time(s) in process"


def seeders() -> list[Callable[[Settings], Iterator[str]]]:
    """The job probe, then `seed(settings)` of every `ecotrack.<domain>.demo` module, by `ORDER`."""
    from ecotrack.core.discovery import domain_modules

    found: list[tuple[int, str, Callable[[Settings], Iterator[str]]]] = [
        (getattr(m, "ORDER", 100), m.__name__, m.seed) for m in domain_modules("demo")
    ]
    return [_jobs_seeder, *(seed for _, _, seed in sorted(found, key=lambda t: (t[0], t[1])))]


def run_demo(settings: Settings) -> Iterator[str]:
    for seeder in seeders():
        yield from seeder(settings)
