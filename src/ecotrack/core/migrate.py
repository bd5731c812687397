"""Alembic, driven from code: one migration history for SQLite (batch mode) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
FILE_TEMPLATE = "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s"


def load_models() -> MetaData:
    """Import every model module so `Base.metadata` holds the whole schema."""
    from ecotrack.core import jobs  # noqa: F401 - registers the job tables
    from ecotrack.core.db import Base
    from ecotrack.core.discovery import domain_modules

    domain_modules("models")
    return Base.metadata


def alembic_config(url: str | None = None, *, engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("file_template", FILE_TEMPLATE)
    cfg.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


# Domains may branch the history from a common ancestor (several heads); `heads` applies them
# all. `tests/test_migrations.py` checks the result equals the models on both databases.
def upgrade(
    url: str | None = None, *, engine: Engine | None = None, revision: str = "heads"
) -> None:
    command.upgrade(alembic_config(url, engine=engine), revision)


def downgrade(
    url: str | None = None, *, engine: Engine | None = None, revision: str = "base"
) -> None:
    command.downgrade(alembic_config(url, engine=engine), revision)


def current_heads() -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())
