"""`ecotrack org …` and `ecotrack apikey …`: organisations and API keys from the shell."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from ecotrack.core.errors import AppError

org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
apikey_app = typer.Typer(help="Organisation API keys.", no_args_is_help=True)
console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name="org")
    app.add_typer(apikey_app, name="apikey")


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]{message}[/red]")
    return typer.Exit(code)


@org_app.command("create")
def create_org(
    name: Annotated[str, typer.Argument(help="Display name")],
    owner: Annotated[str, typer.Option("--owner", help="Email of an existing user")],
    slug: Annotated[
        str | None, typer.Option(help="Permanent handle (default: from the name)")
    ] = None,
) -> None:
    """Create an organisation owned by an existing user; prints its slug."""
    from ecotrack.core.db import get_database
    from ecotrack.core.settings import get_settings
    from ecotrack.identity.service import identity_service
    from ecotrack.orgs.context import Actor
    from ecotrack.orgs.schemas import OrgCreate
    from ecotrack.orgs.service import orgs_service

    settings = get_settings()
    try:
        org_in = OrgCreate(name=name, slug=slug)
    except ValidationError as exc:
        raise _fail(f"Invalid organisation: {exc.errors()[0]['msg']}", 2) from None
    try:
        with get_database().unit_of_work() as session:
            user = identity_service.get_user_by_email(session, email=owner.strip().lower())
            if user is None:
                raise _fail(f"No user with email {owner}: create the user first")
            org = orgs_service.create_org(
                session,
                actor=Actor(user_id=None),
                owner_id=user.id,
                org_in=org_in,
                settings=settings,
            )
    except AppError as exc:
        raise _fail(exc.detail) from None
    console.print(f"Created organisation [bold]{org.name}[/bold] (id {org.id}), owner {owner}")
    typer.echo(org.slug)


@apikey_app.command("create")
def create_api_key(
    org: Annotated[str, typer.Option("--org", help="Organisation slug")],
    scopes: Annotated[str, typer.Option("--scopes", help="Comma-separated: ingest, read, admin")],
    signed: Annotated[bool, typer.Option("--signed", help="Require HMAC-signed requests")] = False,
    name: Annotated[str | None, typer.Option("--name", help="A label for the key")] = None,
) -> None:
    """Create an API key; prints the secret once (on stdout), details on stderr."""
    from ecotrack.core.db import get_database
    from ecotrack.core.settings import get_settings
    from ecotrack.orgs.apikeys import api_key_service
    from ecotrack.orgs.context import Actor
    from ecotrack.orgs.schemas import ApiKeyCreate
    from ecotrack.orgs.service import orgs_service

    settings = get_settings()
    scope_list = [s.strip() for s in scopes.split(",") if s.strip()]
    try:
        key_in = ApiKeyCreate(
            name=name or f"cli {'+'.join(scope_list)}",
            scopes=scope_list,
            signed=signed,
        )
    except ValidationError as exc:
        raise _fail(
            f"Invalid key: {exc.errors()[0]['msg']} (scopes: ingest, read, admin)", 2
        ) from None
    try:
        with get_database().unit_of_work() as session:
            organisation = orgs_service.get_org_by_slug(session, slug=org)
            created = api_key_service.create(
                session,
                actor=Actor(user_id=None),
                org_id=organisation.id,
                key_in=key_in,
                settings=settings,
            )
    except AppError as exc:
        raise _fail(exc.detail) from None
    kind = ", signed" if created.signed else ""
    console.print(
        f"API key {created.prefix} ({', '.join(created.scopes)}{kind}) for {org}. "
        "The secret below is shown once: store it now."
    )
    typer.echo(created.secret)
