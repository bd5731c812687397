from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ecotrack.identity.models import AuthSession, RefreshToken, User, UserToken

# --- users ----------------------------------------------------------------------------------


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def display_names(session: Session, user_ids: list[int]) -> dict[int, str | None]:
    if not user_ids:
        return {}
    stmt = select(User.id, User.display_name).where(User.id.in_(user_ids))
    return {int(uid): name for uid, name in session.execute(stmt)}


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def insert_user_if_new(session: Session, values: dict[str, Any]) -> int | None:
    """One `INSERT … ON CONFLICT (email) DO NOTHING RETURNING id`: the new user's id, or None
    when the address has an account (a concurrent registration took it first)."""
    insert: Any = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(User)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[User.email])
        .returning(User.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def list_users(
    session: Session,
    *,
    q: str | None,
    role: str | None,
    is_active: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[User], int]:
    stmt = select(User).where(User.erased_at.is_(None))
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        stmt = stmt.where(
            or_(
                User.email.like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    if role is not None:
        stmt = stmt.where(User.role == role)
    if is_active is not None:
        stmt = stmt.where(User.is_active.is_(is_active))
    total = int(session.execute(stmt.with_only_columns(func.count())).scalar_one())
    rows = session.execute(stmt.order_by(User.id).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def count_admins(session: Session) -> int:
    stmt = select(func.count()).select_from(User).where(User.role == "admin", User.is_active)
    return int(session.execute(stmt).scalar_one())


# --- sessions and refresh tokens ------------------------------------------------------------


def add_session(session: Session, auth_session: AuthSession) -> AuthSession:
    session.add(auth_session)
    session.flush()
    return auth_session


def get_session(session: Session, session_id: int) -> AuthSession | None:
    return session.get(AuthSession, session_id)


def active_sessions(session: Session, user_id: int, *, now: datetime) -> list[AuthSession]:
    stmt = (
        select(AuthSession)
        .where(AuthSession.user_id == user_id)
        .where(AuthSession.revoked_at.is_(None))
        .where(AuthSession.expires_at > now)
        .order_by(AuthSession.last_used_at.desc(), AuthSession.id.desc())
    )
    return list(session.execute(stmt).scalars().all())


def all_sessions(session: Session, user_id: int) -> list[AuthSession]:
    stmt = select(AuthSession).where(AuthSession.user_id == user_id).order_by(AuthSession.id)
    return list(session.execute(stmt).scalars().all())


def revoke_sessions(
    session: Session, user_id: int, *, now: datetime, reason: str, except_id: int | None = None
) -> int:
    stmt = (
        update(AuthSession)
        .where(AuthSession.user_id == user_id)
        .where(AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    if except_id is not None:
        stmt = stmt.where(AuthSession.id != except_id)
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def delete_sessions(session: Session, user_id: int) -> None:
    ids = select(AuthSession.id).where(AuthSession.user_id == user_id)
    session.execute(delete(RefreshToken).where(RefreshToken.session_id.in_(ids)))
    session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))


def add_refresh_token(session: Session, token: RefreshToken) -> RefreshToken:
    session.add(token)
    session.flush()
    return token


def get_refresh_token(session: Session, token_hash: str) -> RefreshToken | None:
    stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    if session.get_bind().dialect.name == "postgresql":
        # Two concurrent refreshes with one token: the second waits, then sees it used.
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def newest_refresh_tokens(session: Session, session_id: int, *, limit: int) -> list[RefreshToken]:
    """The family's most recent tokens, newest first (issue order, by id)."""
    stmt = (
        select(RefreshToken)
        .where(RefreshToken.session_id == session_id)
        .order_by(RefreshToken.id.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars().all())


# --- one-time tokens ------------------------------------------------------------------------


def add_user_token(session: Session, token: UserToken) -> UserToken:
    session.add(token)
    session.flush()
    return token


def get_user_token(session: Session, token_hash: str, purpose: str) -> UserToken | None:
    stmt = select(UserToken).where(UserToken.token_hash == token_hash, UserToken.purpose == purpose)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def expire_user_tokens(session: Session, user_id: int, purpose: str, *, now: datetime) -> None:
    session.execute(
        update(UserToken)
        .where(UserToken.user_id == user_id, UserToken.purpose == purpose)
        .where(UserToken.used_at.is_(None))
        .values(used_at=now)
    )


def delete_user_tokens(session: Session, user_id: int) -> None:
    session.execute(delete(UserToken).where(UserToken.user_id == user_id))
