"""`ecotrack usage import FILE.jsonl --org SLUG` and `ecotrack usage rebuild-rollups`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

NAME = "usage"
app = typer.Typer(help="AI usage: import events, repair rollups.", no_args_is_help=True)
console = Console(stderr=True)
BATCH = 1000


def _org_id(slug: str) -> int:
    from ecotrack.core.db import get_database
    from ecotrack.core.errors import AppError
    from ecotrack.orgs.service import orgs_service

    try:
        with get_database().unit_of_work() as session:
            return int(orgs_service.get_org_by_slug(session, slug=slug).id)
    except AppError:
        console.print(f"[red]No organisation {slug!r}[/red]")
        raise typer.Exit(1) from None


@app.command("import")
def import_events(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines file")],
    org: Annotated[str, typer.Option("--org", help="Organisation slug")],
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Events per transaction")] = BATCH,
) -> None:
    """Import events (one JSON object per line, the ingest format) with the same validation,
    enrichment and idempotency as `POST /v1/ingest`."""
    from ecotrack.core.db import get_database
    from ecotrack.core.settings import get_settings
    from ecotrack.usage.service import usage_service

    settings = get_settings()
    org_id = _org_id(org)
    db = get_database()
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
    problems: list[str] = []
    pending: list[tuple[int, Any]] = []

    def flush() -> None:
        if not pending:
            return
        items = [item for _, item in pending]
        with db.unit_of_work() as session:
            result = usage_service.ingest(session, org_id=org_id, items=items, settings=settings)
        totals["accepted"] += result.accepted
        totals["duplicates"] += result.duplicates
        totals["rejected"] += len(result.rejected)
        for r in result.rejected:
            line = pending[r.index][0]
            problems.append(
                f"line {line}: "
                + "; ".join(f"{'.'.join(map(str, e.loc)) or 'event'}: {e.msg}" for e in r.errors)
            )
        pending.clear()

    size = file.stat().st_size
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress, file.open("rb") as fh:
        bar = progress.add_task(f"Importing {file.name}", total=size)
        for number, line in enumerate(fh, start=1):
            progress.advance(bar, len(line))
            if not line.strip():
                continue
            try:
                pending.append((number, orjson.loads(line)))
            except orjson.JSONDecodeError as exc:
                totals["rejected"] += 1
                problems.append(f"line {number}: not JSON ({exc})")
                continue
            if len(pending) >= batch:
                flush()
        flush()
    for problem in problems[:20]:
        console.print(f"[yellow]{problem}[/yellow]")
    if len(problems) > 20:
        console.print(f"[yellow]… and {len(problems) - 20} more rejected lines[/yellow]")
    console.print(
        f"[green]{totals['accepted']} accepted[/green], {totals['duplicates']} duplicates, "
        f"{totals['rejected']} rejected"
    )
    if totals["rejected"]:
        raise typer.Exit(3)


@app.command("rebuild-rollups")
def rebuild_rollups(
    org: Annotated[str, typer.Option("--org", help="Organisation slug")],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (inclusive)")],
) -> None:
    """Rewrite the daily rollups of a date range from the raw events."""
    from ecotrack.core.db import get_database
    from ecotrack.usage.service import usage_service

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as exc:
        console.print(f"[red]Invalid date: {exc}[/red]")
        raise typer.Exit(2) from None
    if last < first:
        console.print("[red]--to is before --from[/red]")
        raise typer.Exit(2)
    org_id = _org_id(org)
    with get_database().unit_of_work() as session:
        usage_service.rebuild_rollups(session, org_id=org_id, start=first, end=last)
    console.print(f"[green]Rollups of {org} rebuilt for {first} … {last}[/green]")
