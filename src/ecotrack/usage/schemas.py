"""Pydantic models of the usage API and the plain result types other domains use.

`IngestEvent` is one event as sent to `POST /v1/ingest`; `IngestResult` the answer.
`UsageTotals` (a frozen dataclass) is what `usage_service.totals` returns to other domains;
`UsageGroup` one row of a summary / timeseries / top answer.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_METADATA_BYTES = 4096
MAX_TOKENS = 2**53

Text64 = Annotated[str, Field(min_length=1, max_length=64)]
Text128 = Annotated[str, Field(min_length=1, max_length=128)]


class IngestEvent(BaseModel):
    """One LLM call. `id` is the idempotency key: the same id again is a duplicate."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: Annotated[str, Field(min_length=1, max_length=128, description="Client-chosen id")]
    ts: Annotated[datetime, Field(description="When the call happened (RFC 3339 with offset)")]
    provider: Text64
    model: Text128
    tokens_in: Annotated[int, Field(ge=0, le=MAX_TOKENS, strict=True)]
    tokens_out: Annotated[int, Field(ge=0, le=MAX_TOKENS, strict=True)]
    zone: Annotated[str | None, Field(max_length=8, description="ISO 3166 alpha-2/3, WOR, EEE")] = (
        None
    )
    region: Annotated[
        str | None, Field(max_length=64, description="Cloud region, e.g. us-east-1")
    ] = None
    latency_ms: Annotated[float | None, Field(gt=0, le=86_400_000)] = None
    user: Annotated[str | None, Field(max_length=256, description="External id or email")] = None
    team: Annotated[str | None, Field(max_length=128)] = None
    app: Annotated[str | None, Field(max_length=128)] = None
    metadata: Annotated[dict[str, Any] | None, Field(description="JSON object, at most 4 KiB")] = (
        None
    )

    @field_validator("ts")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("ts needs a UTC offset (RFC 3339), e.g. 2026-11-30T12:00:00Z")
        return value

    @field_validator("metadata")
    @classmethod
    def _small(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(orjson.dumps(value)) > MAX_METADATA_BYTES:
            raise ValueError(f"metadata is larger than {MAX_METADATA_BYTES} bytes as JSON")
        return value


class IngestBatch(BaseModel):
    """The body of `POST /v1/ingest` (optionally gzip-encoded)."""

    model_config = ConfigDict(extra="forbid")

    events: Annotated[list[IngestEvent], Field(max_length=1000)]


class EventError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class RejectedEvent(BaseModel):
    index: int = Field(description="Position of the event in the batch")
    id: str | None = Field(description="The event's id, when it had a usable one")
    errors: list[EventError]


class IngestResult(BaseModel):
    accepted: int = Field(description="Events stored by this request")
    duplicates: int = Field(description="Events whose id was already stored (or repeated)")
    rejected: list[RejectedEvent]


# --- queries ----------------------------------------------------------------------------------


class GroupBy(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    PROVIDER = "provider"
    MODEL = "model"
    USER = "user"
    TEAM = "team"


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Dimension(StrEnum):
    PROVIDER = "provider"
    MODEL = "model"
    USER = "user"
    TEAM = "team"


class Metric(StrEnum):
    CO2E_KG = "co2e_kg"
    ENERGY_KWH = "energy_kwh"
    WATER_L = "water_l"
    CALLS = "calls"
    TOKENS = "tokens"


@dataclass(frozen=True, slots=True)
class UsageFilters:
    """Exact-match filters ('' matches events sent without that field)."""

    team: str | None = None
    user: str | None = None
    provider: str | None = None
    model: str | None = None

    @property
    def by_person(self) -> bool:
        return self.team is not None or self.user is not None


@dataclass(frozen=True, slots=True)
class UsageTotals:
    """Sums over a set of events. `*_min`/`*_max` sum the bounds; the plain figure sums the
    midpoints. `calls_unknown` counts calls whose model is not registered (no figures)."""

    calls: int = 0
    calls_unknown: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    energy_kwh: float = 0.0
    energy_kwh_min: float = 0.0
    energy_kwh_max: float = 0.0
    water_l: float = 0.0
    water_l_min: float = 0.0
    water_l_max: float = 0.0
    co2e_kg: float = 0.0
    co2e_kg_min: float = 0.0
    co2e_kg_max: float = 0.0

    def __add__(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(UsageTotals))
        )

    @classmethod
    def from_row(cls, row: Any) -> UsageTotals:
        values = [row[i] or 0 for i in range(len(fields(cls)))]
        return cls(*(int(v) for v in values[:4]), *(float(v) for v in values[4:]))

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(UsageTotals)}


class UsageFigures(BaseModel):
    calls: int
    calls_unknown: int = Field(description="Calls of unknown impact (model not registered)")
    tokens_in: int
    tokens_out: int
    energy_kwh: float
    energy_kwh_min: float
    energy_kwh_max: float
    water_l: float
    water_l_min: float
    water_l_max: float
    co2e_kg: float
    co2e_kg_min: float
    co2e_kg_max: float


class UsageGroup(UsageFigures):
    """Sums for one group: a day (`2026-11-30`), ISO week (`2026-W48`), month (`2026-11`),
    provider, model, user or team ('' = events sent without it)."""

    key: str
    start: date | None = Field(default=None, description="First day of a day/week/month group")


class UsageSummary(BaseModel):
    start: date
    end: date
    group_by: GroupBy
    totals: UsageFigures
    groups: list[UsageGroup]


class UsageTimeseries(BaseModel):
    start: date
    end: date
    interval: Interval
    points: list[UsageGroup] = Field(description="Every interval, empty ones included")


class UsageTop(BaseModel):
    start: date
    end: date
    by: Dimension
    metric: Metric
    items: list[UsageGroup]


class UsageEventOut(BaseModel):
    """A stored event with its enrichment."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    ts: datetime
    received_at: datetime
    provider: str
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: float | None
    zone: str | None
    region: str | None
    user: str | None
    team: str | None
    app: str | None
    metadata: dict[str, Any] | None
    status: str = Field(description="`ok`, or why the impact is unknown (model-not-registered)")
    methodology: str | None
    zone_used: str | None
    grid_factor_id: str | None
    model_source: str | None
    energy_kwh_min: float | None
    energy_kwh_max: float | None
    water_l_min: float | None
    water_l_max: float | None
    co2e_kg_min: float | None
    co2e_kg_max: float | None


class UsageEventPage(BaseModel):
    items: list[UsageEventOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page")
