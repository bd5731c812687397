"""The `ecotrack` command line: serve, migrate, worker, beat, demo, version, estimate, factors."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ecotrack import __version__

if TYPE_CHECKING:
    from ecotrack.core.settings import Settings

app = typer.Typer(
    name="ecotrack",
    help="EcoTrack: measure, explain and reduce environmental footprints.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


def _settings() -> Settings:
    from ecotrack.core.settings import SettingsError, get_settings

    try:
        return get_settings()
    except SettingsError as exc:
        console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc
    except Exception as exc:  # pydantic validation of the environment
        console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _migrate(settings: Settings) -> None:
    from ecotrack.core.migrate import upgrade

    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)


def _schema_is_current(settings: Settings) -> bool:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    from ecotrack.core.migrate import current_heads

    engine = create_engine(settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    return current == set(current_heads())


@app.command()
def version() -> None:
    """Print the EcoTrack version."""
    print(__version__)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (SQLite or PostgreSQL)."""
    settings = _settings()
    _migrate(settings)
    console.print(f"[green]Database is at the latest schema[/green] ({_safe_url(settings)})")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    migrate_db: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Migrate before serving")
    ] = True,
) -> None:
    """Serve the API (and, without a broker, run background jobs in process)."""
    import uvicorn

    from ecotrack.core.observability import configure_logging

    settings = _settings()
    configure_logging(settings)
    settings.ensure_data_dir()
    settings.resolved_secret_key()
    if migrate_db:
        _migrate(settings)
    elif not _schema_is_current(settings):
        console.print("[red]The database schema is not current: run `ecotrack migrate`.[/red]")
        raise typer.Exit(1)
    mode = "distributed (jobs in `ecotrack worker`)" if settings.broker_url else "embedded"
    console.print(
        f"EcoTrack {__version__} on http://{host}:{port} — {mode}, database {_safe_url(settings)}"
    )
    uvicorn.run(
        "ecotrack.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )


def _require_broker() -> Settings:
    settings = _settings()
    if not settings.broker_url:
        console.print(
            "[red]No broker configured.[/red] Set ECOTRACK_BROKER_URL (for example "
            "redis://127.0.0.1:6379/0) to run jobs in separate workers. Without a broker, "
            "`ecotrack serve` runs every job in process."
        )
        raise typer.Exit(2)
    return settings


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Worker threads/processes")] = 2,
    pool: Annotated[str, typer.Option(help="Celery pool: prefork, threads, solo")] = "prefork",
) -> None:
    """Run a Celery worker for background jobs (needs ECOTRACK_BROKER_URL)."""
    settings = _require_broker()
    from ecotrack.core.celery_app import get_celery
    from ecotrack.core.observability import configure_logging

    configure_logging(settings)
    get_celery().worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--pool={pool}",
            f"--queues={settings.jobs_queue}",
            "--loglevel=INFO",
        ]
    )


@app.command()
def beat() -> None:
    """Run the Celery beat scheduler for periodic jobs (needs ECOTRACK_BROKER_URL)."""
    settings = _require_broker()
    from ecotrack.core.celery_app import get_celery

    schedule = settings.ensure_data_dir() / "celerybeat-schedule"
    get_celery().start(["beat", "--loglevel=INFO", f"--schedule={schedule}"])


@app.command()
def demo() -> None:
    """Load demonstration data (grows as capabilities land) and print what was created."""
    settings = _settings()
    _migrate(settings)
    from ecotrack.demo import run_demo

    for line in run_demo(settings):
        # Never wrapped or styled: lines carry passwords and keys to copy.
        console.print(line, soft_wrap=True, markup=False, highlight=False)


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def _register_domain_commands() -> None:
    """Each `ecotrack.<domain>.cli` module becomes `ecotrack <NAME> ...` (or calls `register`)."""
    from ecotrack.core.discovery import domain_modules

    for module in domain_modules("cli"):
        if hasattr(module, "register"):
            module.register(app)
        elif hasattr(module, "app"):
            app.add_typer(module.app, name=getattr(module, "NAME", module.__name__.split(".")[1]))


_register_domain_commands()


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
