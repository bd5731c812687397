"""Organisations, memberships and teams; the access check; reactions to other domains' events.

`orgs_service` is what other domains use: `access`, `factor_overrides_for`, `custom_models_for`,
`authenticate_api_key`. Invitations, API keys and overrides have their own modules
(`invitations.py`, `apikeys.py`, `overrides.py`) with the same conventions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.audit.service import audit_service
from ecotrack.core.db import utcnow
from ecotrack.core.errors import AppError, ConflictError, NotFoundError, ValidationFailed
from ecotrack.core.events import publish, subscribe
from ecotrack.core.pagination import Page, PageParams
from ecotrack.core.settings import Settings
from ecotrack.factors.llm import CustomModel as LLMCustomModel
from ecotrack.factors.overrides import OverrideSet
from ecotrack.identity.service import identity_service
from ecotrack.orgs import audit_log, repository
from ecotrack.orgs.apikeys import api_key_service
from ecotrack.orgs.context import (
    Actor,
    ApiKeyPrincipal,
    OrgContext,
    OrgForbidden,
    OrgNotFound,
    OrgRole,
)
from ecotrack.orgs.models import Membership, Organisation, Team
from ecotrack.orgs.overrides import override_service
from ecotrack.orgs.schemas import (
    Member,
    MemberUpdate,
    OrgCreate,
    OrgUpdate,
    OrgWithRole,
    TeamCreate,
    TeamMember,
    TeamMemberAdd,
    TeamUpdate,
)
from ecotrack.orgs.schemas import Team as TeamOut
from ecotrack.orgs.signing import ReplayCache


class LastOwner(AppError):
    status_code = 409
    code = "last-owner"


class MemberNotFound(NotFoundError):
    code = "member-not-found"


class TeamNotFound(NotFoundError):
    code = "team-not-found"


class TooManyOrgs(AppError):
    status_code = 409
    code = "org-limit-reached"


def slugify(name: str) -> str:
    """A URL-safe handle for a name: `Acme Ltd.` -> `acme-ltd`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:48].strip("-")
    return slug or "org"


def with_role(org: Organisation, role: str) -> OrgWithRole:
    return OrgWithRole(
        id=org.id,
        name=org.name,
        slug=org.slug,
        created_at=org.created_at,
        updated_at=org.updated_at,
        role=OrgRole(role),
    )


