"""A person's footprint over time, answered from the daily rollup and aggregated in SQL.

* summary: this week (ISO, from Monday), this month and this year up to the reference day, each
  by category and against the same number of days at the start of the previous period;
* history: a gap-free series by day, ISO week or month, with zeros where nothing was logged;
* stats: count, total, average, smallest and largest activity, first and latest day and
  calculation.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ecotrack.activities import repository
from ecotrack.activities.schemas import (
    CATEGORIES,
    History,
    HistoryPoint,
    PeriodSummary,
    Stats,
    Summary,
)
from ecotrack.core.errors import ValidationFailed

# The longest series one history request answers (documented in docs/activities.md).
MAX_POINTS = {"day": 731, "week": 520, "month": 240}
DEFAULT_POINTS = {"day": 30, "week": 12, "month": 12}
TREND_FLAT_PCT = 1.0  # |change| below this many percent reads as "flat"


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, months: int) -> date:
    """The first day of the month `months` after `d`'s month."""
    index = d.year * 12 + (d.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _bucket_start(d: date, granularity: str) -> date:
    if granularity == "week":
        return _week_start(d)
    if granularity == "month":
        return _month_start(d)
    return d


def _bucket_next(d: date, granularity: str) -> date:
    if granularity == "week":
        return d + timedelta(days=7)
    if granularity == "month":
        return _add_months(d, 1)
    return d + timedelta(days=1)


def periods_for(on: date) -> dict[str, tuple[date, date, date, date]]:
    """(start, end, previous start, previous end) of this week, month and year up to `on`; the
    previous window covers the same number of days, clamped to the previous period's end."""
    week = _week_start(on)
    month = _month_start(on)
    year = date(on.year, 1, 1)
    prev_month = _add_months(month, -1)
    prev_year = date(on.year - 1, 1, 1)
    elapsed_month = (on - month).days
    elapsed_year = (on - year).days
    return {
        "week": (week, on, week - timedelta(days=7), on - timedelta(days=7)),
        "month": (
            month,
            on,
            prev_month,
            min(prev_month + timedelta(days=elapsed_month), _month_end(prev_month)),
        ),
        "year": (
            year,
            on,
            prev_year,
            min(prev_year + timedelta(days=elapsed_year), date(on.year - 1, 12, 31)),
        ),
    }


def change_pct(total: float, previous: float) -> float | None:
    if previous <= 0:
        return None
    return round((total - previous) / previous * 100.0, 2)


def trend_of(total: float, previous: float) -> str:
    pct = change_pct(total, previous)
    if pct is None:
        return "new" if total > 0 else "flat"
    if abs(pct) < TREND_FLAT_PCT:
        return "flat"
    return "up" if pct > 0 else "down"


class AnalyticsService:
    def summary(self, session: Session, *, user_id: int, on: date) -> Summary:
        periods = periods_for(on)
        windows: list[tuple[date, date]] = []
        for start, end, prev_start, prev_end in periods.values():
            windows += [(start, end), (prev_start, prev_end)]
        rows = repository.period_totals(session, user_id=user_id, periods=windows)
        out: dict[str, PeriodSummary] = {}
        for i, (name, (start, end, prev_start, prev_end)) in enumerate(periods.items()):
            by_category = dict.fromkeys(CATEGORIES, 0.0)
            count = 0
            previous = 0.0
            for category, kgs, counts in rows:
                by_category[category] = by_category.get(category, 0.0) + kgs[2 * i]
                count += counts[2 * i]
                previous += kgs[2 * i + 1]
            total = sum(by_category.values())
            out[name] = PeriodSummary(
                start=start,
                end=end,
                total_kg=total,
                by_category=by_category,
                count=count,
                previous_start=prev_start,
                previous_end=prev_end,
                previous_kg=previous,
                change_pct=change_pct(total, previous),
                trend=trend_of(total, previous),
            )
        return Summary(on=on, week=out["week"], month=out["month"], year=out["year"])

    def history(
        self,
        session: Session,
        *,
        user_id: int,
        granularity: str,
        start: date | None,
        end: date,
    ) -> History:
        if start is None:
            first = _bucket_start(end, granularity)
            for _ in range(DEFAULT_POINTS[granularity] - 1):
                first = _bucket_start(first - timedelta(days=1), granularity)
            start = first
        if start > end:
            raise ValidationFailed(
                "from must not be after to",
                errors=[{"loc": ["query", "from"], "msg": "after `to`", "type": "date_order"}],
            )
        buckets: list[date] = []
        cursor = _bucket_start(start, granularity)
        limit = MAX_POINTS[granularity]
        while cursor <= end:
            buckets.append(cursor)
            if len(buckets) > limit:
                raise ValidationFailed(
                    f"At most {limit} {granularity} points per request; narrow from/to",
                    code="range-too-long",
                    errors=[
                        {
                            "loc": ["query", "from"],
                            "msg": f"the range spans more than {limit} {granularity}s",
                            "type": "range_too_long",
                        }
                    ],
                )
            cursor = _bucket_next(cursor, granularity)
        rows = repository.history(
            session, user_id=user_id, start=start, end=end, granularity=granularity
        )
        kg: dict[date, dict[str, float]] = {}
        counts: dict[date, int] = {}
        for bucket, category, value, n in rows:
            kg.setdefault(bucket, dict.fromkeys(CATEGORIES, 0.0))[category] = value
            counts[bucket] = counts.get(bucket, 0) + n
        points = []
        for b in buckets:
            by_category = kg.get(b, dict.fromkeys(CATEGORIES, 0.0))
            points.append(
                HistoryPoint(
                    start=max(b, start),
                    end=min(_bucket_next(b, granularity) - timedelta(days=1), end),
                    total_kg=sum(by_category.values()),
                    count=counts.get(b, 0),
                    by_category=by_category,
                )
            )
        return History(
            granularity=granularity,
            start=start,
            end=end,
            total_kg=sum(p.total_kg for p in points),
            points=points,
        )

    def stats(self, session: Session, *, user_id: int) -> Stats:
        data = repository.stats(session, user_id=user_id)
        by_category = dict.fromkeys(CATEGORIES, 0.0)
        for category, value in repository.all_category_totals(session, user_id=user_id):
            by_category[category] = value
        count, days, total = data["count"], data["days"], data["total_kg"]
        return Stats(
            count=count,
            days=days,
            total_kg=total,
            average_kg=total / count if count else None,
            average_per_day_kg=total / days if days else None,
            min_kg=data["min_kg"],
            max_kg=data["max_kg"],
            first_on=data["first_on"],
            latest_on=data["latest_on"],
            first_calculated_at=data["first_calculated_at"],
            latest_calculated_at=data["latest_calculated_at"],
            by_category=by_category,
        )


analytics_service = AnalyticsService()
