"""`ecotrack audit verify`: re-derive the hash chain and name the first broken record."""

from __future__ import annotations

import typer
from rich.console import Console

NAME = "audit"
app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
console = Console(soft_wrap=True)  # one line per result, whatever the width


@app.command("verify")
def verify() -> None:
    """Check every record's hash and link; exit 1 naming the first broken record (2: no
    schema)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from ecotrack.audit.service import audit_service
    from ecotrack.core.db import get_database

    try:
        with get_database().session_factory() as session:
            result = audit_service.verify(session)
    except (OperationalError, ProgrammingError) as exc:
        console.print("[red]The database schema is missing or old: run `ecotrack migrate`.[/red]")
        raise typer.Exit(2) from exc
    if result.ok:
        console.print(f"[green]OK[/green]: {result.checked} audit records, the chain is intact")
        return
    console.print(
        f"[red]BROKEN[/red] at audit record {result.broken_id}: {result.reason} "
        f"({result.checked} records checked)"
    )
    raise typer.Exit(1)
