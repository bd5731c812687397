"""Recalculation: price every stored activity again with the factor editions installed now.

A run (`activity_recalc_run`) walks the activity table in id order, one chunk per transaction:
the changed activities (with a revision keeping the value and factor they held), the rollup of
the days they touch, the `activity.changed` events and the run's cursor and counters commit
together. A crash loses at most the chunk in flight; starting again resumes from the cursor, and
a chunk that another runner already moved past is rolled back (the cursor only advances from the
value it was read at), so the pass is idempotent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from ecotrack.activities import repository
from ecotrack.activities.models import RecalcRun
from ecotrack.activities.service import activities_service, apply_result, request_of
from ecotrack.calc import CalcError, estimate_batch
from ecotrack.core.db import Database, utcnow
from ecotrack.core.errors import ConflictError, NotFoundError

logger = logging.getLogger("ecotrack.activities.recalc")
BATCH_SIZE = 500


class RecalcRunNotFound(NotFoundError):
    code = "recalc-run-not-found"


class RecalcRaced(ConflictError):
    code = "recalc-raced"


def same(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


class RecalcService:
    def start(self, session: Session, *, resume: bool = True) -> RecalcRun:
        """The unfinished run (when `resume`), else a new one sized to the activity table."""
        if resume:
            run = repository.unfinished_run(session)
            if run is not None:
                return run
        run = RecalcRun(
            status="pending",
            total=repository.count_activities(session),
            processed=0,
            changed=0,
            failed=0,
            last_activity_id=0,
        )
        session.add(run)
        session.flush()
        return run

    def get(self, session: Session, *, run_id: int) -> RecalcRun:
        run = repository.get_run(session, run_id)
        if run is None:
            raise RecalcRunNotFound(f"No recalculation run {run_id}")
        return run

    def step(self, session: Session, *, run_id: int, batch_size: int = BATCH_SIZE) -> bool:
        """Recompute the next chunk; False once the run is finished."""
        run = self.get(session, run_id=run_id)
        if run.status in ("done", "failed"):
            return False
        cursor = run.last_activity_id
        rows = repository.activities_after(session, after_id=cursor, limit=batch_size)
        if not rows:
            done = repository.advance_run(
                session,
                run_id=run_id,
                from_id=cursor,
                values={"status": "done", "finished_at": utcnow(), "total": run.processed},
            )
            session.refresh(run)
            return False if done else run.status not in ("done", "failed")
        results = estimate_batch([request_of(row) for row in rows])
        now = utcnow()
        touched: dict[int, set[date]] = defaultdict(set)
        changed = failed = 0
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, CalcError):
                failed += 1  # the activity keeps its stored value; the run counts it
                continue
            if same(result.co2e_kg, row.co2e_kg) and result.factor.id == row.factor_id:
                continue
            activities_service.keep_revision(session, row, reason="recalc")
            apply_result(row, result, now=now)
            touched[row.user_id].add(row.occurred_on)
            changed += 1
        for user_id in sorted(touched):
            activities_service.refresh_days(session, user_id=user_id, days=sorted(touched[user_id]))
        moved = repository.advance_run(
            session,
            run_id=run_id,
            from_id=cursor,
            values={
                "status": "running",
                "last_activity_id": rows[-1].id,
                "processed": run.processed + len(rows),
                "changed": run.changed + changed,
                "failed": run.failed + failed,
                "total": max(run.total, run.processed + len(rows)),
            },
        )
        if not moved:
            raise RecalcRaced(f"Recalculation run {run_id} was advanced by another runner")
        return True

    def run(
        self,
        db: Database,
        *,
        run_id: int,
        batch_size: int = BATCH_SIZE,
        on_progress: Callable[[RecalcRun], None] | None = None,
    ) -> RecalcRun:
        """Drive a run to the end, one committed chunk at a time."""
        while True:
            try:
                with db.unit_of_work() as session:
                    more = self.step(session, run_id=run_id, batch_size=batch_size)
                    run = self.get(session, run_id=run_id)
            except RecalcRaced:
                logger.info("recalc run %s: another runner moved on; re-reading", run_id)
                continue
            except Exception as exc:
                with db.unit_of_work() as session:
                    failed = self.get(session, run_id=run_id)
                    failed.status = "failed"
                    failed.error = f"{type(exc).__name__}: {exc}"[:2000]
                    failed.finished_at = utcnow()
                raise
            if on_progress is not None:
                on_progress(run)
            if not more:
                return run


recalc_service = RecalcService()
