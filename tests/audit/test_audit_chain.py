"""The hash chain itself: how records link, and which record `verify()` names for each kind of
tampering done with SQL inside the test's transaction (both databases)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecotrack.audit.models import GENESIS_HASH, AuditChainHead, AuditRecord
from ecotrack.audit.service import audit_service, record_hash
from tests.audit.conftest import SAMPLE_DETAILS, execute_sql, write_records


def _count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditRecord)).scalar_one())


def test_records_form_a_linear_chain_and_survive_the_round_trip(session: Session) -> None:
    before = _count(session)
    written = write_records(session)
    session.commit()
    session.expire_all()
    rows = session.execute(select(AuditRecord).order_by(AuditRecord.id)).scalars().all()
    assert [r.id for r in rows] == list(range(1, before + len(written) + 1))
    previous = GENESIS_HASH
    for row in rows:
        assert row.prev_hash == previous
        assert row.hash == record_hash(row)  # what was re-read hashes as what was written
        assert len(row.hash) == 64
        previous = row.hash
    mine = rows[before:]
    assert [r.details for r in mine] == SAMPLE_DETAILS
    assert [r.resource_id for r in mine] == [str(i) for i in range(6)]
    head = session.get(AuditChainHead, 1)
    assert head is not None
    assert (head.last_id, head.last_hash) == (rows[-1].id, rows[-1].hash)
    assert audit_service.verify(session).model_dump() == {
        "ok": True,
        "checked": len(rows),
        "broken_id": None,
        "reason": None,
    }


def test_details_are_stored_exactly_as_hashed(session: Session) -> None:
    from datetime import UTC, datetime

    record = audit_service.record(
        session,
        actor_id=None,
        action="test.odd",
        resource_type="widget",
        details={"when": datetime(2026, 1, 2, tzinfo=UTC), "tuple": (1, 2)},
    )
    assert record.details == {"when": "2026-01-02 00:00:00+00:00", "tuple": [1, 2]}
    huge = audit_service.record(
        session, actor_id=None, action="test.huge", resource_type="w", details={"x": "y" * 20_000}
    )
    assert huge.details == {"truncated": True}
    session.commit()
    assert audit_service.verify(session).ok is True


def _rehash(session: Session, record_id: int, **changes: Any) -> str:
    """The hash an attacker would compute for record `record_id` after `changes`."""
    record = session.get(AuditRecord, record_id)
    assert record is not None
    for key, value in changes.items():
        setattr(record, key, value)
    digest = record_hash(record)
    session.expire(record)
    return digest


Tamper = Callable[[Session], None]


def _edit_action(s: Session) -> None:
    execute_sql(s, "UPDATE audit_record SET action = 'auth.login_succeeded' WHERE id = 3")


def _edit_created_at(s: Session) -> None:
    execute_sql(
        s, "UPDATE audit_record SET created_at = :t WHERE id = 2", t="2020-01-01 00:00:00+00:00"
    )


def _edit_ip(s: Session) -> None:
    execute_sql(s, "UPDATE audit_record SET ip = '198.51.100.9' WHERE id = 1")


def _edit_org(s: Session) -> None:
    execute_sql(s, "UPDATE audit_record SET org_id = NULL WHERE id = 5")


def _edit_prev_hash(s: Session) -> None:
    execute_sql(s, "UPDATE audit_record SET prev_hash = :h WHERE id = 4", h="f" * 64)


def _rehash_middle(s: Session) -> None:
    digest = _rehash(s, 3, actor_id=999)
    execute_sql(s, "UPDATE audit_record SET actor_id = 999, hash = :h WHERE id = 3", h=digest)


def _rehash_last(s: Session) -> None:
    digest = _rehash(s, 6, action="test.nothing_to_see")
    sql = "UPDATE audit_record SET action = 'test.nothing_to_see', hash = :h WHERE id = 6"
    execute_sql(s, sql, h=digest)


def _delete_middle(s: Session) -> None:
    execute_sql(s, "DELETE FROM audit_record WHERE id = 3")


def _delete_tail(s: Session) -> None:
    execute_sql(s, "DELETE FROM audit_record WHERE id >= 5")


def _delete_all(s: Session) -> None:
    execute_sql(s, "DELETE FROM audit_record")


def _append_forged(s: Session) -> None:
    last = s.get(AuditRecord, 6)
    assert last is not None
    forged = AuditRecord(
        id=7,
        created_at=last.created_at,
        actor_id=1,
        org_id=None,
        action="test.forged",
        resource_type="widget",
        resource_id=None,
        ip=None,
        details={},
        prev_hash=last.hash,
    )
    forged.hash = record_hash(forged)
    s.add(forged)
    s.flush()


@pytest.mark.parametrize(
    ("tamper", "broken_id", "reason"),
    [
        (_edit_action, 3, "hash does not match the record's content"),
        (_edit_created_at, 2, "hash does not match the record's content"),
        (_edit_ip, 1, "hash does not match the record's content"),
        (_edit_org, 5, "hash does not match the record's content"),
        (_edit_prev_hash, 4, "prev_hash does not match the previous record's hash"),
        (_rehash_middle, 3, "record 3's hash is not the one record 4 links to"),
        (_rehash_last, 6, "record 6's hash is not the one the chain head holds"),
        (_delete_middle, 3, "record 3 is missing (found 4 next)"),
        (_delete_tail, 5, "the chain head says record 6 is last, the log ends at 4"),
        (_delete_all, 1, "the chain head says record 6 is last, the log ends at 0"),
        (_append_forged, 7, "the chain head says record 6 is last, the log ends at 7"),
    ],
)
def test_verify_names_the_first_broken_record(
    session: Session, tamper: Tamper, broken_id: int, reason: str
) -> None:
    assert _count(session) == 0  # the chain of this test starts empty
    write_records(session)
    session.commit()
    assert audit_service.verify(session).ok is True
    tamper(session)
    session.expire_all()
    result = audit_service.verify(session)
    assert (result.ok, result.broken_id) == (False, broken_id)
    assert result.reason is not None
    assert result.reason.startswith(reason)


def test_an_empty_log_verifies(session: Session) -> None:
    assert audit_service.verify(session).model_dump() == {
        "ok": True,
        "checked": 0,
        "broken_id": None,
        "reason": None,
    }
