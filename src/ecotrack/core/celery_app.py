"""The Celery application of the distributed mode (`ECOTRACK_BROKER_URL`).

Every task of the registry (`ecotrack.core.jobs.TASKS`) becomes a Celery task of the same name,
with late acknowledgement, re-queue when a worker dies, and bounded exponential-backoff retries.
Periodic tasks become the beat schedule.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from celery import Celery

from ecotrack.core import jobs
from ecotrack.core.settings import get_settings


def _make_task(app: Celery, spec: jobs.TaskSpec) -> None:
    def run(*args: Any, **kwargs: Any) -> Any:
        return jobs.run_task(spec.name, list(args), dict(kwargs))

    run.__name__ = spec.name.replace(".", "_")
    app.task(
        name=spec.name,
        acks_late=spec.acks_late,
        reject_on_worker_lost=spec.acks_late,
        autoretry_for=(Exception,),
        retry_backoff=True,
        retry_backoff_max=int(jobs.MAX_BACKOFF_S),
        retry_jitter=True,
        max_retries=max(0, spec.max_attempts - 1),
    )(run)


@lru_cache(maxsize=1)
def get_celery() -> Celery:
    settings = get_settings()
    if not settings.broker_url:
        raise jobs.JobsError("ECOTRACK_BROKER_URL is not set: jobs run inside `ecotrack serve`")
    app = Celery("ecotrack", broker=settings.broker_url)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        task_default_queue=settings.jobs_queue,
        timezone="UTC",
        enable_utc=True,
    )
    jobs.load_task_modules()
    for spec in jobs.TASKS.values():
        _make_task(app, spec)
    app.conf.beat_schedule = {
        spec.name: {"task": spec.name, "schedule": spec.every_s}
        for spec in jobs.TASKS.values()
        if spec.every_s
    }
    return app
