"""Activities (`/api/v1/activities…`) and the personal footprint views (`/api/v1/me/summary`,
`/me/history`, `/me/stats`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ecotrack.activities.analytics import analytics_service
from ecotrack.activities.importer import csv_from_body, import_csv
from ecotrack.activities.schemas import (
    Activity,
    ActivityCreate,
    ActivityUpdate,
    Category,
    Granularity,
    History,
    ImportMode,
    ImportResult,
    Stats,
    Summary,
)
from ecotrack.activities.service import activities_service, today_utc
from ecotrack.core.deps import DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.identity.auth import CurrentUser

router = APIRouter(tags=["activities"])

MAX_ID = 2**31 - 1
ActivityId = Annotated[int, Path(ge=1, le=MAX_ID, description="Activity id")]
Day = Annotated[date, Query(ge=date(1900, 1, 1), le=date(2100, 12, 31))]
NO_CONTENT: dict[str, Any] = {
    "status_code": 204,
    "response_model": None,
    "response_class": Response,
}


@router.post(
    "/activities",
    response_model=Activity,
    status_code=201,
    responses=problem_responses(401, 422),
)
def create_activity(activity_in: ActivityCreate, user: CurrentUser, session: DbSession) -> Any:
    """Log an activity: the engine prices it and the stored activity names its factor, dataset
    edition and explanation. Summary, history and stats include it at once."""
    return activities_service.log(session, user_id=user.id, activity_in=activity_in)


@router.get(
    "/activities",
    response_model=Page[Activity],
    status_code=200,
    responses=problem_responses(401),
)
def list_activities(
    user: CurrentUser,
    session: DbSession,
    paging: Paging,
    from_: Annotated[date | None, Query(alias="from", description="First day (inclusive)")] = None,
    to: Annotated[date | None, Query(description="Last day (inclusive)")] = None,
    category: Category | None = None,
    activity: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """Your activities, newest first, filtered by date range, category and activity."""
    items, total = activities_service.list_activities(
        session,
        user_id=user.id,
        page=paging,
        start=from_,
        end=to,
        category=category,
        activity=activity,
    )
    return {"items": items, "total": total, "limit": paging.limit, "offset": paging.offset}


async def _csv_body(request: Request) -> bytes:
    body = await request.body()
    return csv_from_body(request.headers.get("content-type", ""), body)


CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post(
    "/activities/import",
    response_model=ImportResult,
    status_code=200,
    responses=problem_responses(401, 413, 415, 422),
    openapi_extra=CSV_BODY,
)
def import_activities(
    user: CurrentUser,
    session: DbSession,
    data: Annotated[bytes, Depends(_csv_body)],
    mode: Annotated[
        ImportMode,
        Query(
            description="all_or_nothing: any bad row rejects the file; valid_only: keep the rest"
        ),
    ] = "all_or_nothing",
) -> ImportResult:
    """Import activities from a CSV (text/csv body, or multipart field `file`): at most
    2 MiB and 10,000 rows (413 beyond). Columns: date, activity, amount, unit,
    and optionally region, year, source, note, options (JSON) and opt.<name>."""
    return import_csv(session, user_id=user.id, data=data, mode=mode)


@router.get(
    "/activities/{activity_id}",
    response_model=Activity,
    status_code=200,
    responses=problem_responses(401, 404),
)
def get_activity(activity_id: ActivityId, user: CurrentUser, session: DbSession) -> Any:
    """One of your activities with its result, factor, edition and explanation."""
    return activities_service.get(session, user_id=user.id, activity_id=activity_id)


@router.patch(
    "/activities/{activity_id}",
    response_model=Activity,
    status_code=200,
    responses=problem_responses(401, 404, 422),
)
def update_activity(
    activity_id: ActivityId, activity_in: ActivityUpdate, user: CurrentUser, session: DbSession
) -> Any:
    """Change an activity; it is recomputed and its previous value is kept (`previous`)."""
    return activities_service.update(
        session, user_id=user.id, activity_id=activity_id, activity_in=activity_in
    )


@router.delete("/activities/{activity_id}", **NO_CONTENT, responses=problem_responses(401, 404))
def delete_activity(activity_id: ActivityId, user: CurrentUser, session: DbSession) -> Response:
    """Delete one of your activities."""
    activities_service.delete(session, user_id=user.id, activity_id=activity_id)
    return Response(status_code=204)


# --- the personal footprint views ----------------------------------------------------------------


@router.get(
    "/me/summary", response_model=Summary, status_code=200, responses=problem_responses(401)
)
def get_summary(
    user: CurrentUser,
    session: DbSession,
    on: Annotated[Day | None, Query(description="Reference day (default: today, UTC)")] = None,
) -> Summary:
    """This week, month and year so far: totals by category and the change against the same
    number of days of the previous week, month and year."""
    return analytics_service.summary(session, user_id=user.id, on=on or today_utc())


@router.get(
    "/me/history", response_model=History, status_code=200, responses=problem_responses(401)
)
def get_history(
    user: CurrentUser,
    session: DbSession,
    granularity: Granularity = "day",
    from_: Annotated[Day | None, Query(alias="from", description="First day")] = None,
    to: Annotated[Day | None, Query(description="Last day (default: today, UTC)")] = None,
) -> History:
    """A gap-free series (zeros where nothing was logged) by day, ISO week or month. At most 731
    days, 520 weeks or 240 months per request (422 `range-too-long`); without `from`, the last
    30 days, 12 weeks or 12 months."""
    return analytics_service.history(
        session, user_id=user.id, granularity=granularity, start=from_, end=to or today_utc()
    )


@router.get("/me/stats", response_model=Stats, status_code=200, responses=problem_responses(401))
def get_stats(user: CurrentUser, session: DbSession) -> Stats:
    """Count, total, average, smallest and largest activity, first and latest day and
    calculation, over all your activities."""
    return analytics_service.stats(session, user_id=user.id)
