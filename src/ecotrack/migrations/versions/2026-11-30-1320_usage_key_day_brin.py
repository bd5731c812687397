"""usage: the idempotency keys' day index is a BRIN index on PostgreSQL

`usage_event_key.day` is only read by the daily retention job (delete the keys of days gone).
As a B-tree it cost every ingested event one more index insertion (≈ 0.4 ms of database time
per 1,000-event batch); a BRIN index stores one summary per block range, costs next to nothing
to keep up while keys arrive roughly in time order, and still lets retention skip the ranges
it does not need. SQLite keeps its B-tree.

Revision ID: 0207
Revises: 0205
Create Date: 2026-11-30 13:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0207"
down_revision: str | Sequence[str] | None = "0205"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_usage_event_key_day", table_name="usage_event_key")
    op.create_index("ix_usage_event_key_day", "usage_event_key", ["day"], postgresql_using="brin")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_usage_event_key_day", table_name="usage_event_key")
    op.create_index("ix_usage_event_key_day", "usage_event_key", ["day"])