class OrgsService:
    # --- access -------------------------------------------------------------------------------

    def access(
        self,
        session: Session,
        *,
        org_id: int,
        user_id: int,
        email: str,
        role: OrgRole,
        ip: str | None = None,
    ) -> OrgContext:
        """The caller's context in `org_id`, requiring at least `role`.

        Not a member (or no such organisation) -> 404; a member below `role` -> 403.
        """
        membership = repository.get_membership(session, org_id=org_id, user_id=user_id)
        if membership is None:
            audit_log.denied("not a member", org_id=org_id, user_id=user_id)
            raise OrgNotFound(org_id)
        ctx = OrgContext(
            org_id=org_id,
            user_id=user_id,
            email=email,
            role=OrgRole(membership.role),
            membership_id=membership.id,
            ip=ip,
        )
        if not ctx.role.at_least(role):
            audit_log.denied("role", org_id=org_id, user_id=user_id, needs=role.value)
            raise OrgForbidden(
                f"This needs the organisation role {role.value} or above (you are {ctx.role.value})"
            )
        return ctx

    def role_of(self, session: Session, *, org_id: int, user_id: int) -> OrgRole | None:
        """The user's role in the organisation, or None (for other domains)."""
        membership = repository.get_membership(session, org_id=org_id, user_id=user_id)
        return None if membership is None else OrgRole(membership.role)

    # --- organisations ----------------------------------------------------------------------

    def create_org(
        self,
        session: Session,
        *,
        actor: Actor,
        owner_id: int,
        org_in: OrgCreate,
        settings: Settings,
    ) -> OrgWithRole:
        """Create an organisation with `owner_id` as its first owner."""
        if (
            actor.user_id is not None
            and repository.count_orgs_created_by(session, actor.user_id)
            >= settings.org_max_created_per_user
        ):
            raise TooManyOrgs(
                f"You have created {settings.org_max_created_per_user} organisations, the limit"
            )
        slug = org_in.slug or self._free_slug(session, slugify(org_in.name))
        org = Organisation(name=org_in.name, slug=slug, created_by_id=actor.user_id)
        if not repository.flush_unique(session, org):
            raise ConflictError(f"The slug {slug!r} is taken", code="slug-taken")
        repository.add(session, Membership(org_id=org.id, user_id=owner_id, role=OrgRole.OWNER))
        audit_log.record(
            session,
            actor=actor,
            org_id=org.id,
            action="org.created",
            resource_type="organisation",
            resource_id=org.id,
            details={"name": org.name, "slug": org.slug, "owner_id": owner_id},
        )
        return with_role(org, OrgRole.OWNER)

    @staticmethod
    def _free_slug(session: Session, stem: str) -> str:
        taken = repository.slugs_starting_with(session, stem)
        if stem not in taken:
            return stem
        n = 2
        while f"{stem}-{n}" in taken:
            n += 1
        return f"{stem}-{n}"

    def list_my_orgs(
        self, session: Session, *, user_id: int, page: PageParams
    ) -> Page[OrgWithRole]:
        rows, total = repository.orgs_of_user(
            session, user_id, limit=page.limit, offset=page.offset
        )
        return Page(
            items=[with_role(org, role) for org, role in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    def get_org(self, session: Session, *, ctx: OrgContext) -> OrgWithRole:
        return with_role(self._org(session, ctx.org_id), ctx.role)

    def get_org_by_slug(self, session: Session, *, slug: str) -> Organisation:
        org = repository.get_org_by_slug(session, slug)
        if org is None:
            raise NotFoundError(f"No organisation with slug {slug!r}", code="org-not-found")
        return org

    def _org(self, session: Session, org_id: int) -> Organisation:
        org = repository.get_org(session, org_id)
        if org is None:
            raise OrgNotFound(org_id)
        return org

    def update_org(self, session: Session, *, ctx: OrgContext, org_in: OrgUpdate) -> OrgWithRole:
        ctx.require(OrgRole.ADMIN, "change the organisation")
        org = self._org(session, ctx.org_id)
        changes = org_in.model_dump(exclude_unset=True, exclude_none=True)
        for field, value in changes.items():
            setattr(org, field, value)
        session.flush()
        if changes:
            audit_log.record(
                session,
                actor=ctx.actor,
                org_id=org.id,
                action="org.updated",
                resource_type="organisation",
                resource_id=org.id,
                details=changes,
            )
        return with_role(org, ctx.role)

    def delete_org(self, session: Session, *, ctx: OrgContext) -> None:
        ctx.require(OrgRole.OWNER, "delete the organisation")
        org = self._org(session, ctx.org_id)
        details = {"name": org.name, "slug": org.slug}
        # Domains holding loose keys to the organisation (no foreign key, e.g. usage events)
        # delete their rows in this transaction; the others go by ON DELETE CASCADE.
        publish(session, "orgs.deleting", org_id=ctx.org_id)
        repository.delete_org(session, ctx.org_id)
        audit_log.record(
            session,
            actor=ctx.actor,
            org_id=ctx.org_id,
            action="org.deleted",
            resource_type="organisation",
            resource_id=ctx.org_id,
            details=details,
        )

    # --- members ----------------------------------------------------------------------------

    def _people(self, session: Session, user_ids: Iterable[int]) -> dict[int, Any]:
        out: dict[int, Any] = {}
        for user_id in dict.fromkeys(user_ids):
            user = identity_service.get_user(session, user_id=user_id)
            if user is not None:
                out[user_id] = user
        return out

    def _member_out(self, membership: Membership, people: dict[int, Any]) -> Member:
        user = people.get(membership.user_id)
        return Member(
            user_id=membership.user_id,
            email=getattr(user, "email", "") or "",
            display_name=getattr(user, "display_name", None),
            role=OrgRole(membership.role),
            joined_at=membership.created_at,
        )

    def list_members(
        self, session: Session, *, ctx: OrgContext, page: PageParams, role: OrgRole | None = None
    ) -> Page[Member]:
        rows, total = repository.members(
            session, ctx.org_id, limit=page.limit, offset=page.offset, role=role
        )
        people = self._people(session, (m.user_id for m in rows))
        return Page(
            items=[self._member_out(m, people) for m in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    def _membership(self, session: Session, ctx: OrgContext, user_id: int) -> Membership:
        membership = repository.get_membership(session, org_id=ctx.org_id, user_id=user_id)
        if membership is None:
            raise MemberNotFound(f"No member with user id {user_id} in this organisation")
        return membership

    def _ensure_other_owner(self, session: Session, org_id: int, user_id: int) -> None:
        owners = repository.lock_owner_ids(session, org_id)
        if [o for o in owners if o != user_id] == []:
            raise LastOwner(
                "An organisation keeps at least one owner: make someone else owner first"
            )

    def update_member(
        self, session: Session, *, ctx: OrgContext, user_id: int, member_in: MemberUpdate
    ) -> Member:
        """Change a member's role (admins; only owners grant or take away `owner`)."""
        ctx.require(OrgRole.ADMIN, "change roles")
        membership = self._membership(session, ctx, user_id)
        new_role = member_in.role
        old_role = OrgRole(membership.role)
        if OrgRole.OWNER in (old_role, new_role):
            ctx.require(OrgRole.OWNER, "grant or take away the owner role")
        if old_role == OrgRole.OWNER and new_role != OrgRole.OWNER:
            self._ensure_other_owner(session, ctx.org_id, user_id)
        if new_role != old_role:
            membership.role = new_role.value
            session.flush()
            audit_log.record(
                session,
                actor=ctx.actor,
                org_id=ctx.org_id,
                action="member.role_changed",
                resource_type="membership",
                resource_id=membership.id,
                details={"user_id": user_id, "from": old_role.value, "to": new_role.value},
            )
        return self._member_out(membership, self._people(session, [user_id]))

    def remove_member(self, session: Session, *, ctx: OrgContext, user_id: int) -> None:
        """Remove a member (admins; owners for an owner), or leave (anyone, for themselves)."""
        leaving = user_id == ctx.user_id
        if not leaving:
            ctx.require(OrgRole.ADMIN, "remove members")
        membership = self._membership(session, ctx, user_id)
        if membership.role == OrgRole.OWNER:
            if not leaving:
                ctx.require(OrgRole.OWNER, "remove an owner")
            self._ensure_other_owner(session, ctx.org_id, user_id)
        role = membership.role
        repository.delete_membership(session, membership.id)
        audit_log.record(
            session,
            actor=ctx.actor,
            org_id=ctx.org_id,
            action="member.left" if leaving else "member.removed",
            resource_type="membership",
            resource_id=membership.id,
            details={"user_id": user_id, "role": role},
        )

    def add_member(
        self, session: Session, *, actor: Actor, org_id: int, user_id: int, role: OrgRole
    ) -> Membership:
        """Make `user_id` a member (used by invitations and the CLI); 409 if already one."""
        if repository.get_membership(session, org_id=org_id, user_id=user_id) is not None:
            raise ConflictError("Already a member of this organisation", code="already-member")
        membership = Membership(org_id=org_id, user_id=user_id, role=role.value)
        if not repository.flush_unique(session, membership):
            raise ConflictError("Already a member of this organisation", code="already-member")
        audit_log.record(
            session,
            actor=actor,
            org_id=org_id,
            action="member.added",
            resource_type="membership",
            resource_id=membership.id,
            details={"user_id": user_id, "role": role.value},
        )
        return membership

    # --- teams ------------------------------------------------------------------------------

    def _team(self, session: Session, ctx: OrgContext, team_id: int) -> Team:
        team = repository.get_scoped(session, Team, org_id=ctx.org_id, id=team_id)
        if team is None:
            raise TeamNotFound(f"No team {team_id} in this organisation")
        return team

    @staticmethod
    def _team_out(team: Team, member_count: int) -> TeamOut:
        return TeamOut(
            id=team.id,
            name=team.name,
            description=team.description,
            member_count=member_count,
            created_at=team.created_at,
            updated_at=team.updated_at,
        )

    def _check_team_name(
        self, session: Session, ctx: OrgContext, name: str, exclude_id: int | None
    ) -> None:
        if repository.team_name_taken(session, org_id=ctx.org_id, name=name, exclude_id=exclude_id):
            raise ConflictError(f"A team called {name!r} exists", code="team-name-taken")

    def list_teams(self, session: Session, *, ctx: OrgContext, page: PageParams) -> Page[TeamOut]:
        rows, total = repository.teams(session, ctx.org_id, limit=page.limit, offset=page.offset)
        return Page(
            items=[self._team_out(team, int(n)) for team, n in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    def create_team(self, session: Session, *, ctx: OrgContext, team_in: TeamCreate) -> TeamOut:
        ctx.require(OrgRole.ADMIN, "manage teams")
        self._check_team_name(session, ctx, team_in.name, None)
        team = Team(org_id=ctx.org_id, name=team_in.name, description=team_in.description)
        if not repository.flush_unique(session, team):
            raise ConflictError(f"A team called {team_in.name!r} exists", code="team-name-taken")
        self._audit_team(session, ctx, "team.created", team, {"name": team.name})
        return self._team_out(team, 0)

    def get_team(self, session: Session, *, ctx: OrgContext, team_id: int) -> TeamOut:
        team = self._team(session, ctx, team_id)
        count = repository.team_member_count(session, org_id=ctx.org_id, team_id=team.id)
        return self._team_out(team, count)

    def update_team(
        self, session: Session, *, ctx: OrgContext, team_id: int, team_in: TeamUpdate
    ) -> TeamOut:
        ctx.require(OrgRole.ADMIN, "manage teams")
        team = self._team(session, ctx, team_id)
        changes = team_in.model_dump(exclude_unset=True, exclude_none=True)
        if "name" in changes:
            self._check_team_name(session, ctx, changes["name"], team.id)
        for field, value in changes.items():
            setattr(team, field, value)
        if not repository.flush_unique(session):
            raise ConflictError(f"A team called {team.name!r} exists", code="team-name-taken")
        if changes:
            self._audit_team(session, ctx, "team.updated", team, changes)
        return self.get_team(session, ctx=ctx, team_id=team.id)

    def delete_team(self, session: Session, *, ctx: OrgContext, team_id: int) -> None:
        ctx.require(OrgRole.ADMIN, "manage teams")
        team = self._team(session, ctx, team_id)
        self._audit_team(session, ctx, "team.deleted", team, {"name": team.name})
        repository.delete_team(session, org_id=ctx.org_id, team_id=team.id)
        session.expunge(team)

    def list_team_members(
        self, session: Session, *, ctx: OrgContext, team_id: int, page: PageParams
    ) -> Page[TeamMember]:
        team = self._team(session, ctx, team_id)
        rows, total = repository.team_members(
            session, org_id=ctx.org_id, team_id=team.id, limit=page.limit, offset=page.offset
        )
        people = self._people(session, (m.user_id for _, m in rows))
        items = []
        for team_member, membership in rows:
            user = people.get(membership.user_id)
            items.append(
                TeamMember(
                    user_id=membership.user_id,
                    email=getattr(user, "email", "") or "",
                    display_name=getattr(user, "display_name", None),
                    role=OrgRole(membership.role),
                    added_at=team_member.created_at,
                )
            )
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    def add_team_member(
        self, session: Session, *, ctx: OrgContext, team_id: int, member_in: TeamMemberAdd
    ) -> TeamMember:
        from ecotrack.orgs.models import TeamMember as TeamMemberRow

        ctx.require(OrgRole.ADMIN, "manage teams")
        team = self._team(session, ctx, team_id)
        membership = repository.get_membership(
            session, org_id=ctx.org_id, user_id=member_in.user_id
        )
        if membership is None:
            raise ValidationFailed(
                "Only members of the organisation can join its teams",
                code="not-an-org-member",
                errors=[
                    {"loc": ["body", "user_id"], "msg": "not a member", "type": "not_a_member"}
                ],
            )
        if repository.get_team_member(
            session, org_id=ctx.org_id, team_id=team.id, membership_id=membership.id
        ):
            raise ConflictError("Already in this team", code="already-in-team")
        row = TeamMemberRow(org_id=ctx.org_id, team_id=team.id, membership_id=membership.id)
        if not repository.flush_unique(session, row):
            raise ConflictError("Already in this team", code="already-in-team")
        self._audit_team(session, ctx, "team.member_added", team, {"user_id": member_in.user_id})
        user = self._people(session, [membership.user_id]).get(membership.user_id)
        return TeamMember(
            user_id=membership.user_id,
            email=getattr(user, "email", "") or "",
            display_name=getattr(user, "display_name", None),
            role=OrgRole(membership.role),
            added_at=row.created_at,
        )

    def remove_team_member(
        self, session: Session, *, ctx: OrgContext, team_id: int, user_id: int
    ) -> None:
        ctx.require(OrgRole.ADMIN, "manage teams")
        team = self._team(session, ctx, team_id)
        membership = repository.get_membership(session, org_id=ctx.org_id, user_id=user_id)
        row = (
            None
            if membership is None
            else repository.get_team_member(
                session, org_id=ctx.org_id, team_id=team.id, membership_id=membership.id
            )
        )
        if row is None:
            raise MemberNotFound(f"User {user_id} is not in this team")
        repository.delete_team_member(session, row.id)
        self._audit_team(session, ctx, "team.member_removed", team, {"user_id": user_id})

    def _audit_team(
        self, session: Session, ctx: OrgContext, action: str, team: Team, details: dict[str, Any]
    ) -> None:
        audit_log.record(
            session,
            actor=ctx.actor,
            org_id=ctx.org_id,
            action=action,
            resource_type="team",
            resource_id=team.id,
            details=details,
        )

    # --- audit log --------------------------------------------------------------------------

    def audit_log(
        self,
        session: Session,
        *,
        ctx: OrgContext,
        page: PageParams,
        action: str | None = None,
        actor_id: int | None = None,
        resource_type: str | None = None,
    ) -> Page[Any]:
        """The organisation's audit records, newest first (admins and owners)."""
        ctx.require(OrgRole.ADMIN, "read the audit log")
        records, total = audit_service.list(
            session,
            org_id=ctx.org_id,
            action=action,
            actor_id=actor_id,
            resource_type=resource_type,
            limit=page.limit,
            offset=page.offset,
        )
        return Page(items=records, total=total, limit=page.limit, offset=page.offset)

    # --- for other domains ------------------------------------------------------------------

    def org_ids_of_user(self, session: Session, *, user_id: int) -> list[int]:
        """Ids of the organisations the user belongs to (for other domains)."""
        return [m.org_id for m in repository.memberships_of_user(session, user_id)]

    def member_user_ids(
        self, session: Session, *, org_id: int, team_id: int | None = None
    ) -> list[int]:
        """User ids of the organisation's members, or of one of its teams (for other domains:
        one query, no profiles; leaderboards use it)."""
        return repository.member_user_ids(session, org_id=org_id, team_id=team_id)

    def org_of_team(self, session: Session, *, team_id: int) -> int | None:
        """The organisation a team belongs to, or None (callers check membership next)."""
        team = repository.get_team(session, team_id)
        return None if team is None else team.org_id

    def factor_layers_for(
        self, session: Session, *, org_id: int, org_slug: str | None = None
    ) -> tuple[OverrideSet, list[LLMCustomModel]]:
        """`factor_overrides_for` and `custom_models_for` together. Given the slug, an
        organisation with neither (most) costs one existence query instead of three reads."""
        if org_slug:
            has_overrides, has_models = repository.has_factor_layers(session, org_id)
            if not has_overrides and not has_models:
                return OverrideSet(org_slug), []
        return (
            self.factor_overrides_for(session, org_id=org_id),
            self.custom_models_for(session, org_id=org_id),
        )

    def factor_overrides_for(self, session: Session, *, org_id: int) -> OverrideSet:
        """The organisation's factors as the calculation engine's override layer."""
        return override_service.override_set(session, org_id=org_id)

    def custom_models_for(self, session: Session, *, org_id: int) -> list[LLMCustomModel]:
        """The organisation's own LLMs, for `ModelCatalogue.with_custom_models`."""
        return override_service.llm_custom_models(session, org_id=org_id)

    def touch_api_key(
        self, session: Session, *, principal: ApiKeyPrincipal, settings: Settings
    ) -> None:
        """Write the key's `last_used_at` if its check left that due (SQLite read phase)."""
        api_key_service.touch(session, principal=principal, settings=settings)

    def authenticate_api_key(
        self,
        session: Session,
        *,
        secret: str,
        timestamp: str | None,
        signature: str | None,
        body: bytes,
        settings: Settings,
        cache: ReplayCache,
    ) -> ApiKeyPrincipal:
        """An API key (and its request signature, for signed keys) -> who is calling."""
        return api_key_service.authenticate(
            session,
            secret=secret,
            timestamp=timestamp,
            signature=signature,
            body=body,
            settings=settings,
            cache=cache,
        )

    # --- reactions --------------------------------------------------------------------------

    def export_for_user(self, session: Session, *, user_id: int) -> dict[str, Any]:
        """The user's memberships (with teams) and the API keys they created (never secrets)."""
        rows = repository.export_rows(session, user_id)
        teams: dict[int, list[str]] = {}
        for membership_id, team_name in rows["teams"]:
            teams.setdefault(membership_id, []).append(team_name)
        return {
            "memberships": [
                {
                    "org_id": org.id,
                    "org_name": org.name,
                    "org_slug": org.slug,
                    "role": membership.role,
                    "joined_at": membership.created_at.isoformat(),
                    "teams": teams.get(membership.id, []),
                }
                for membership, org in rows["memberships"]
            ],
            "api_keys_created": [
                {
                    "org_id": key.org_id,
                    "prefix": key.prefix,
                    "name": key.name,
                    "scopes": key.scopes,
                    "created_at": key.created_at.isoformat(),
                    "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
                }
                for key in rows["api_keys"]
            ],
        }

    def forget_user(self, session: Session, *, user_id: int) -> dict[str, int]:
        """Erasure: end the user's memberships, revoke the keys they created, drop their name.

        An organisation left without an owner gets its longest-standing admin as owner.
        """
        now = utcnow()
        actor = Actor(user_id=None)
        memberships = repository.memberships_of_user(session, user_id)
        orphaned: list[int] = []
        for membership in memberships:
            was_owner = membership.role == OrgRole.OWNER
            org_id = membership.org_id
            repository.delete_membership(session, membership.id)
            session.expunge(membership)
            audit_log.record(
                session,
                actor=actor,
                org_id=org_id,
                action="member.erased",
                resource_type="membership",
                resource_id=membership.id,
                details={"user_id": user_id},
            )
            if was_owner and not repository.lock_owner_ids(session, org_id):
                orphaned.append(org_id)
        for org_id in orphaned:
            heir = repository.oldest_member_with_role(session, org_id, OrgRole.ADMIN)
            if heir is not None:
                heir.role = OrgRole.OWNER.value
                audit_log.record(
                    session,
                    actor=actor,
                    org_id=org_id,
                    action="member.role_changed",
                    resource_type="membership",
                    resource_id=heir.id,
                    details={"user_id": heir.user_id, "from": "admin", "to": "owner"},
                )
        keys = repository.revoke_keys_created_by(session, user_id=user_id, now=now)
        for key in keys:
            audit_log.record(
                session,
                actor=actor,
                org_id=key.org_id,
                action="api_key.revoked",
                resource_type="api_key",
                resource_id=key.id,
                details={"reason": "creator erased"},
            )
        repository.forget_org_creator(session, user_id=user_id)
        invitations = repository.forget_user_in_invitations(session, user_id=user_id)
        session.flush()
        return {"memberships": len(memberships), "api_keys": len(keys), "invitations": invitations}


orgs_service = OrgsService()


@subscribe("privacy.export_requested")
def _on_export_requested(
    session: Session, *, user_id: int, add: Callable[[str, Any], None], **_: Any
) -> None:
    add("orgs/organisations.json", orgs_service.export_for_user(session, user_id=user_id))


@subscribe("user.erased")
def _on_user_erased(session: Session, *, user_id: int, **_: Any) -> None:
    orgs_service.forget_user(session, user_id=user_id)
