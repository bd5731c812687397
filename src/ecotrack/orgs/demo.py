"""`ecotrack demo`: the organisation "Demo Co" (slug `demo-co`) with the demo people in every
role, two teams, and an ingest API key whose secret is printed once.

Everything goes through `orgs_service` / `api_key_service` as the command line does (actor: the
CLI). Seeding again adds nothing: each member, team, team member and the key are looked up first
and only what is missing is created. If `demo-co` belongs to people other than the demo owner, it
is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecotrack.core.db import ensure_database
from ecotrack.core.settings import Settings
from ecotrack.identity.demo import (
    CAR_COMMUTER,
    DEMO_EMAIL,
    FREQUENT_FLYER,
    RAIL_COMMUTER,
    VEGETARIAN,
)

ORDER = 20  # after the demo people (identity), before activities, goals and challenges

ORG_NAME = "Demo Co"
ORG_SLUG = "demo-co"
OWNER = DEMO_EMAIL
ROLES: dict[str, str] = {
    DEMO_EMAIL: "owner",
    CAR_COMMUTER: "admin",
    RAIL_COMMUTER: "member",
    FREQUENT_FLYER: "member",
    VEGETARIAN: "viewer",
}
OPERATIONS = "Operations"
FIELD_SALES = "Field Sales"
TEAMS: dict[str, tuple[str, tuple[str, ...]]] = {
    OPERATIONS: ("Office, facilities and IT", (DEMO_EMAIL, RAIL_COMMUTER, VEGETARIAN)),
    FIELD_SALES: ("On the road for customers", (CAR_COMMUTER, FREQUENT_FLYER)),
}
API_KEY_NAME = "Demo ingest"


def seed(settings: Settings) -> Iterator[str]:
    from ecotrack.core.errors import NotFoundError
    from ecotrack.core.pagination import PageParams
    from ecotrack.identity.service import identity_service
    from ecotrack.orgs.apikeys import api_key_service
    from ecotrack.orgs.context import Actor, ApiScope, OrgRole
    from ecotrack.orgs.schemas import ApiKeyCreate, OrgCreate, TeamCreate, TeamMemberAdd
    from ecotrack.orgs.service import orgs_service

    cli = Actor(user_id=None)
    all_items = PageParams(limit=200, offset=0)
    lines: list[str] = []
    secret: str | None = None
    db = ensure_database(settings)
    with db.unit_of_work() as session:
        users = {
            email: user
            for email in ROLES
            if (user := identity_service.get_user_by_email(session, email=email)) is not None
        }
        owner = users.get(OWNER)
        if owner is None:
            yield f"orgs: no {OWNER} account, no demo organisation"
            return
        try:
            org_id = orgs_service.get_org_by_slug(session, slug=ORG_SLUG).id
        except NotFoundError:
            org = orgs_service.create_org(
                session,
                actor=cli,
                owner_id=owner.id,
                org_in=OrgCreate(name=ORG_NAME, slug=ORG_SLUG),
                settings=settings,
            )
            org_id = org.id
            lines.append(f"orgs: created {ORG_NAME} (slug {ORG_SLUG}, id {org_id})")
        if orgs_service.role_of(session, org_id=org_id, user_id=owner.id) != OrgRole.OWNER:
            yield f"orgs: {ORG_SLUG} exists and {OWNER} is not its owner; left as it is"
            return
        ctx = orgs_service.access(
            session, org_id=org_id, user_id=owner.id, email=owner.email, role=OrgRole.OWNER
        )
        for email, role in ROLES.items():
            user = users.get(email)
            if user is None or orgs_service.role_of(session, org_id=org_id, user_id=user.id):
                continue
            orgs_service.add_member(
                session, actor=cli, org_id=org_id, user_id=user.id, role=OrgRole(role)
            )
            lines.append(f"orgs:   {email} joined as {role}")
        teams = {t.name: t for t in orgs_service.list_teams(session, ctx=ctx, page=all_items).items}
        for name, (description, emails) in TEAMS.items():
            team = teams.get(name)
            if team is None:
                team = orgs_service.create_team(
                    session, ctx=ctx, team_in=TeamCreate(name=name, description=description)
                )
                lines.append(f"orgs: team {name!r} created")
            in_team = {
                m.user_id
                for m in orgs_service.list_team_members(
                    session, ctx=ctx, team_id=team.id, page=all_items
                ).items
            }
            for email in emails:
                user = users.get(email)
                if user is None or user.id in in_team:
                    continue
                orgs_service.add_team_member(
                    session, ctx=ctx, team_id=team.id, member_in=TeamMemberAdd(user_id=user.id)
                )
                lines.append(f"orgs:   {email} added to {name!r}")
        keys = api_key_service.list(session, ctx=ctx, page=all_items, include_revoked=False)
        if not any(k.name == API_KEY_NAME for k in keys.items):
            created = api_key_service.create(
                session,
                actor=cli,
                org_id=org_id,
                key_in=ApiKeyCreate(name=API_KEY_NAME, scopes=[ApiScope.INGEST]),
                settings=settings,
            )
            secret = created.secret
            lines.append(f"orgs: API key {created.prefix} ({API_KEY_NAME!r}, ingest) created")
    yield from lines
    if secret is not None:
        yield f"orgs: ingest API key secret (shown once, store it now): {secret}"
    if not lines:
        yield f"orgs: {ORG_NAME} with its members, teams and API key exists; left as it is"
