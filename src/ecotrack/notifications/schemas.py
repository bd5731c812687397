from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool


class Notification(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Also the Server-Sent Events id (resume with Last-Event-ID)")
    kind: str = Field(examples=["goal.achieved", "challenge.completed", "badge.earned"])
    title: str
    body: str
    data: dict[str, Any]
    read_at: datetime | None
    created_at: datetime


class NotificationPage(BaseModel):
    items: list[Notification]
    total: int = Field(description="Notifications matching the filter, across all pages")
    unread: int = Field(description="Unread notifications of the user (whatever the filter)")
    limit: int
    offset: int


class ReadAll(BaseModel):
    marked: int = Field(description="How many notifications were unread and are now read")


class NotificationPreferences(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    email_goal_achieved: bool = Field(description="Email me when I reach a goal")
    email_challenge_completed: bool = Field(description="Email me when I complete a challenge")


class NotificationPreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email_goal_achieved: StrictBool | None = None
    email_challenge_completed: StrictBool | None = None


StreamEvent = Literal["notification", "leaderboard.changed"]
