"""Raw enriched AI-usage events, their idempotency keys and the daily rollups.

* `usage_event` holds one row per accepted call, with the engine's figures (min/max) and what
  produced them (methodology, grid factor id, model source). On PostgreSQL it is partitioned by
  month on `ts` (`PARTITION BY RANGE (ts)`; partitions are created by the repository, never by
  the migration), so its primary key includes `ts`.
* `usage_event_key` is the idempotency record: primary key `(org_id, event_id)`, not partitioned,
  so an event id is unique per organisation across every partition (a unique index on a
  partitioned table must contain the partition key, which would let a retry with another `ts`
  through). The same table on SQLite keeps one code path.
* `usage_rollup_daily`: sums per organisation × day × user × team × provider × model;
  `usage_rollup_org_daily`: the same per organisation × day × provider × model (a tenth of the
  rows; dashboards without a user/team dimension read it). Both are upserted in the ingest
  transaction and always equal the sums of the raw rows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecotrack.core.db import Base, UTCDateTime

# `org_id` is a loose foreign key to `organisation.id` (no constraint: checking it cost every
# inserted event a lookup). Deleting an organisation deletes its usage rows through the
# `orgs.deleting` event (usage service), and ingest checks the organisation under its lock.

# The figures every rollup row carries, in this order (mid = sum of per-event midpoints).
SUM_COLUMNS = (
    "calls",
    "calls_unknown",
    "tokens_in",
    "tokens_out",
    "energy_kwh",
    "energy_kwh_min",
    "energy_kwh_max",
    "water_l",
    "water_l_min",
    "water_l_max",
    "co2e_kg",
    "co2e_kg_min",
    "co2e_kg_max",
)


class UsageEventKey(Base):
    """One accepted event id of an organisation: the dedup record (`ON CONFLICT DO NOTHING`)."""

    __tablename__ = "usage_event_key"
    # BRIN on PostgreSQL: read only by retention, nearly free to keep up (migration 0207).
    __table_args__ = (Index("ix_usage_event_key_day", "day", postgresql_using="brin"),)

    org_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)


class UsageEvent(Base):
    """One LLM call as sent, and its enrichment. Partitioned by month on PostgreSQL."""

    __tablename__ = "usage_event"
    __table_args__ = ({"postgresql_partition_by": "RANGE (ts)"},)

    org_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ts: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    provider: Mapped[str] = mapped_column(String(64), nullable=False)
    model: Mapped[str] = mapped_column(String(128), nullable=False)
    tokens_in: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tokens_out: Mapped[int] = mapped_column(BigInteger, nullable=False)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    zone: Mapped[str | None] = mapped_column(String(8), nullable=True)  # as sent
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)  # as sent
    user_ref: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    team: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    app: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Enrichment: `ok`, or why the impact is unknown (`model-not-registered`, ...).
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    methodology: Mapped[str | None] = mapped_column(String(32), nullable=True)
    zone_used: Mapped[str | None] = mapped_column(String(8), nullable=True)
    grid_factor_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    model_source: Mapped[str | None] = mapped_column(String(80), nullable=True)
    energy_kwh_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    energy_kwh_max: Mapped[float | None] = mapped_column(Float, nullable=True)
    water_l_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    water_l_max: Mapped[float | None] = mapped_column(Float, nullable=True)
    co2e_kg_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    co2e_kg_max: Mapped[float | None] = mapped_column(Float, nullable=True)
    enriched_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class _RollupSums:
    calls: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    calls_unknown: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    tokens_in: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    tokens_out: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    energy_kwh: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    energy_kwh_min: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    energy_kwh_max: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    water_l: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    water_l_min: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    water_l_max: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    co2e_kg: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    co2e_kg_min: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    co2e_kg_max: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)


class UsageRollupDaily(_RollupSums, Base):
    """Sums per organisation × day × user × team × provider × model ('' = not given)."""

    __tablename__ = "usage_rollup_daily"

    org_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_ref: Mapped[str] = mapped_column(String(256), primary_key=True)
    team: Mapped[str] = mapped_column(String(128), primary_key=True)
    provider: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(128), primary_key=True)


class UsageRollupOrgDaily(_RollupSums, Base):
    """Sums per organisation × day × provider × model (no user/team: the dashboards' table)."""

    __tablename__ = "usage_rollup_org_daily"

    org_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    provider: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
