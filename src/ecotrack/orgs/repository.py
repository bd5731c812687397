"""Every SQL statement of the organisations domain.

Tenant rows are read through `scoped()` / `get_scoped()`, which always add `org_id = :org_id`:
a row of another organisation is simply not found (the service answers 404).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ecotrack.orgs.models import (
    ApiKey,
    CustomModel,
    FactorOverride,
    Invitation,
    Membership,
    Organisation,
    Team,
    TeamMember,
)

_TENANT_MODELS = (ApiKey, CustomModel, FactorOverride, Invitation, Membership, Team, TeamMember)
T = TypeVar("T", ApiKey, CustomModel, FactorOverride, Invitation, Membership, Team, TeamMember)


def scoped(model: type[T], org_id: int) -> Select[T]:
    """`SELECT model WHERE org_id = :org_id`: the start of every tenant query."""
    return select(model).where(model.org_id == org_id)


def get_scoped(session: Session, model: type[T], *, org_id: int, id: int) -> T | None:
    """One row of `model` by id, only if it belongs to `org_id`."""
    stmt = scoped(model, org_id).where(model.id == id)
    if model is FactorOverride:
        stmt = stmt.options(joinedload(FactorOverride.org))
    return session.execute(stmt).scalar_one_or_none()


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def flush_unique(session: Session, row: Any | None = None) -> bool:
    """Add `row` (if given) and flush inside a savepoint; False if a unique key refused it
    (a concurrent request won the race the service's check could not see)."""
    try:
        with session.begin_nested():
            if row is not None:
                session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


AnySelect = Select[*tuple[Any, ...]]


def _page(session: Session, stmt: AnySelect, *, limit: int, offset: int) -> tuple[list[Any], int]:
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    return [r if len(r) > 1 else r[0] for r in rows], int(total.scalar_one())


# --- organisations ----------------------------------------------------------------------------


def get_org(session: Session, org_id: int) -> Organisation | None:
    return session.get(Organisation, org_id)


def get_org_by_slug(session: Session, slug: str) -> Organisation | None:
    return session.execute(
        select(Organisation).where(Organisation.slug == slug)
    ).scalar_one_or_none()


def slugs_starting_with(session: Session, stem: str) -> set[str]:
    rows = session.execute(
        select(Organisation.slug).where(Organisation.slug.startswith(stem, autoescape=True))
    )
    return set(rows.scalars())


def delete_org(session: Session, org_id: int) -> None:
    """Delete an organisation; its foreign keys cascade to every tenant row."""
    session.flush()
    session.execute(delete(Organisation).where(Organisation.id == org_id))
    for row in list(session.identity_map.values()):  # forget the rows the cascade removed
        if (isinstance(row, Organisation) and row.id == org_id) or (
            getattr(row, "org_id", None) == org_id and isinstance(row, _TENANT_MODELS)
        ):
            session.expunge(row)


def orgs_of_user(
    session: Session, user_id: int, *, limit: int, offset: int
) -> tuple[list[tuple[Organisation, str]], int]:
    stmt = (
        select(Organisation, Membership.role)
        .join(Membership, Membership.org_id == Organisation.id)
        .where(Membership.user_id == user_id)
        .order_by(Organisation.name, Organisation.id)
    )
    return _page(session, stmt, limit=limit, offset=offset)


def count_orgs_created_by(session: Session, user_id: int) -> int:
    stmt = select(func.count()).where(Organisation.created_by_id == user_id)
    return int(session.execute(stmt).scalar_one())


# --- memberships ----------------------------------------------------------------------------


def get_membership(session: Session, *, org_id: int, user_id: int) -> Membership | None:
    stmt = scoped(Membership, org_id).where(Membership.user_id == user_id)
    return session.execute(stmt).scalar_one_or_none()


def members(
    session: Session, org_id: int, *, limit: int, offset: int, role: str | None = None
) -> tuple[list[Membership], int]:
    stmt = scoped(Membership, org_id).order_by(Membership.created_at, Membership.id)
    if role is not None:
        stmt = stmt.where(Membership.role == role)
    return _page(session, stmt, limit=limit, offset=offset)


def get_team(session: Session, team_id: int) -> Team | None:
    return session.get(Team, team_id)


def member_user_ids(session: Session, *, org_id: int, team_id: int | None = None) -> list[int]:
    stmt = select(Membership.user_id).where(Membership.org_id == org_id)
    if team_id is not None:
        stmt = stmt.join(TeamMember, TeamMember.membership_id == Membership.id).where(
            TeamMember.org_id == org_id, TeamMember.team_id == team_id
        )
    return [int(u) for u in session.execute(stmt.order_by(Membership.user_id)).scalars()]


def lock_owner_ids(session: Session, org_id: int) -> list[int]:
    """User ids of the owners, locking their rows (PostgreSQL) so two demotions serialise."""
    stmt = (
        select(Membership.user_id)
        .where(Membership.org_id == org_id, Membership.role == "owner")
        .order_by(Membership.id)
        .with_for_update()
    )
    return list(session.execute(stmt).scalars())


def oldest_member_with_role(session: Session, org_id: int, role: str) -> Membership | None:
    stmt = (
        scoped(Membership, org_id)
        .where(Membership.role == role)
        .order_by(Membership.created_at, Membership.id)
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def delete_membership(session: Session, membership_id: int) -> None:
    session.execute(delete(TeamMember).where(TeamMember.membership_id == membership_id))
    session.execute(delete(Membership).where(Membership.id == membership_id))


def memberships_of_user(session: Session, user_id: int) -> list[Membership]:
    stmt = select(Membership).where(Membership.user_id == user_id).order_by(Membership.id)
    return list(session.execute(stmt).scalars())


# --- teams ----------------------------------------------------------------------------------


def teams(session: Session, org_id: int, *, limit: int, offset: int) -> tuple[list[Any], int]:
    """Teams with their member counts (one query)."""
    counts = (
        select(TeamMember.team_id, func.count().label("n"))
        .where(TeamMember.org_id == org_id)
        .group_by(TeamMember.team_id)
        .subquery()
    )
    stmt = (
        select(Team, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.team_id == Team.id)
        .where(Team.org_id == org_id)
        .order_by(Team.name, Team.id)
    )
    return _page(session, stmt, limit=limit, offset=offset)


def team_member_count(session: Session, *, org_id: int, team_id: int) -> int:
    stmt = select(func.count()).where(TeamMember.org_id == org_id, TeamMember.team_id == team_id)
    return int(session.execute(stmt).scalar_one())


def team_name_taken(session: Session, *, org_id: int, name: str, exclude_id: int | None) -> bool:
    stmt = scoped(Team, org_id).where(
        or_(Team.name == name, func.lower(Team.name) == func.lower(name))
    )
    if exclude_id is not None:
        stmt = stmt.where(Team.id != exclude_id)
    return session.execute(stmt.limit(1)).first() is not None


def delete_team(session: Session, *, org_id: int, team_id: int) -> None:
    session.execute(
        delete(TeamMember).where(TeamMember.org_id == org_id, TeamMember.team_id == team_id)
    )
    session.execute(delete(Team).where(Team.org_id == org_id, Team.id == team_id))


def team_members(
    session: Session, *, org_id: int, team_id: int, limit: int, offset: int
) -> tuple[list[tuple[TeamMember, Membership]], int]:
    stmt = (
        select(TeamMember, Membership)
        .join(Membership, Membership.id == TeamMember.membership_id)
        .where(TeamMember.org_id == org_id, TeamMember.team_id == team_id)
        .order_by(TeamMember.created_at, TeamMember.id)
    )
    return _page(session, stmt, limit=limit, offset=offset)


def get_team_member(
    session: Session, *, org_id: int, team_id: int, membership_id: int
) -> TeamMember | None:
    stmt = scoped(TeamMember, org_id).where(
        TeamMember.team_id == team_id, TeamMember.membership_id == membership_id
    )
    return session.execute(stmt).scalar_one_or_none()


def delete_team_member(session: Session, team_member_id: int) -> None:
    session.execute(delete(TeamMember).where(TeamMember.id == team_member_id))


# --- invitations ----------------------------------------------------------------------------


def invitations(
    session: Session,
    org_id: int,
    *,
    limit: int,
    offset: int,
    pending_at: datetime | None = None,
) -> tuple[list[Invitation], int]:
    stmt = scoped(Invitation, org_id).order_by(Invitation.created_at.desc(), Invitation.id.desc())
    if pending_at is not None:
        stmt = stmt.where(*_pending(pending_at))
    return _page(session, stmt, limit=limit, offset=offset)


def _pending(now: datetime) -> tuple[Any, ...]:
    return (
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > now,
    )


def pending_invitation(
    session: Session, *, org_id: int, email: str, now: datetime
) -> Invitation | None:
    stmt = scoped(Invitation, org_id).where(Invitation.email == email, *_pending(now))
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def invitations_created_since(session: Session, *, org_id: int, since: datetime) -> list[datetime]:
    """Creation times of the organisation's invitations since `since`, oldest first."""
    stmt = (
        select(Invitation.created_at)
        .where(Invitation.org_id == org_id, Invitation.created_at >= since)
        .order_by(Invitation.created_at)
    )
    return list(session.execute(stmt).scalars())


def invitation_by_token_hash(session: Session, token_hash: str) -> Invitation | None:
    stmt = select(Invitation).where(Invitation.token_hash == token_hash)
    return session.execute(stmt).scalar_one_or_none()


def claim_invitation(session: Session, *, invitation_id: int, user_id: int, now: datetime) -> bool:
    """Mark a pending invitation accepted; False if another request got there first."""
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, *_pending(now))
        .values(accepted_at=now, accepted_by_id=user_id, updated_at=now)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def delete_stale_invitations(session: Session, *, before: datetime) -> int:
    result = session.execute(
        delete(Invitation).where(
            Invitation.accepted_at.is_(None),
            ((Invitation.revoked_at.is_not(None)) & (Invitation.revoked_at < before))
            | (Invitation.expires_at < before),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def forget_org_creator(session: Session, *, user_id: int) -> None:
    session.execute(
        update(Organisation)
        .where(Organisation.created_by_id == user_id)
        .values(created_by_id=None)
        .execution_options(synchronize_session="fetch")
    )


def forget_user_in_invitations(session: Session, *, user_id: int) -> int:
    """Replace what invitations say about a user: their address and their id."""
    accepted = session.execute(
        select(Invitation.id).where(Invitation.accepted_by_id == user_id)
    ).scalars()
    count = 0
    for invitation_id in accepted:
        session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id)
            .values(email=f"erased-{invitation_id}@invalid", accepted_by_id=None)
            .execution_options(synchronize_session=False)
        )
        count += 1
    session.execute(
        update(Invitation)
        .where(Invitation.invited_by_id == user_id)
        .values(invited_by_id=None)
        .execution_options(synchronize_session=False)
    )
    return count


# --- API keys -------------------------------------------------------------------------------


def api_keys(
    session: Session, org_id: int, *, limit: int, offset: int, include_revoked: bool = True
) -> tuple[list[ApiKey], int]:
    stmt = scoped(ApiKey, org_id).order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return _page(session, stmt, limit=limit, offset=offset)


@dataclass(frozen=True, slots=True)
class ApiKeyCredential:
    """What checking a presented API key needs: the key's row and its organisation's slug."""

    id: int
    org_id: int
    key_id: str
    name: str
    scopes: list[str]
    secret_hash: str
    signed: bool
    signing_secret_enc: str | None
    created_by_id: int | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    org_slug: str


_CREDENTIAL = (
    select(
        *[ApiKey.__table__.c[f.name] for f in fields(ApiKeyCredential) if f.name != "org_slug"],
        Organisation.__table__.c.slug.label("org_slug"),
    )
    .join_from(ApiKey.__table__, Organisation.__table__)
    .where(ApiKey.__table__.c.key_id == bindparam("key_id"))
)


def api_key_credential(session: Session, key_id: str) -> ApiKeyCredential | None:
    """The key with `key_id` and its organisation's slug, in one query (every API-key request
    runs it): a Core statement built once and a plain record, about half the time of loading
    the ORM entity."""
    row = session.connection().execute(_CREDENTIAL, {"key_id": key_id}).first()
    return None if row is None else ApiKeyCredential(**row._mapping)


def key_id_exists(session: Session, key_id: str) -> bool:
    return session.execute(select(ApiKey.id).where(ApiKey.key_id == key_id)).first() is not None


def touch_api_key(session: Session, *, api_key_id: int, now: datetime, before: datetime) -> bool:
    """Set `last_used_at = now` unless it was set after `before` (at most one write a minute)."""
    result = session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == api_key_id,
            (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < before),
        )
        .values(last_used_at=now)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def revoke_keys_created_by(session: Session, *, user_id: int, now: datetime) -> list[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.created_by_id == user_id)
    rows = list(session.execute(stmt).scalars())
    for row in rows:
        if row.revoked_at is None:
            row.revoked_at = now
        row.created_by_id = None
    session.flush()
    return rows


