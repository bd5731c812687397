"""`ecotrack audit verify`: re-derive the hash chain and name the first broken record."""

from __future__ import annotations

import typer
from rich.console import Console

NAME = "audit"
app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
console = Console()


@app.command("verify")
def verify() -> None:
    """Check every record's hash and link; exit 1 naming the first broken record."""
    from ecotrack.audit.service import audit_service
    from ecotrack.core.db import get_database

    with get_database().session_factory() as session:
        result = audit_service.verify(session)
    if result.ok:
        console.print(f"[green]OK[/green]: {result.checked} audit records, the chain is intact")
        return
    console.print(
        f"[red]BROKEN[/red] at audit record {result.broken_id}: {result.reason} "
        f"({result.checked} records checked)"
    )
    raise typer.Exit(1)
