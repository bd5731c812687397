"""gamification: points ledger, profiles, badges, leaderboard scores, challenges

Revision ID: 0105
Revises: 0003
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecotrack.core.db

revision: str = "0105"
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
        "gamification_profile",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("streak_days", sa.Integer(), nullable=False),
        sa.Column("best_streak", sa.Integer(), nullable=False),
        sa.Column("streak_last_day", sa.Date(), nullable=True),
        sa.Column("freezes", sa.Integer(), nullable=False),
        sa.Column("freezes_used", sa.Integer(), nullable=False),
        sa.Column("leaderboard_opt_in", sa.Boolean(), nullable=False),
        sa.Column("baseline_month_kg", sa.Float(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_gamification_profile_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_gamification_profile")),
    )
    op.create_table(
        "leaderboard_score",
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_leaderboard_score_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "period", "period_start", "metric", "user_id", name=op.f("pk_leaderboard_score")
        ),
    )
    with op.batch_alter_table("leaderboard_score", schema=None) as batch_op:
        batch_op.create_index("ix_leaderboard_score_user_id", ["user_id"], unique=False)
    # A page is an equality prefix then `score DESC, user_id`: one index range read backwards.
    with op.batch_alter_table("leaderboard_score", schema=None) as batch_op:
        batch_op.create_index(
            "ix_leaderboard_score_board",
            ["period", "period_start", "metric", "visible", "score", "user_id"],
            unique=False,
        )

    op.create_table(
        "point_award",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("reviewed_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('awarded', 'review', 'rejected')", name=op.f("ck_point_award_status")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user.id"],
            name=op.f("fk_point_award_reviewed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_point_award_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_award")),
        sa.UniqueConstraint(
            "user_id", "reason", "ref", name=op.f("uq_point_award_user_id_reason_ref")
        ),
    )
    with op.batch_alter_table("point_award", schema=None) as batch_op:
        batch_op.create_index("ix_point_award_status_id", ["status", "id"], unique=False)
        batch_op.create_index(
            "ix_point_award_user_id_reason_awarded_on",
            ["user_id", "reason", "awarded_on"],
            unique=False,
        )

    op.create_table(
        "user_badge",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("badge", sa.String(length=32), nullable=False),
        sa.Column("earned_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_user_badge_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_badge")),
        sa.UniqueConstraint("user_id", "badge", name=op.f("uq_user_badge_user_id_badge")),
    )
    op.create_table(
        "team_challenge",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("completed_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'failed', 'left')",
            name=op.f("ck_team_challenge_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_team_challenge_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
            name=op.f("fk_team_challenge_org_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_team_challenge_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_challenge")),
    )
    with op.batch_alter_table("team_challenge", schema=None) as batch_op:
        batch_op.create_index(
            "ix_team_challenge_org_id_team_id", ["org_id", "team_id"], unique=False
        )

    op.create_table(
        "challenge_participant",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("team_challenge_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("completed_at", ecotrack.core.db.UTCDateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'failed', 'left')",
            name=op.f("ck_challenge_participant_status"),
        ),
        sa.ForeignKeyConstraint(
            ["team_challenge_id"],
            ["team_challenge.id"],
            name=op.f("fk_challenge_participant_team_challenge_id_team_challenge"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_challenge_participant_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_participant")),
    )
    with op.batch_alter_table("challenge_participant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_challenge_participant_team_challenge_id"),
            ["team_challenge_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_challenge_participant_user_id_status", ["user_id", "status"], unique=False
        )


def downgrade() -> None:
    op.drop_table("challenge_participant")
    op.drop_table("team_challenge")
    op.drop_table("user_badge")
    op.drop_table("point_award")
    op.drop_table("leaderboard_score")
    op.drop_table("gamification_profile")
