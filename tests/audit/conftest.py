"""Audit test helpers: records written through the real service, tampering done with plain SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from ecotrack.audit.models import AuditRecord
from ecotrack.audit.service import audit_service

# Varied on purpose: unicode, nesting, floats, nulls and lists must all hash the same after the
# round trip through either database.
SAMPLE_DETAILS: list[dict[str, Any]] = [
    {"role": "user", "is_verified": True},
    {"city": "Zürich ✓", "nested": {"b": [1, 2.5, None], "a": "x"}},
    {},
    {"ratio": 0.1, "big": 2**40, "neg": -3},
    {"from": "member", "to": "admin", "user_id": 7},
    {"text": 'quote " and \\ backslash'},
]


def write_records(session: Session, count: int = len(SAMPLE_DETAILS)) -> list[AuditRecord]:
    """`count` records through `audit_service.record` (actors 10.., org 1 for even ids)."""
    out = []
    for i in range(count):
        out.append(
            audit_service.record(
                session,
                actor_id=10 + i,
                org_id=1 if i % 2 == 0 else None,
                action=f"test.action_{i}",
                resource_type="widget",
                resource_id=i,
                ip="192.0.2.1" if i % 3 else None,
                details=SAMPLE_DETAILS[i % len(SAMPLE_DETAILS)],
            )
        )
    return out


def execute_sql(bind: Session | Connection, sql: str, **params: Any) -> int:
    """Run one raw SQL statement (as an attacker with database access would) -> rowcount."""
    result = bind.execute(text(sql), params)
    return int(result.rowcount)  # type: ignore[attr-defined]
