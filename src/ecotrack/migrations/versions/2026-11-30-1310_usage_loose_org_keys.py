"""usage: loose organisation keys on the event, key and rollup tables

The four high-volume usage tables referenced `organisation.id` with ON DELETE CASCADE. Every
inserted row paid a referential-integrity check (one lookup of the organisation per event and
per key: about 7 ms of a 1,000-event batch's 22 ms of PostgreSQL time). They now hold `org_id`
without a foreign key, a "loose foreign key": deleting an organisation publishes
`orgs.deleting`, on which the usage domain deletes the organisation's rows in the same
transaction, and ingest checks the organisation still exists under its organisation lock.

Revision ID: 0205
Revises: 0201
Create Date: 2026-11-30 13:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0205"
down_revision: str | Sequence[str] | None = "0201"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("usage_event_key", "usage_event", "usage_rollup_daily", "usage_rollup_org_daily")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"fk_{table}_org_id_organisation"), type_="foreignkey")


def downgrade() -> None:
    for table in TABLES:
        # Rows of organisations deleted meanwhile would break the constraint: drop them first.
        op.execute(
            f"DELETE FROM {table} WHERE org_id NOT IN (SELECT id FROM organisation)"  # noqa: S608
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                op.f(f"fk_{table}_org_id_organisation"),
                "organisation",
                ["org_id"],
                ["id"],
                ondelete="CASCADE",
            )
