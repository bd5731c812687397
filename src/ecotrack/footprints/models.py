"""Questionnaire results. Anonymous results keep no personal data: no IP (at most an 8-hex prefix
of a salted hash that changes every day) and a user agent truncated to 32 characters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecotrack.core.db import Base, TimestampMixin


class FootprintResult(TimestampMixin, Base):
    __tablename__ = "footprint_result"
    __table_args__ = (Index("ix_footprint_result_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), nullable=True
    )
    model: Mapped[str] = mapped_column(String(64), nullable=False)
    model_version: Mapped[str] = mapped_column(String(16), nullable=False)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    total_kg: Mapped[float] = mapped_column(Float, nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    categories: Mapped[dict[str, float]] = mapped_column(JSON, nullable=False, default=dict)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # Anonymous submissions only: first 8 hex digits of HMAC-SHA256(secret, day + ip), and the
    # first 32 characters of the user agent. Neither identifies a person.
    client_hash: Mapped[str | None] = mapped_column(String(8), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(32), nullable=True)
