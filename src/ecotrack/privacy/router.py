"""The signed-in user's privacy controls: consents, data export, account deletion."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from ecotrack.core.deps import AppSettings, DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.identity.auth import Client, CurrentUser
from ecotrack.identity.router import keep_failure_records
from ecotrack.privacy.schemas import Consent, ConsentsUpdate, DataExport, DeleteAccount
from ecotrack.privacy.service import privacy_service

router = APIRouter(tags=["privacy"])
ExportId = Annotated[int, Path(ge=1, le=2_147_483_647)]
EXPORTS_PER_DAY = 5
ZIP_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The ZIP archive",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/users/me/consents",
    response_model=list[Consent],
    status_code=200,
    responses=problem_responses(401),
)
def get_consents(user: CurrentUser, session: DbSession) -> list[Consent]:
    """The user's answers (terms, marketing, leaderboard visibility)."""
    return privacy_service.get_consents(session, user_id=user.id)


@router.put(
    "/users/me/consents",
    response_model=list[Consent],
    status_code=200,
    responses=problem_responses(401, 403, 422),
)
def update_consents(
    consents_in: ConsentsUpdate, user: CurrentUser, session: DbSession, client: Client
) -> list[Consent]:
    """Give or withdraw consents (each change is kept in the audit log)."""
    return privacy_service.update_consents(
        session, user_id=user.id, consents_in=consents_in.consents, client=client
    )


@router.post(
    "/users/me/export",
    response_model=DataExport,
    status_code=202,
    responses=problem_responses(401, 403, 429),
)
def request_export(
    request: Request, user: CurrentUser, session: DbSession, client: Client
) -> DataExport:
    """Start an export of everything EcoTrack holds about the user; a link arrives by email."""
    request.app.state.rate_limiter.hit(
        f"export:{user.id}", limit=EXPORTS_PER_DAY, window_s=24 * 3600
    )
    return DataExport.model_validate(
        privacy_service.request_export(session, user_id=user.id, client=client)
    )


@router.get(
    "/users/me/exports/{export_id}",
    response_model=DataExport,
    status_code=200,
    responses=problem_responses(401, 404),
)
def get_export(export_id: ExportId, user: CurrentUser, session: DbSession) -> DataExport:
    """Progress of one export."""
    return DataExport.model_validate(
        privacy_service.get_export(session, user_id=user.id, export_id=export_id)
    )


@router.get(
    "/privacy/exports/download",
    response_class=Response,
    response_model=None,
    status_code=200,
    responses={**ZIP_RESPONSE, **problem_responses(404)},
)
def download_export(
    session: DbSession,
    token: Annotated[str, Query(min_length=10, max_length=200, description="From the email")],
) -> Response:
    """Download an export with the link from the email (no login needed; the link expires)."""
    name, content = privacy_service.download(session, token=token)
    return Response(
        content,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.delete(
    "/users/me",
    response_model=None,
    status_code=204,
    responses=problem_responses(401, 403, 422, 429),
)
def delete_account(
    delete_in: DeleteAccount,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> None:
    """Erase the account and the personal data every part of EcoTrack holds (needs the
    password). Sessions end at once; the audit log keeps a pseudonymous record."""
    with keep_failure_records(session):
        privacy_service.erase_account(
            session, user_id=user.id, password=delete_in.password, client=client, settings=settings
        )
