"""`ecotrack user create EMAIL [--password] [--admin] [--verified]`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

NAME = "user"
app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="The account's email address")],
    password: Annotated[
        str | None,
        typer.Option(
            help="The password (prompted for when omitted; prefer the prompt: command lines "
            "end up in shell history)"
        ),
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make a platform admin")] = False,
    verified: Annotated[
        bool, typer.Option("--verified", help="Mark the email address as confirmed")
    ] = False,
) -> None:
    """Create an account (no email is sent)."""
    from pydantic import EmailStr, TypeAdapter, ValidationError
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from ecotrack.core.db import get_database
    from ecotrack.core.errors import AppError
    from ecotrack.core.settings import get_settings
    from ecotrack.identity.service import identity_service

    try:  # the service takes what it is given: check the address here, as the API does
        email = str(TypeAdapter(EmailStr).validate_python(email))
    except ValidationError as exc:
        raise typer.BadParameter(f"{email!r} is not an email address", param_hint="EMAIL") from exc
    settings = get_settings()
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = get_database()
    try:
        with db.unit_of_work() as session:
            user = identity_service.create_user(
                session,
                email=email,
                password=password,
                is_admin=admin,
                is_verified=verified,
                settings=settings,
            )
            user_id, user_email, role = user.id, user.email, user.role
    except AppError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.detail}")
        raise typer.Exit(1) from exc
    except (OperationalError, ProgrammingError) as exc:
        console.print("[red]The database schema is missing or old: run `ecotrack migrate`.[/red]")
        raise typer.Exit(2) from exc
    console.print(f"[green]Created[/green] user {user_id} <{user_email}> (role {role})")
