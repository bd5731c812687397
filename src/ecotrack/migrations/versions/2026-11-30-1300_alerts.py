"""AI-usage alerts, their firings and organisation notifications

Revision ID: 0202
Revises: 0003
Create Date: 2026-11-30 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecotrack.core.db

revision: str = "0202"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_value", sa.String(length=200), nullable=True),
        sa.Column("time_window", sa.String(length=16), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("webhook_endpoint_ids", sa.JSON(), nullable=False),
        sa.Column("email_user_ids", sa.JSON(), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            ecotrack.core.db.UTCDateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            ecotrack.core.db.UTCDateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "metric IN ('co2e_kg', 'energy_kwh', 'water_l', 'calls', 'tokens')",
            name=op.f("ck_alert_metric"),
        ),
        sa.CheckConstraint(
            "scope IN ('organisation', 'team', 'user', 'provider', 'model')",
            name=op.f("ck_alert_scope"),
        ),
        sa.CheckConstraint(
            "time_window IN ('day', 'week', 'month', 'rolling_24h')",
            name=op.f("ck_alert_time_window"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_alert_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
            name=op.f("fk_alert_org_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index("ix_alert_org_id_enabled", ["org_id", "enabled"], unique=False)
    op.create_table(
        "alert_firing",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("window_start", ecotrack.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_end", ecotrack.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("fired_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert.id"],
            name=op.f("fk_alert_firing_alert_id_alert"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
            name=op.f("fk_alert_firing_org_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_firing")),
        sa.UniqueConstraint(
            "alert_id", "window_start", name=op.f("uq_alert_firing_alert_id_window_start")
        ),
    )
    with op.batch_alter_table("alert_firing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_firing_org_id"), ["org_id"], unique=False)
    op.create_table(
        "org_notification",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("read_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("read_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert.id"],
            name=op.f("fk_org_notification_alert_id_alert"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
            name=op.f("fk_org_notification_org_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["read_by_id"],
            ["user.id"],
            name=op.f("fk_org_notification_read_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_notification")),
    )
    with op.batch_alter_table("org_notification", schema=None) as batch_op:
        batch_op.create_index("ix_org_notification_org_id_id", ["org_id", "id"], unique=False)
        batch_op.create_index(
            "ix_org_notification_org_id_read_at", ["org_id", "read_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("org_notification", schema=None) as batch_op:
        batch_op.drop_index("ix_org_notification_org_id_read_at")
        batch_op.drop_index("ix_org_notification_org_id_id")

    op.drop_table("org_notification")
    with op.batch_alter_table("alert_firing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_firing_org_id"))

    op.drop_table("alert_firing")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_org_id_enabled")

    op.drop_table("alert")
