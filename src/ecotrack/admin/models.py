"""Instance configuration: feature flags and maintenance mode (one row)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecotrack.core.db import Base, TimestampMixin

CONFIG_ID = 1


class SystemConfig(TimestampMixin, Base):
    __tablename__ = "system_config"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    feature_flags: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    maintenance_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    maintenance_message: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    maintenance_retry_after_s: Mapped[int] = mapped_column(Integer, nullable=False, default=300)
    updated_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
