"""Organisations, members, teams, invitations and the audit log (`/api/v1/orgs…`).

API keys, factor overrides and custom models are in `router_keys.py` and `router_factors.py`;
`router` includes them, so discovery finds one router for the domain.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from ecotrack.audit.schemas import AuditRecord
from ecotrack.core.deps import AppSettings, DbSession, client_ip
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.identity.auth import CurrentUser
from ecotrack.orgs.auth import MAX_ID, OrgAdmin, OrgOwner, OrgViewer
from ecotrack.orgs.context import Actor, OrgRole
from ecotrack.orgs.invitations import invitation_service
from ecotrack.orgs.router_factors import router as factors_router
from ecotrack.orgs.router_keys import router as keys_router
from ecotrack.orgs.schemas import (
    AuditAction,
    Invitation,
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    Member,
    MemberUpdate,
    OrgCreate,
    OrgUpdate,
    OrgWithRole,
    Team,
    TeamCreate,
    TeamMember,
    TeamMemberAdd,
    TeamUpdate,
)
from ecotrack.orgs.service import orgs_service

router = APIRouter(tags=["orgs"])

UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="User id")]
TeamId = Annotated[int, Path(ge=1, le=MAX_ID)]
InvitationId = Annotated[int, Path(ge=1, le=MAX_ID)]
NO_CONTENT: dict[str, Any] = {
    "status_code": 204,
    "response_model": None,
    "response_class": Response,
}


def _actor(user: CurrentUser, request: Request) -> Actor:
    return Actor(user_id=user.id, email=user.email, ip=client_ip(request))


# --- organisations ----------------------------------------------------------------------------


@router.post(
    "/orgs",
    response_model=OrgWithRole,
    status_code=201,
    responses=problem_responses(401, 409, 422),
)
def create_org(
    org_in: OrgCreate,
    user: CurrentUser,
    request: Request,
    session: DbSession,
    settings: AppSettings,
) -> OrgWithRole:
    """Create an organisation; you become its owner."""
    return orgs_service.create_org(
        session, actor=_actor(user, request), owner_id=user.id, org_in=org_in, settings=settings
    )


@router.get(
    "/orgs", response_model=Page[OrgWithRole], status_code=200, responses=problem_responses(401)
)
def list_my_orgs(user: CurrentUser, session: DbSession, page: Paging) -> Page[OrgWithRole]:
    """The organisations you belong to, with your role in each."""
    return orgs_service.list_my_orgs(session, user_id=user.id, page=page)


@router.get(
    "/orgs/{org_id}",
    response_model=OrgWithRole,
    status_code=200,
    responses=problem_responses(401, 404),
)
def get_org(ctx: OrgViewer, session: DbSession) -> OrgWithRole:
    """One of your organisations."""
    return orgs_service.get_org(session, ctx=ctx)


@router.patch(
    "/orgs/{org_id}",
    response_model=OrgWithRole,
    status_code=200,
    responses=problem_responses(401, 403, 404, 422),
)
def update_org(org_in: OrgUpdate, ctx: OrgAdmin, session: DbSession) -> OrgWithRole:
    """Rename the organisation (admins and owners). The slug is permanent."""
    return orgs_service.update_org(session, ctx=ctx, org_in=org_in)


@router.delete("/orgs/{org_id}", **NO_CONTENT, responses=problem_responses(401, 403, 404))
def delete_org(ctx: OrgOwner, session: DbSession) -> Response:
    """Delete the organisation and everything it owns (owners only)."""
    orgs_service.delete_org(session, ctx=ctx)
    return Response(status_code=204)


# --- members ----------------------------------------------------------------------------------


@router.get(
    "/orgs/{org_id}/members",
    response_model=Page[Member],
    status_code=200,
    responses=problem_responses(401, 404),
)
def list_members(
    ctx: OrgViewer,
    session: DbSession,
    page: Paging,
    role: Annotated[OrgRole | None, Query(description="Only members with this role")] = None,
) -> Page[Member]:
    """Members of the organisation and their roles."""
    return orgs_service.list_members(session, ctx=ctx, page=page, role=role)


@router.patch(
    "/orgs/{org_id}/members/{user_id}",
    response_model=Member,
    status_code=200,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_member(
    user_id: UserId, member_in: MemberUpdate, ctx: OrgAdmin, session: DbSession
) -> Member:
    """Change a member's role (admins; only owners grant or remove `owner`; one owner stays)."""
    return orgs_service.update_member(session, ctx=ctx, user_id=user_id, member_in=member_in)


