"""`ecotrack recalc`: recompute every activity after a new factor edition is installed."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True)


def recalc_command(
    new: Annotated[
        bool, typer.Option("--new", help="Start a new pass instead of resuming an unfinished one")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Activities per commit")] = 500,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="With a broker: follow the job's progress")
    ] = True,
) -> None:
    """Recompute every stored activity with the current factor editions (a resumable job).

    Without a broker the job runs here; with one (ECOTRACK_BROKER_URL) it is sent to the workers
    and this command follows its progress. Each activity whose value or factor changes keeps the
    previous ones."""
    from ecotrack.activities.recalc import recalc_service
    from ecotrack.core import jobs
    from ecotrack.core.db import get_database
    from ecotrack.core.settings import get_settings

    settings = get_settings()
    db = get_database()
    jobs.load_task_modules()
    with db.unit_of_work() as session:
        run = recalc_service.start(session, resume=not new)
        resumed = run.processed > 0
        run_id, total, done = run.id, run.total, run.processed
        if settings.broker_url:
            jobs.enqueue(session, "activities.recalc", run_id)
    verb = "Resuming" if resumed else "Starting"
    console.print(f"{verb} recalculation run {run_id}: {total} activities")
    progress = Progress(
        TextColumn("[bold]recalc[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[changed]} changed, {task.fields[failed]} failed"),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        bar = progress.add_task("recalc", total=max(total, 1), completed=done, changed=0, failed=0)
        if not settings.broker_url:
            final = recalc_service.run(
                db,
                run_id=run_id,
                batch_size=batch_size,
                on_progress=lambda r: progress.update(
                    bar,
                    completed=r.processed,
                    total=max(r.total, 1),
                    changed=r.changed,
                    failed=r.failed,
                ),
            )
            status, changed, failed = final.status, final.changed, final.failed
        elif not wait:
            console.print(f"Sent to the workers as job activities.recalc({run_id})")
            return
        else:
            while True:
                with db.session_factory() as session:
                    r = recalc_service.get(session, run_id=run_id)
                    status, changed, failed = r.status, r.changed, r.failed
                    progress.update(
                        bar,
                        completed=r.processed,
                        total=max(r.total, 1),
                        changed=changed,
                        failed=failed,
                    )
                if status in ("done", "failed"):
                    break
                time.sleep(0.5)
    colour = "green" if status == "done" else "red"
    console.print(
        f"[{colour}]Run {run_id} {status}[/{colour}]: {changed} changed, {failed} could not be "
        "recomputed (kept as they were)"
    )
    if status != "done":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("recalc")(recalc_command)
