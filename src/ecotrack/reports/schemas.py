"""Pydantic models of the reports API."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ecotrack.usage.schemas import GroupBy


class ReportFormat(StrEnum):
    CSV = "csv"
    PDF = "pdf"


class ReportStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


class ReportCreate(BaseModel):
    """A report of the days `from`..`to` (UTC, inclusive)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: Annotated[date, Field(alias="from", description="First day (UTC)")]
    end: Annotated[date, Field(alias="to", description="Last day, inclusive")]
    format: ReportFormat = ReportFormat.CSV
    group_by: GroupBy = GroupBy.DAY

    @model_validator(mode="after")
    def _ordered(self) -> ReportCreate:
        if self.end < self.start:
            raise ValueError("`to` is before `from`")
        return self


class Report(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: int
    org_id: int
    format: ReportFormat
    group_by: GroupBy
    start: date = Field(serialization_alias="from", validation_alias="start_date")
    end: date = Field(serialization_alias="to", validation_alias="end_date")
    status: ReportStatus
    progress: int = Field(ge=0, le=100, description="Percent done")
    error: str | None = None
    file_name: str | None = None
    size_bytes: int | None = None
    sha256: str | None = Field(default=None, description="SHA-256 of the file, hex")
    schedule_id: int | None = None
    created_at: datetime
    completed_at: datetime | None = None
    expires_at: datetime | None = Field(
        default=None, description="The file is deleted after this (status `expired`)"
    )


class ReportScheduleCreate(BaseModel):
    """A report of each previous calendar month, made early each month."""

    model_config = ConfigDict(extra="forbid")

    format: ReportFormat = ReportFormat.PDF
    group_by: GroupBy = GroupBy.DAY


class ReportSchedule(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    format: ReportFormat
    group_by: GroupBy
    enabled: bool
    last_period: str | None = Field(description="The last month reported, YYYY-MM")
    created_at: datetime
