"""The audit log: append-only records chained by SHA-256 (each hash covers the previous one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecotrack.core.db import Base, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditRecord(Base):
    """One audited fact. Never updated or deleted by the application (`ecotrack audit verify`
    names the first record whose hash no longer matches its content)."""

    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_record_org_id_id", "org_id", "id"),
        Index("ix_audit_record_actor_id_id", "actor_id", "id"),
        Index("ix_audit_record_action", "action"),
    )

    # Assigned from the chain head under its lock, so ids are gap-free and in chain order.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # no FK: outlives users
    org_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(100), nullable=False)
    resource_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)


class AuditChainHead(Base):
    """The single row every append locks: it serialises appends so the chain stays linear."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False, default=GENESIS_HASH)