@router.delete(
    "/orgs/{org_id}/members/{user_id}",
    **NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def remove_member(user_id: UserId, ctx: OrgViewer, session: DbSession) -> Response:
    """Remove a member (admins; owners for an owner), or leave with your own user id."""
    orgs_service.remove_member(session, ctx=ctx, user_id=user_id)
    return Response(status_code=204)


# --- teams ------------------------------------------------------------------------------------


@router.get(
    "/orgs/{org_id}/teams",
    response_model=Page[Team],
    status_code=200,
    responses=problem_responses(401, 404),
)
def list_teams(ctx: OrgViewer, session: DbSession, page: Paging) -> Page[Team]:
    return orgs_service.list_teams(session, ctx=ctx, page=page)


@router.post(
    "/orgs/{org_id}/teams",
    response_model=Team,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def create_team(team_in: TeamCreate, ctx: OrgAdmin, session: DbSession) -> Team:
    return orgs_service.create_team(session, ctx=ctx, team_in=team_in)


@router.get(
    "/orgs/{org_id}/teams/{team_id}",
    response_model=Team,
    status_code=200,
    responses=problem_responses(401, 404),
)
def get_team(team_id: TeamId, ctx: OrgViewer, session: DbSession) -> Team:
    return orgs_service.get_team(session, ctx=ctx, team_id=team_id)


@router.patch(
    "/orgs/{org_id}/teams/{team_id}",
    response_model=Team,
    status_code=200,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_team(team_id: TeamId, team_in: TeamUpdate, ctx: OrgAdmin, session: DbSession) -> Team:
    return orgs_service.update_team(session, ctx=ctx, team_id=team_id, team_in=team_in)


@router.delete(
    "/orgs/{org_id}/teams/{team_id}", **NO_CONTENT, responses=problem_responses(401, 403, 404)
)
def delete_team(team_id: TeamId, ctx: OrgAdmin, session: DbSession) -> Response:
    orgs_service.delete_team(session, ctx=ctx, team_id=team_id)
    return Response(status_code=204)


@router.get(
    "/orgs/{org_id}/teams/{team_id}/members",
    response_model=Page[TeamMember],
    status_code=200,
    responses=problem_responses(401, 404),
)
def list_team_members(
    team_id: TeamId, ctx: OrgViewer, session: DbSession, page: Paging
) -> Page[TeamMember]:
    return orgs_service.list_team_members(session, ctx=ctx, team_id=team_id, page=page)


@router.post(
    "/orgs/{org_id}/teams/{team_id}/members",
    response_model=TeamMember,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def add_team_member(
    team_id: TeamId, member_in: TeamMemberAdd, ctx: OrgAdmin, session: DbSession
) -> TeamMember:
    """Add a member of the organisation to the team."""
    return orgs_service.add_team_member(session, ctx=ctx, team_id=team_id, member_in=member_in)


@router.delete(
    "/orgs/{org_id}/teams/{team_id}/members/{user_id}",
    **NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
def remove_team_member(
    team_id: TeamId, user_id: UserId, ctx: OrgAdmin, session: DbSession
) -> Response:
    orgs_service.remove_team_member(session, ctx=ctx, team_id=team_id, user_id=user_id)
    return Response(status_code=204)


# --- invitations ------------------------------------------------------------------------------


@router.get(
    "/orgs/{org_id}/invitations",
    response_model=Page[Invitation],
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def list_invitations(
    ctx: OrgAdmin,
    session: DbSession,
    page: Paging,
    pending: Annotated[bool, Query(description="Only pending invitations")] = False,
) -> Page[Invitation]:
    return invitation_service.list(session, ctx=ctx, page=page, pending_only=pending)


@router.post(
    "/orgs/{org_id}/invitations",
    response_model=InvitationCreated,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def create_invitation(
    invitation_in: InvitationCreate, ctx: OrgAdmin, session: DbSession, settings: AppSettings
) -> InvitationCreated:
    """Invite someone by email (expires after `ECOTRACK_INVITATION_TTL_HOURS`, used once)."""
    return invitation_service.create(
        session, ctx=ctx, invitation_in=invitation_in, settings=settings
    )


@router.post(
    "/orgs/{org_id}/invitations/{invitation_id}/revoke",
    response_model=Invitation,
    status_code=200,
    responses=problem_responses(401, 403, 404, 409),
)
def revoke_invitation(invitation_id: InvitationId, ctx: OrgAdmin, session: DbSession) -> Any:
    return invitation_service.revoke(session, ctx=ctx, invitation_id=invitation_id)


@router.post(
    "/invitations/accept",
    response_model=OrgWithRole,
    status_code=200,
    responses=problem_responses(401, 403, 404, 409, 410, 422),
)
def accept_invitation(
    accept_in: InvitationAccept,
    user: CurrentUser,
    request: Request,
    session: DbSession,
    settings: AppSettings,
) -> OrgWithRole:
    """Join an organisation with an invitation sent to your (signed-in) email address."""
    return invitation_service.accept(
        session, actor=_actor(user, request), token=accept_in.token, settings=settings
    )


# --- audit log --------------------------------------------------------------------------------


@router.get(
    "/orgs/{org_id}/audit-log",
    response_model=Page[AuditRecord],
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def get_audit_log(
    ctx: OrgAdmin,
    session: DbSession,
    page: Paging,
    action: Annotated[AuditAction | None, Query(description="e.g. api_key.created")] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    resource_type: Annotated[AuditAction | None, Query(description="e.g. api_key")] = None,
) -> Any:
    """What happened in the organisation, newest first (admins and owners)."""
    return orgs_service.audit_log(
        session,
        ctx=ctx,
        page=page,
        action=action,
        actor_id=actor_id,
        resource_type=resource_type,
    )


router.include_router(keys_router)
router.include_router(factors_router)
