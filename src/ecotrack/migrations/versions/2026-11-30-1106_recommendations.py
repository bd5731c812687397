"""recommendations: recommendation (per-user action state and last engine saving)

Revision ID: 0106
Revises: 0003
Create Date: 2026-11-30 11:06:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecotrack.core.db

revision: str = "0106"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recommendation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("savings_kg_per_year", sa.Float(), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("implemented_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("savings_claimed_kg_per_year", sa.Float(), nullable=True),
        sa.Column("dismissed_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_recommendation_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation")),
        sa.UniqueConstraint("user_id", "action", name=op.f("uq_recommendation_user_id_action")),
    )


def downgrade() -> None:
    op.drop_table("recommendation")
