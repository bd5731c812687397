"""Invitations: by email, with a role, expiring, single use; only the token's hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ecotrack.core.db import utcnow
from ecotrack.core.errors import AppError, ConflictError, NotFoundError, RateLimited
from ecotrack.core.pagination import Page, PageParams
from ecotrack.core.settings import Settings
from ecotrack.email.service import email_service
from ecotrack.identity.service import identity_service
from ecotrack.orgs import audit_log, repository
from ecotrack.orgs.context import Actor, OrgContext, OrgRole
from ecotrack.orgs.models import Invitation
from ecotrack.orgs.schemas import Invitation as InvitationOut
from ecotrack.orgs.schemas import InvitationCreate, InvitationCreated, OrgWithRole

TOKEN_PREFIX = "inv_"  # noqa: S105 - a marker, not a secret


class InvitationNotFound(NotFoundError):
    code = "invitation-not-found"


class InvitationUsed(AppError):
    status_code = 409
    code = "invitation-used"


class InvitationExpired(AppError):
    status_code = 410
    code = "invitation-expired"


class InvitationEmailMismatch(AppError):
    status_code = 403
    code = "invitation-email-mismatch"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class InvitationService:
    def create(
        self,
        session: Session,
        *,
        ctx: OrgContext,
        invitation_in: InvitationCreate,
        settings: Settings,
    ) -> InvitationCreated:
        """Invite `email` with `role` (admins; only owners invite owners) and email the token."""
        ctx.require(OrgRole.ADMIN, "invite people")
        if invitation_in.role == OrgRole.OWNER:
            ctx.require(OrgRole.OWNER, "invite an owner")
        email = invitation_in.email
        now = utcnow()
        self._check_quota(session, ctx.org_id, now, settings.invitations_per_hour)
        user = identity_service.get_user_by_email(session, email=email)
        if user is not None and repository.get_membership(
            session, org_id=ctx.org_id, user_id=user.id
        ):
            raise ConflictError(f"{email} is already a member", code="already-member")
        if repository.pending_invitation(session, org_id=ctx.org_id, email=email, now=now):
            raise ConflictError(
                f"{email} already has a pending invitation: revoke it to send a new one",
                code="invitation-pending",
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        invitation = repository.add(
            session,
            Invitation(
                org_id=ctx.org_id,
                email=email,
                role=invitation_in.role.value,
                token_hash=hash_token(token),
                invited_by_id=ctx.user_id,
                expires_at=now + timedelta(hours=settings.invitation_ttl_hours),
            ),
        )
        audit_log.record(
            session,
            actor=ctx.actor,
            org_id=ctx.org_id,
            action="invitation.created",
            resource_type="invitation",
            resource_id=invitation.id,
            details={"role": invitation.role},
        )
        org = repository.get_org(session, ctx.org_id)
        org_name = org.name if org is not None else ""
        email_service.send(
            session,
            to=email,
            template="notice",
            context={
                "title": f"You are invited to join {org_name} on EcoTrack",
                "message": (
                    f"{ctx.email} invited you to join the organisation {org_name} on EcoTrack "
                    f"as {invitation.role}. Sign in with this email address, then accept the "
                    f"invitation here (valid until {invitation.expires_at:%Y-%m-%d %H:%M} UTC, "
                    f"once):\n\n{settings.public_url}/invitations/accept#token={token}\n\n"
                    "If you do not know this organisation, ignore this message."
                ),
            },
        )
        out = InvitationOut.model_validate(invitation)
        return InvitationCreated(**out.model_dump(exclude={"status"}), token=token)

    @staticmethod
    def _check_quota(session: Session, org_id: int, now: datetime, per_hour: int) -> None:
        """At most `per_hour` invitations per organisation in any hour (counted in the database,
        so every API process agrees without Redis)."""
        recent = repository.invitations_created_since(
            session, org_id=org_id, since=now - timedelta(hours=1)
        )
        if len(recent) >= per_hour:
            oldest = recent[-per_hour]
            retry_after = int((oldest + timedelta(hours=1) - now).total_seconds()) + 1
            raise RateLimited(
                f"At most {per_hour} invitations per hour per organisation",
                retry_after=retry_after,
            )

    def list(
        self, session: Session, *, ctx: OrgContext, page: PageParams, pending_only: bool = False
    ) -> Page[InvitationOut]:
        ctx.require(OrgRole.ADMIN, "see invitations")
        rows, total = repository.invitations(
            session,
            ctx.org_id,
            limit=page.limit,
            offset=page.offset,
            pending_at=utcnow() if pending_only else None,
        )
        return Page(
            items=[InvitationOut.model_validate(r) for r in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    def revoke(self, session: Session, *, ctx: OrgContext, invitation_id: int) -> Invitation:
        ctx.require(OrgRole.ADMIN, "revoke invitations")
        invitation = repository.get_scoped(session, Invitation, org_id=ctx.org_id, id=invitation_id)
        if invitation is None:
            raise InvitationNotFound(f"No invitation {invitation_id} in this organisation")
        now = utcnow()
        if invitation.accepted_at is not None:
            raise InvitationUsed("This invitation was already accepted")
        if invitation.revoked_at is None:
            invitation.revoked_at = now
            session.flush()
            audit_log.record(
                session,
                actor=ctx.actor,
                org_id=ctx.org_id,
                action="invitation.revoked",
                resource_type="invitation",
                resource_id=invitation.id,
                details={"role": invitation.role},
            )
        return invitation

    def accept(
        self, session: Session, *, actor: Actor, token: str, settings: Settings
    ) -> OrgWithRole:
        """Join the organisation: the signed-in user's email must be the invited one."""
        from ecotrack.orgs.service import orgs_service, with_role

        if actor.user_id is None or not actor.email:
            raise InvitationNotFound("Sign in to accept an invitation")
        invitation = repository.invitation_by_token_hash(session, hash_token(token))
        if invitation is None or invitation.revoked_at is not None:
            raise InvitationNotFound("No such invitation (it may have been revoked)")
        now = utcnow()
        if invitation.accepted_at is not None:
            raise InvitationUsed("This invitation was already used")
        if invitation.expires_at <= now:
            raise InvitationExpired("This invitation has expired: ask for a new one")
        if invitation.email != actor.email.strip().lower():
            audit_log.denied("invitation email mismatch", invitation_id=invitation.id)
            raise InvitationEmailMismatch(
                "This invitation was sent to another email address: sign in with that address"
            )
        if settings.invitation_require_verified_email:
            user = identity_service.get_user(session, user_id=actor.user_id)
            if user is None or not getattr(user, "is_verified", False):
                raise InvitationEmailMismatch(
                    "Verify your email address before accepting invitations",
                    code="email-not-verified",
                )
        if repository.get_membership(session, org_id=invitation.org_id, user_id=actor.user_id):
            raise ConflictError("You are already a member", code="already-member")
        if not repository.claim_invitation(
            session, invitation_id=invitation.id, user_id=actor.user_id, now=now
        ):
            raise InvitationUsed("This invitation was already used")
        role = OrgRole(invitation.role)
        orgs_service.add_member(
            session, actor=actor, org_id=invitation.org_id, user_id=actor.user_id, role=role
        )
        audit_log.record(
            session,
            actor=actor,
            org_id=invitation.org_id,
            action="invitation.accepted",
            resource_type="invitation",
            resource_id=invitation.id,
            details={"role": role.value},
        )
        org = repository.get_org(session, invitation.org_id)
        if org is None:  # pragma: no cover - the invitation goes with its organisation
            raise InvitationNotFound("No such invitation")
        return with_role(org, role)

    def prune(self, session: Session, *, older_than_days: int) -> int:
        """Delete invitations that expired or were revoked `older_than_days` ago (not accepted)."""
        cutoff = utcnow() - timedelta(days=older_than_days)
        return repository.delete_stale_invitations(session, before=cutoff)


invitation_service = InvitationService()
