"""usage: usage_event (partitioned by month on PostgreSQL), usage_event_key, daily rollups

Revision ID: 0201
Revises: 0003
Create Date: 2026-11-30 13:00:00

`usage_event` is created `PARTITION BY RANGE (ts)` on PostgreSQL with no partition: the usage
repository creates monthly partitions ahead (job `usage.ensure_partitions`) and on demand. SQLite
ignores the partitioning clause.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecotrack.core.db

revision: str = "0201"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = (
    ("calls", sa.BigInteger()),
    ("calls_unknown", sa.BigInteger()),
    ("tokens_in", sa.BigInteger()),
    ("tokens_out", sa.BigInteger()),
    ("energy_kwh", sa.Float()),
    ("energy_kwh_min", sa.Float()),
    ("energy_kwh_max", sa.Float()),
    ("water_l", sa.Float()),
    ("water_l_min", sa.Float()),
    ("water_l_max", sa.Float()),
    ("co2e_kg", sa.Float()),
    ("co2e_kg_min", sa.Float()),
    ("co2e_kg_max", sa.Float()),
)


def _sums() -> list[sa.Column]:
    return [sa.Column(name, type_, nullable=False) for name, type_ in SUMS]


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisation.id"],
        name=op.f(f"fk_{table}_org_id_organisation"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "usage_event_key",
        sa.Column("org_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _org_fk("usage_event_key"),
        sa.PrimaryKeyConstraint("org_id", "event_id", name=op.f("pk_usage_event_key")),
    )
    with op.batch_alter_table("usage_event_key", schema=None) as batch_op:
        batch_op.create_index("ix_usage_event_key_day", ["day"], unique=False)

    op.create_table(
        "usage_event",
        sa.Column("org_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ts", ecotrack.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("received_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("tokens_in", sa.BigInteger(), nullable=False),
        sa.Column("tokens_out", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("zone", sa.String(length=8), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("user_ref", sa.String(length=256), nullable=False),
        sa.Column("team", sa.String(length=128), nullable=False),
        sa.Column("app", sa.String(length=128), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("methodology", sa.String(length=32), nullable=True),
        sa.Column("zone_used", sa.String(length=8), nullable=True),
        sa.Column("grid_factor_id", sa.String(length=200), nullable=True),
        sa.Column("model_source", sa.String(length=80), nullable=True),
        sa.Column("energy_kwh_min", sa.Float(), nullable=True),
        sa.Column("energy_kwh_max", sa.Float(), nullable=True),
        sa.Column("water_l_min", sa.Float(), nullable=True),
        sa.Column("water_l_max", sa.Float(), nullable=True),
        sa.Column("co2e_kg_min", sa.Float(), nullable=True),
        sa.Column("co2e_kg_max", sa.Float(), nullable=True),
        sa.Column("enriched_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=False),
        _org_fk("usage_event"),
        sa.PrimaryKeyConstraint("org_id", "ts", "event_id", name=op.f("pk_usage_event")),
        postgresql_partition_by="RANGE (ts)",
    )

    op.create_table(
        "usage_rollup_daily",
        sa.Column("org_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_ref", sa.String(length=256), nullable=False),
        sa.Column("team", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        *_sums(),
        _org_fk("usage_rollup_daily"),
        sa.PrimaryKeyConstraint(
            "org_id",
            "day",
            "user_ref",
            "team",
            "provider",
            "model",
            name=op.f("pk_usage_rollup_daily"),
        ),
    )
    op.create_table(
        "usage_rollup_org_daily",
        sa.Column("org_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        *_sums(),
        _org_fk("usage_rollup_org_daily"),
        sa.PrimaryKeyConstraint(
            "org_id", "day", "provider", "model", name=op.f("pk_usage_rollup_org_daily")
        ),
    )


def downgrade() -> None:
    op.drop_table("usage_rollup_org_daily")
    op.drop_table("usage_rollup_daily")
    op.drop_table("usage_event")  # on PostgreSQL its partitions go with it
    with op.batch_alter_table("usage_event_key", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_event_key_day")
    op.drop_table("usage_event_key")
