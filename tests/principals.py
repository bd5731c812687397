"""Principals for tests: users created in the test database and the headers that authenticate them.

* `make_user(session, email, admin=..., verified=...)` creates an account through the real
  identity service (fast "test" password hashing, see below).
* `auth_headers(session, user)` logs the user in (a real session) and returns
  `{"Authorization": "Bearer <access token>"}`.
* `FACTORIES` maps each `tests.authz.Principal` the suite can construct to a function that builds
  it inside a `MatrixWorld` and returns its headers. The authorisation matrix
  (tests/test_authz_matrix.py) calls every route as each of them. Domains with their own context
  (organisations: an org, its members, another org) add a world builder to `WORLD_BUILDERS`
  (it runs first and may fill `world.params`, the values of path parameters such as `org_id`)
  and their principals to `FACTORIES`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Password hashing at production cost only where a test is about it (the default stays strong).
os.environ.setdefault("ECOTRACK_PASSWORD_HASH_PROFILE", "test")

from sqlalchemy.orm import Session  # noqa: E402

from ecotrack.core.settings import Settings, get_settings  # noqa: E402
from ecotrack.identity.service import ClientInfo, identity_service  # noqa: E402
from tests.authz import Principal  # noqa: E402

PASSWORD = "a sturdy test passphrase 42"


def test_settings(settings: Settings | None) -> Settings:
    """`settings` (or the environment's) with the fast hashing profile."""
    base = settings or get_settings()
    return base.model_copy(update={"password_hash_profile": "test"})


test_settings.__test__ = False  # type: ignore[attr-defined]


def make_user(
    session: Session,
    email: str | None = None,
    *,
    admin: bool = False,
    verified: bool = True,
    password: str = PASSWORD,
    display_name: str | None = None,
    settings: Settings | None = None,
) -> Any:
    """A user row (committed to the test transaction)."""
    email = email or f"user-{secrets.token_hex(4)}@example.org"
    user = identity_service.create_user(
        session,
        email=email,
        password=password,
        display_name=display_name,
        is_admin=admin,
        is_verified=verified,
        settings=test_settings(settings),
    )
    session.commit()
    return user


def login(
    session: Session, user: Any, *, password: str = PASSWORD, settings: Settings | None = None
) -> Any:
    """A real login (session + tokens) for `user`: `IssuedTokens`."""
    issued = identity_service.login(
        session,
        email=user.email,
        password=password,
        client=ClientInfo(ip="testclient", user_agent="pytest"),
        settings=test_settings(settings),
    )
    session.commit()
    return issued


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def auth_headers(
    session: Session, user: Any, *, password: str = PASSWORD, settings: Settings | None = None
) -> dict[str, str]:
    return bearer(login(session, user, password=password, settings=settings).access_token)


def user_headers(session: Session, settings: Settings | None = None) -> dict[str, str]:
    return auth_headers(session, make_user(session, settings=settings), settings=settings)


def admin_headers(session: Session, settings: Settings | None = None) -> dict[str, str]:
    user = make_user(session, admin=True, settings=settings)
    return auth_headers(session, user, settings=settings)


# --- the authorisation matrix's principals -------------------------------------------------


@dataclass
class MatrixWorld:
    """What one matrix run builds: path parameter values and each principal's headers."""

    session: Session
    settings: Settings
    params: dict[str, str] = field(default_factory=dict)
    users: dict[Principal, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def path(self, template: str) -> str:
        """Fill `{name}` placeholders from `params` (1 for ids nobody set: a row that may not
        exist, which is fine: denial must come before any lookup)."""
        out = template
        while "{" in out:
            start = out.index("{")
            end = out.index("}", start)
            name = out[start + 1 : end]
            out = out[:start] + self.params.get(name, "1") + out[end + 1 :]
        return out


PrincipalFactory = Callable[[MatrixWorld], dict[str, str]]


def _anonymous(world: MatrixWorld) -> dict[str, str]:  # noqa: ARG001 - the factory signature
    return {}


def _user(world: MatrixWorld) -> dict[str, str]:
    user = make_user(world.session, "matrix-user@example.org", settings=world.settings)
    world.users[Principal.USER] = user
    return auth_headers(world.session, user, settings=world.settings)


def _platform_admin(world: MatrixWorld) -> dict[str, str]:
    user = make_user(world.session, "matrix-admin@example.org", admin=True, settings=world.settings)
    world.users[Principal.PLATFORM_ADMIN] = user
    return auth_headers(world.session, user, settings=world.settings)


WORLD_BUILDERS: list[Callable[[MatrixWorld], None]] = []
FACTORIES: dict[Principal, PrincipalFactory] = {
    Principal.ANONYMOUS: _anonymous,
    Principal.USER: _user,
    Principal.PLATFORM_ADMIN: _platform_admin,
}


def build_world(
    session: Session, settings: Settings
) -> tuple[MatrixWorld, dict[Principal, dict[str, str]]]:
    world = MatrixWorld(session=session, settings=settings)
    for builder in WORLD_BUILDERS:
        builder(world)
    headers = {principal: factory(world) for principal, factory in FACTORIES.items()}
    return world, headers
