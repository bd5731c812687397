"""Usage reports of an organisation (`/orgs/{org_id}/reports…`, `/orgs/{org_id}/report-schedules…`).

Members (viewer and up) and the organisation's `read` API keys request, follow and download
reports; admins manage the monthly schedules.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from ecotrack.core.deps import AppSettings, DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.orgs.auth import OrgAdmin, OrgReader
from ecotrack.reports.schemas import (
    Report,
    ReportCreate,
    ReportSchedule,
    ReportScheduleCreate,
)
from ecotrack.reports.service import reports_service

router = APIRouter(prefix="/orgs/{org_id}", tags=["reports"])

ReportId = Annotated[int, PathParam(ge=1, le=2_147_483_647, description="Report id")]
ScheduleId = Annotated[int, PathParam(ge=1, le=2_147_483_647, description="Schedule id")]
CHUNK_BYTES = 64 * 1024
FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report file (CSV or PDF), streamed",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "/reports",
    response_model=Report,
    status_code=202,
    responses=problem_responses(401, 403, 404, 422, 429),
)
def create_report(
    report_in: ReportCreate, access: OrgReader, session: DbSession, settings: AppSettings
) -> Report:
    """Request a CSV or PDF report of `from`..`to` (UTC days, inclusive) grouped by
    `group_by`; a job builds it. Follow `GET …/reports/{id}` until `done`, then download."""
    return Report.model_validate(
        reports_service.create(
            session,
            org_id=access.org_id,
            requested_by=access.user_id,
            report_in=report_in,
            settings=settings,
        )
    )


@router.get(
    "/reports",
    response_model=Page[Report],
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def list_reports(access: OrgReader, session: DbSession, page: Paging) -> Page[Report]:
    """The organisation's reports, newest first."""
    return reports_service.list_reports(session, org_id=access.org_id, page=page)


@router.get(
    "/reports/{report_id}",
    response_model=Report,
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def get_report(report_id: ReportId, access: OrgReader, session: DbSession) -> Report:
    """Status (`pending`, `running`, `done`, `failed`, `expired`) and progress of a report."""
    return Report.model_validate(
        reports_service.get(session, org_id=access.org_id, report_id=report_id)
    )


def _stream(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(CHUNK_BYTES):
            yield block


@router.get(
    "/reports/{report_id}/download",
    response_class=StreamingResponse,
    response_model=None,
    status_code=200,
    responses={**FILE_RESPONSE, **problem_responses(401, 403, 404, 409, 410)},
)
def download_report(
    report_id: ReportId, access: OrgReader, session: DbSession, settings: AppSettings
) -> StreamingResponse:
    """The report's file, streamed in chunks (409 until it is done, 410 once expired)."""
    path, name, media_type = reports_service.download(
        session, org_id=access.org_id, report_id=report_id, settings=settings
    )
    return StreamingResponse(
        _stream(path),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(path.stat().st_size),
            "Cache-Control": "private, no-store",
        },
    )


# --- monthly schedules ---------------------------------------------------------------------


@router.get(
    "/report-schedules",
    response_model=list[ReportSchedule],
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def list_report_schedules(access: OrgReader, session: DbSession) -> list[ReportSchedule]:
    """Monthly reports the organisation receives."""
    return [
        ReportSchedule.model_validate(s)
        for s in reports_service.list_schedules(session, org_id=access.org_id)
    ]


@router.post(
    "/report-schedules",
    response_model=ReportSchedule,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def create_report_schedule(
    schedule_in: ReportScheduleCreate, ctx: OrgAdmin, session: DbSession
) -> ReportSchedule:
    """Make a report of each previous calendar month, early each month (admins)."""
    return ReportSchedule.model_validate(
        reports_service.create_schedule(
            session, org_id=ctx.org_id, created_by=ctx.user_id, schedule_in=schedule_in
        )
    )


@router.delete(
    "/report-schedules/{schedule_id}",
    response_model=None,
    response_class=Response,
    status_code=204,
    responses=problem_responses(401, 403, 404),
)
def delete_report_schedule(schedule_id: ScheduleId, ctx: OrgAdmin, session: DbSession) -> Response:
    """Stop a monthly report (reports already made stay)."""
    reports_service.delete_schedule(session, org_id=ctx.org_id, schedule_id=schedule_id)
    return Response(status_code=204)
