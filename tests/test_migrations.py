"""The one migration history runs forward and back on this leg's database and matches the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from ecotrack.core.migrate import MIGRATIONS_DIR, downgrade, load_models, upgrade
from tests.conftest import create_pg_database, drop_pg_database, test_db_kind


@pytest.fixture
def fresh_url(tmp_path: Path):  # type: ignore[no-untyped-def]
    if test_db_kind() == "postgresql":
        name, url = create_pg_database("ecotrack_mig")
        yield url
        drop_pg_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'm.db'}"


def test_upgrade_downgrade_upgrade(fresh_url: str) -> None:
    upgrade(fresh_url)
    engine = create_engine(fresh_url)
    tables = set(inspect(engine).get_table_names())
    assert {"job", "job_schedule", "system_probe", "alembic_version"} <= tables
    downgrade(fresh_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(fresh_url)
    engine.dispose()


def test_models_and_migrations_agree(fresh_url: str) -> None:
    upgrade(fresh_url)
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), load_models())
    engine.dispose()
    assert diff == [], f"models differ from migrations; write a migration: {diff}"


def test_migration_files_follow_the_naming_convention() -> None:
    import re

    names = [p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py") if p.name != "__init__.py"]
    assert names
    for name in names:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-\d{4}_[a-z0-9_]+\.py", name), name
