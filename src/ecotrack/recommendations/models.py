"""One row per user and action: its state (open, implemented, dismissed) and the last saving the
engine computed for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecotrack.core.db import Base, TimestampMixin, UTCDateTime


class Recommendation(TimestampMixin, Base):
    __tablename__ = "recommendation"
    __table_args__ = (UniqueConstraint("user_id", "action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    # The last engine computation: kg CO2e a year, its basis and explanation (terms, factor ids).
    savings_kg_per_year: Mapped[float] = mapped_column(Float, nullable=False)
    basis: Mapped[str] = mapped_column(String(20), nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    implemented_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    savings_claimed_kg_per_year: Mapped[float | None] = mapped_column(Float, nullable=True)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
