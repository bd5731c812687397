"""Pydantic models of the usage API and the plain result types other domains use.

`IngestEvent` is one event as sent to `POST /v1/ingest`; `IngestResult` the answer.
`UsageTotals` (a frozen dataclass) is what `usage_service.totals` returns to other domains;
`UsageGroup` one row of a summary / timeseries / top answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, NotRequired

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from typing_extensions import TypedDict

MAX_METADATA_BYTES = 4096
MAX_TOKENS = 2**53

Text64 = Annotated[str, Field(min_length=1, max_length=64)]
Text128 = Annotated[str, Field(min_length=1, max_length=128)]


_RFC3339_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]")


def _rfc3339_text(value: Any) -> Any:
    """`ts` is an RFC 3339 string: pydantic would also read unix times (numbers or digit
    strings) as dates, which the API does not promise and a client sends by mistake."""
    if not isinstance(value, str) or not _RFC3339_START.match(value):
        raise ValueError("ts must be an RFC 3339 date-time string, e.g. 2026-11-30T12:00:00Z")
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("ts needs a UTC offset (RFC 3339), e.g. 2026-11-30T12:00:00Z")
    try:
        value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ValueError("ts is out of range once converted to UTC") from None
    return value


def _small(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return value
    try:
        size = len(orjson.dumps(value))
    except orjson.JSONEncodeError:  # nested deeper than orjson writes (254 levels)
        raise ValueError("metadata is nested too deeply") from None
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"metadata is larger than {MAX_METADATA_BYTES} bytes as JSON")
    return value


# A TypedDict rather than a model: a batch of 1,000 validates about three times faster (no model
# instances, no per-field Python validators) and comes out as the dicts ingest works with.
class IngestEvent(TypedDict):
    """One LLM call. `id` is the idempotency key: the same id again is a duplicate."""

    __pydantic_config__ = ConfigDict(extra="forbid", str_strip_whitespace=True)  # type: ignore[misc]

    id: Annotated[str, Field(min_length=1, max_length=128, description="Client-chosen id")]
    ts: Annotated[
        datetime,
        BeforeValidator(_rfc3339_text),
        AfterValidator(_aware),
        Field(description="When the call happened (RFC 3339 with offset)"),
    ]
    provider: Text64
    model: Text128
    tokens_in: Annotated[int, Field(ge=0, le=MAX_TOKENS, strict=True)]
    tokens_out: Annotated[int, Field(ge=0, le=MAX_TOKENS, strict=True)]
    zone: NotRequired[
        Annotated[str | None, Field(max_length=8, description="ISO 3166 alpha-2/3, WOR, EEE")]
    ]
    region: NotRequired[
        Annotated[str | None, Field(max_length=64, description="Cloud region, e.g. us-east-1")]
    ]
    latency_ms: NotRequired[Annotated[float | None, Field(gt=0, le=86_400_000, strict=True)]]
    user: NotRequired[
        Annotated[str | None, Field(max_length=256, description="External id or email")]
    ]
    team: NotRequired[Annotated[str | None, Field(max_length=128)]]
    app: NotRequired[Annotated[str | None, Field(max_length=128)]]
    metadata: NotRequired[
        Annotated[
            # Keys kept as sent (the model's whitespace stripping would merge " a" into "a").
            dict[Annotated[str, StringConstraints(strip_whitespace=False)], Any] | None,
            AfterValidator(_small),
            Field(description="JSON object, at most 4 KiB"),
        ]
    ]


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
        return UsageTotals(*[a + b for a, b in zip(self.values(), other.values(), strict=True)])

    def values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in _TOTALS_FIELDS])

    @classmethod
    def from_row(cls, row: Any) -> UsageTotals:
        v = [x or 0 for x in row[: len(_TOTALS_FIELDS)]]
        return cls(int(v[0]), int(v[1]), int(v[2]), int(v[3]), *[float(x) for x in v[4:]])

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _TOTALS_FIELDS}


_TOTALS_FIELDS = tuple(f.name for f in fields(UsageTotals))


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
