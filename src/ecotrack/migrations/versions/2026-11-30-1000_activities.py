"""activities: activity, activity_revision, activity_daily rollup, activity_recalc_run

Revision ID: 0101
Revises: 0003
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecotrack.core.db

revision: str = "0101"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at",
            ecotrack.core.db.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            ecotrack.core.db.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "activity_recalc_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("last_activity_id", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("finished_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_recalc_run")),
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("amount_normalised", sa.Float(), nullable=False),
        sa.Column("unit_normalised", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=True),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("co2e_kg", sa.Float(), nullable=False),
        sa.Column("co2e_low_kg", sa.Float(), nullable=False),
        sa.Column("co2e_high_kg", sa.Float(), nullable=False),
        sa.Column("gases", sa.JSON(), nullable=False),
        sa.Column("factor_id", sa.String(length=200), nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("edition", sa.String(length=64), nullable=False),
        sa.Column("methodology", sa.String(length=64), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.Column("previous_co2e_kg", sa.Float(), nullable=True),
        sa.Column("previous_factor_id", sa.String(length=200), nullable=True),
        sa.Column("previous_edition", sa.String(length=64), nullable=True),
        sa.Column("calculated_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_activity_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index("ix_activity_user_id_activity", ["user_id", "activity"], unique=False)
        batch_op.create_index(
            "ix_activity_user_id_occurred_on", ["user_id", "occurred_on"], unique=False
        )

    op.create_table(
        "activity_daily",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("co2e_kg", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("min_kg", sa.Float(), nullable=False),
        sa.Column("max_kg", sa.Float(), nullable=False),
        sa.Column(
            "first_calculated_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_calculated_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_activity_daily_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "day", "category", name=op.f("pk_activity_daily")),
    )
    op.create_table(
        "activity_revision",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("co2e_kg", sa.Float(), nullable=False),
        sa.Column("factor_id", sa.String(length=200), nullable=False),
        sa.Column("edition", sa.String(length=64), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("replaced_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_activity_revision_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_activity_revision_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_revision")),
    )
    with op.batch_alter_table("activity_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_revision_activity_id"), ["activity_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_activity_revision_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("activity_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_revision_user_id"))
        batch_op.drop_index(batch_op.f("ix_activity_revision_activity_id"))
    op.drop_table("activity_revision")
    op.drop_table("activity_daily")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_user_id_occurred_on")
        batch_op.drop_index("ix_activity_user_id_activity")
    op.drop_table("activity")
    op.drop_table("activity_recalc_run")
