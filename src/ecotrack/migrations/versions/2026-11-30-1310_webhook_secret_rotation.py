"""webhooks: the previous signing secret during a rotation

Revision ID: 0206
Revises: 0203
Create Date: 2026-11-30 13:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecotrack.core.db

revision: str = "0206"
down_revision: str | Sequence[str] | None = "0203"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_secret_enc", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "previous_secret_expires_at",
                ecotrack.core.db.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.drop_column("previous_secret_expires_at")
        batch_op.drop_column("previous_secret_enc")
