"""TEMPORARY: users and auth headers through the real identity service (until tests/principals)."""

from __future__ import annotations

from typing import Any

from ecotrack.core.settings import get_settings
from ecotrack.identity.service import ClientInfo, identity_service

PASSWORD = "a sturdy test passphrase 42"
_TOKENS: dict[int, str] = {}
_SESSION: list[Any] = []


def make_user(session, email: str, *, verified: bool = True, admin: bool = False):  # type: ignore[no-untyped-def]
    settings = get_settings().model_copy(update={"password_hash_profile": "test"})
    user = identity_service.create_user(
        session,
        email=email,
        password=PASSWORD,
        is_verified=verified,
        is_admin=admin,
        settings=settings,
    )
    issued = identity_service.login(
        session,
        email=email,
        password=PASSWORD,
        client=ClientInfo(ip="testclient"),
        settings=settings,
    )
    _TOKENS[user.id] = issued.access_token
    return user


def auth_headers(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {_TOKENS[user.id]}"}
