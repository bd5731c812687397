"""Organisation tests address people by user row: `make_user` signs the new account in once
(through tests/principals.py, the real identity service) and `auth_headers(user)` reuses that
session's access token, so a test needs no session handle to act as someone."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tests import principals

_TOKENS: dict[int, str] = {}


def make_user(session: Session, email: str, *, verified: bool = True, admin: bool = False) -> Any:
    user = principals.make_user(session, email, verified=verified, admin=admin)
    _TOKENS[user.id] = principals.login(session, user).access_token
    return user


def auth_headers(user: Any) -> dict[str, str]:
    return principals.bearer(_TOKENS[user.id])
