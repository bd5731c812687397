from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecotrack.core.db import Base, TimestampMixin


class ProbeRun(TimestampMixin, Base):
    """How many times the `system.probe` job ran for a token: proves jobs run exactly once."""

    __tablename__ = "system_probe"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    runs: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ran_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
