"""AI-usage alerts of an organisation, their firings, and the organisation's in-app notifications.

A firing is unique per alert and window start: whatever evaluates the alert (after an ingest, on
the schedule, on demand, in any number of processes), an alert fires at most once per window.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ecotrack.core.db import Base, TimestampMixin, UTCDateTime, utcnow

ORG_FK = "organisation.id"
USER_FK = "user.id"
METRICS_SQL = "'co2e_kg', 'energy_kwh', 'water_l', 'calls', 'tokens'"
SCOPES_SQL = "'organisation', 'team', 'user', 'provider', 'model'"
WINDOWS_SQL = "'day', 'week', 'month', 'rolling_24h'"


class Alert(TimestampMixin, Base):
    __tablename__ = "alert"
    __table_args__ = (
        CheckConstraint(f"metric IN ({METRICS_SQL})", name="metric"),
        CheckConstraint(f"scope IN ({SCOPES_SQL})", name="scope"),
        CheckConstraint(f"time_window IN ({WINDOWS_SQL})", name="time_window"),
        Index("ix_alert_org_id_enabled", "org_id", "enabled"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    metric: Mapped[str] = mapped_column(String(16), nullable=False)
    scope: Mapped[str] = mapped_column(String(16), nullable=False)
    scope_value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    time_window: Mapped[str] = mapped_column(String(16), nullable=False)
    threshold: Mapped[float] = mapped_column(Float, nullable=False)
    webhook_endpoint_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    email_user_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    in_app: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), nullable=True
    )


class AlertFiring(Base):
    __tablename__ = "alert_firing"
    __table_args__ = (UniqueConstraint("alert_id", "window_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey(ORG_FK, ondelete="CASCADE"), nullable=False, index=True
    )
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alert.id", ondelete="CASCADE"), nullable=False
    )
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    threshold: Mapped[float] = mapped_column(Float, nullable=False)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class OrgNotification(Base):
    """An in-app message to an organisation (shown to its members); read by one member for all."""

    __tablename__ = "org_notification"
    __table_args__ = (
        Index("ix_org_notification_org_id_id", "org_id", "id"),
        Index("ix_org_notification_org_id_read_at", "org_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(String(2000), nullable=False, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert.id", ondelete="SET NULL"), nullable=True
    )
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    read_by_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
