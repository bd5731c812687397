"""The audit log: `record()` appends a hash-chained record; `verify()` re-derives the chain.

Each record's `hash` is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of its
fields and the previous record's hash. Appends lock the chain head, so concurrent writers queue and
the chain stays linear on PostgreSQL and SQLite. Records are never rewritten: erasing a user keeps
their records (they hold ids, never emails or names), and new records about them use a pseudonym.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.audit import repository
from ecotrack.audit.models import GENESIS_HASH, AuditRecord
from ecotrack.audit.schemas import ChainVerification
from ecotrack.core.db import utcnow
from ecotrack.core.events import subscribe

MAX_DETAILS_BYTES = 16_384


def _json_safe(details: dict[str, Any] | None) -> dict[str, Any]:
    """What is stored is exactly what is hashed: round-trip the details through JSON once."""
    data = json.loads(json.dumps(details or {}, default=str, ensure_ascii=False))
    if len(json.dumps(data)) > MAX_DETAILS_BYTES:
        data = {"truncated": True}
    return data


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def record_hash(record: AuditRecord) -> str:
    """SHA-256 of the record's canonical JSON, which includes `prev_hash`."""
    canonical = {
        "id": record.id,
        "created_at": _timestamp(record.created_at),
        "actor_id": record.actor_id,
        "org_id": record.org_id,
        "action": record.action,
        "resource_type": record.resource_type,
        "resource_id": record.resource_id,
        "ip": record.ip,
        "details": record.details,
        "prev_hash": record.prev_hash,
    }
    payload = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AuditService:
    def record(
        self,
        session: Session,
        *,
        actor_id: int | None,
        org_id: int | None = None,
        action: str,
        resource_type: str,
        resource_id: str | int | None = None,
        ip: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditRecord:
        """Append one record to the chain (in the caller's unit of work).

        Never put credentials, tokens, emails or names in `details`: the log outlives erasure.
        """
        head = repository.lock_head(session)
        # Microsecond precision is what both databases keep, so the hash survives a round trip.
        now = utcnow()
        record = AuditRecord(
            id=head.last_id + 1,
            created_at=now,
            actor_id=actor_id,
            org_id=org_id,
            action=action,
            resource_type=resource_type,
            resource_id=None if resource_id is None else str(resource_id),
            ip=ip,
            details=_json_safe(details),
            prev_hash=head.last_hash,
        )
        record.hash = record_hash(record)
        repository.add(session, record)
        head.last_id = record.id
        head.last_hash = record.hash
        session.flush()
        return record

    def list(
        self,
        session: Session,
        *,
        org_id: int | None = None,
        actor_id: int | None = None,
        action: str | None = None,
        resource_type: str | None = None,
        resource_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[AuditRecord], int]:
        """Records matching every given filter, newest first, and how many match in total.

        `org_id=None` means no organisation filter (platform admins); an organisation's own log
        passes its id. `action` ending in "." matches the whole family (`auth.`).
        """
        return repository.list_records(
            session,
            org_id=org_id,
            actor_id=actor_id,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )

    def verify(self, session: Session) -> ChainVerification:
        """Recompute every hash in order; name the first record that does not match."""
        expected_prev = GENESIS_HASH
        expected_id = 1
        checked = 0
        for record in repository.iter_chain(session):
            checked += 1
            if record.id != expected_id:
                return ChainVerification(
                    ok=False,
                    checked=checked,
                    broken_id=expected_id,
                    reason=f"record {expected_id} is missing (found {record.id} next)",
                )
            if record.prev_hash != expected_prev:
                if expected_id > 1 and record_hash(record) == record.hash:
                    # This record is intact, so the previous one was rewritten and re-hashed.
                    return ChainVerification(
                        ok=False,
                        checked=checked,
                        broken_id=expected_id - 1,
                        reason=(
                            f"record {expected_id - 1}'s hash is not the one record "
                            f"{expected_id} links to (rewritten and re-hashed?)"
                        ),
                    )
                return ChainVerification(
                    ok=False,
                    checked=checked,
                    broken_id=record.id,
                    reason="prev_hash does not match the previous record's hash",
                )
            if record_hash(record) != record.hash:
                return ChainVerification(
                    ok=False,
                    checked=checked,
                    broken_id=record.id,
                    reason="hash does not match the record's content",
                )
            expected_prev = record.hash
            expected_id += 1
        last = expected_id - 1
        head = repository.get_head(session)
        if head is not None and head.last_id != last:
            return ChainVerification(
                ok=False,
                checked=checked,
                broken_id=min(head.last_id, last) + 1,
                reason=(
                    f"the chain head says record {head.last_id} is last, the log ends at {last} "
                    + (
                        "(records deleted from the end?)"
                        if head.last_id > last
                        else "(records added outside the application?)"
                    )
                ),
            )
        if head is not None and head.last_hash != expected_prev:
            return ChainVerification(
                ok=False,
                checked=checked,
                broken_id=last,
                reason=f"record {last}'s hash is not the one the chain head holds "
                "(rewritten and re-hashed?)",
            )
        return ChainVerification(ok=True, checked=checked)

    def export_for_user(self, session: Session, *, user_id: int) -> builtins.list[dict[str, Any]]:
        """Records the user made and records about their account (for their data export), in
        chain order."""
        return [
            {
                "id": r.id,
                "created_at": _timestamp(r.created_at),
                "actor_id": r.actor_id,
                "action": r.action,
                "resource_type": r.resource_type,
                "resource_id": r.resource_id,
                "org_id": r.org_id,
                "ip": r.ip,
                "details": r.details,
            }
            for r in repository.records_about_user(session, user_id)
        ]


audit_service = AuditService()


@subscribe("privacy.export_requested")
def _export(session: Session, *, user_id: int, add: Callable[[str, Any], None]) -> None:
    add("audit/records.json", audit_service.export_for_user(session, user_id=user_id))
