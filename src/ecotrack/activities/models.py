"""Logged activities, their revision history, the per-user daily rollup and recalculation runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecotrack.core.db import Base, TimestampMixin, UTCDateTime


class Activity(TimestampMixin, Base):
    """One thing a user did, with the engine's result, its factor and the explanation."""

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_user_id_occurred_on", "user_id", "occurred_on"),
        Index("ix_activity_user_id_activity", "user_id", "activity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    activity: Mapped[str] = mapped_column(String(64), nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[float] = mapped_column(Float, nullable=False)
    unit: Mapped[str] = mapped_column(String(64), nullable=False)
    # The amount in the engine's normalised unit (km, kWh ...), for usage analytics.
    amount_normalised: Mapped[float] = mapped_column(Float, nullable=False)
    unit_normalised: Mapped[str] = mapped_column(String(64), nullable=False)
    # The value of the activity's main option (car fuel, diet, waste type ...), defaults applied.
    variant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The region the estimate used: the one given, else the user's profile country.
    region: Mapped[str | None] = mapped_column(String(32), nullable=True)
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str | None] = mapped_column(String(32), nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    co2e_kg: Mapped[float] = mapped_column(Float, nullable=False)
    co2e_low_kg: Mapped[float] = mapped_column(Float, nullable=False)
    co2e_high_kg: Mapped[float] = mapped_column(Float, nullable=False)
    gases: Mapped[dict[str, float]] = mapped_column(JSON, nullable=False, default=dict)
    factor_id: Mapped[str] = mapped_column(String(200), nullable=False)
    dataset: Mapped[str] = mapped_column(String(64), nullable=False)
    edition: Mapped[str] = mapped_column(String(64), nullable=False)
    methodology: Mapped[str] = mapped_column(String(64), nullable=False)
    # The engine's steps ([{text, value, unit}]) and the rest of its answer needed to cite it:
    # {"factor": {...}, "components": [...], "warnings": [...], "range_basis": "..."}.
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    previous_co2e_kg: Mapped[float | None] = mapped_column(Float, nullable=True)
    previous_factor_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    previous_edition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    calculated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    # --- read views (the `Activity` schema reads these) -------------------------------------
    @property
    def range(self) -> dict[str, Any]:
        return {
            "low": self.co2e_low_kg,
            "high": self.co2e_high_kg,
            "basis": self.provenance.get("range_basis"),
        }

    @property
    def factor(self) -> dict[str, Any]:
        return dict(self.provenance.get("factor") or {})

    @property
    def warnings(self) -> list[str]:
        return list(self.provenance.get("warnings") or [])

    @property
    def previous(self) -> dict[str, Any] | None:
        if self.previous_co2e_kg is None or self.previous_factor_id is None:
            return None
        return {
            "co2e_kg": self.previous_co2e_kg,
            "factor_id": self.previous_factor_id,
            "edition": self.previous_edition,
        }


class ActivityRevision(Base):
    """A value an activity held before an edit or a recalculation replaced it."""

    __tablename__ = "activity_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reason: Mapped[str] = mapped_column(String(16), nullable=False)  # edit | recalc
    amount: Mapped[float] = mapped_column(Float, nullable=False)
    unit: Mapped[str] = mapped_column(String(64), nullable=False)
    co2e_kg: Mapped[float] = mapped_column(Float, nullable=False)
    factor_id: Mapped[str] = mapped_column(String(200), nullable=False)
    edition: Mapped[str] = mapped_column(String(64), nullable=False)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class ActivityDaily(Base):
    """Per-user daily rollup (user × day × category), rewritten from the activity rows in the
    same transaction as every change; summaries, history, stats and goal progress read it."""

    __tablename__ = "activity_daily"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    co2e_kg: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    min_kg: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    max_kg: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    first_calculated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_calculated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class RecalcRun(TimestampMixin, Base):
    """One `ecotrack recalc` pass over every activity; progress and the resume cursor live here."""

    __tablename__ = "activity_recalc_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # pending|running|done|failed
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    processed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    changed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_activity_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
