"""gamification: leaderboard board index in page order (score DESC, user_id)

The first board index was all ascending, so `ORDER BY score DESC, user_id` read it backwards and
then re-sorted every tie group (PostgreSQL: incremental sort over the whole prefix; SQLite: a temp
B-tree). With `score DESC` in the index a page at offset m is an index-only read of m + limit
entries.

Revision ID: 0108
Revises: 0105
Create Date: 2026-11-30 12:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0108"
down_revision: str | Sequence[str] | None = "0105"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PREFIX = ["period", "period_start", "metric", "visible"]


def upgrade() -> None:
    with op.batch_alter_table("leaderboard_score", schema=None) as batch_op:
        batch_op.drop_index("ix_leaderboard_score_board")
        batch_op.create_index(
            "ix_leaderboard_score_board_desc",
            [*_PREFIX, sa.text("score DESC"), "user_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("leaderboard_score", schema=None) as batch_op:
        batch_op.drop_index("ix_leaderboard_score_board_desc")
        batch_op.create_index(
            "ix_leaderboard_score_board", [*_PREFIX, "score", "user_id"], unique=False
        )
