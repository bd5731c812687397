"""Alert windows in UTC: the calendar day, ISO week (Monday first), month, or the last 24 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum


class Window(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ROLLING_24H = "rolling_24h"


ROLLING = timedelta(hours=24)


def bounds(window: Window | str, now: datetime) -> tuple[datetime, datetime]:
    """`[start, end)` of the window containing `now` (for rolling_24h: `[now - 24 h, now)`,
    to the second)."""
    now = now.astimezone(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    match Window(window):
        case Window.DAY:
            return day, day + timedelta(days=1)
        case Window.WEEK:
            start = day - timedelta(days=day.weekday())
            return start, start + timedelta(days=7)
        case Window.MONTH:
            start = day.replace(day=1)
            following = (start + timedelta(days=32)).replace(day=1)
            return start, following
        case Window.ROLLING_24H:
            end = now.replace(microsecond=0)
            return end - ROLLING, end