# --- factor overrides and custom models -----------------------------------------------------


def factor_overrides(
    session: Session,
    org_id: int,
    *,
    limit: int | None = None,
    offset: int = 0,
    activity: str | None = None,
) -> tuple[list[FactorOverride], int]:
    stmt = (
        scoped(FactorOverride, org_id)
        .options(joinedload(FactorOverride.org))
        .order_by(FactorOverride.id)
    )
    if activity is not None:
        stmt = stmt.where(FactorOverride.activity == activity)
    if limit is None:
        rows = list(session.execute(stmt).scalars())
        return rows, len(rows)
    return _page(session, stmt, limit=limit, offset=offset)


_HAS_FACTOR_LAYERS = select(
    select(FactorOverride.id).where(FactorOverride.org_id == bindparam("org")).exists(),
    select(CustomModel.id).where(CustomModel.org_id == bindparam("org")).exists(),
)


def has_factor_layers(session: Session, org_id: int) -> tuple[bool, bool]:
    """Whether the organisation has any factor override / custom model: one Core statement
    (built once) on the session's connection, no ORM."""
    row = session.connection().execute(_HAS_FACTOR_LAYERS, {"org": org_id}).one()
    return bool(row[0]), bool(row[1])


def override_replacing(
    session: Session, *, org_id: int, replaces: str, exclude_id: int | None
) -> FactorOverride | None:
    stmt = scoped(FactorOverride, org_id).where(FactorOverride.replaces == replaces)
    if exclude_id is not None:
        stmt = stmt.where(FactorOverride.id != exclude_id)
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def custom_models(
    session: Session, org_id: int, *, limit: int | None = None, offset: int = 0
) -> tuple[list[CustomModel], int]:
    stmt = scoped(CustomModel, org_id).order_by(CustomModel.provider, CustomModel.name)
    if limit is None:
        rows = list(session.execute(stmt).scalars())
        return rows, len(rows)
    return _page(session, stmt, limit=limit, offset=offset)


def custom_model_named(
    session: Session, *, org_id: int, provider: str, name: str, exclude_id: int | None
) -> CustomModel | None:
    stmt = scoped(CustomModel, org_id).where(
        CustomModel.provider == provider, CustomModel.name == name
    )
    if exclude_id is not None:
        stmt = stmt.where(CustomModel.id != exclude_id)
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def delete_row(session: Session, row: Any) -> None:
    session.delete(row)
    session.flush()


def export_rows(session: Session, user_id: int) -> dict[str, list[Any]]:
    """What the organisations domain holds about a user, for their data export."""
    memberships = session.execute(
        select(Membership, Organisation)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.id)
    ).all()
    teams = session.execute(
        select(TeamMember.membership_id, Team.name)
        .join(Team, Team.id == TeamMember.team_id)
        .join(Membership, Membership.id == TeamMember.membership_id)
        .where(Membership.user_id == user_id)
        .order_by(Team.name)
    ).all()
    keys = session.execute(
        select(ApiKey).where(ApiKey.created_by_id == user_id).order_by(ApiKey.id)
    ).scalars()
    return {"memberships": list(memberships), "teams": list(teams), "api_keys": list(keys)}
