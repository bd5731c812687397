"""Footprint goals of a user: an annual target, a reduction against a baseline, or a category."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecotrack.core.db import Base, TimestampMixin, UTCDateTime


class Goal(TimestampMixin, Base):
    __tablename__ = "goal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # annual | reduction | category
    category: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # annual and category goals; reduction goals derive theirs from the baseline
    target_kg_per_year: Mapped[float | None] = mapped_column(Float, nullable=True)
    reduction_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    baseline_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    baseline_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    start_on: Mapped[date] = mapped_column(Date, nullable=False)
    target_date: Mapped[date] = mapped_column(Date, nullable=False)
    is_achieved: Mapped[bool] = mapped_column(default=False, nullable=False)
    achieved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
