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


def _org_world(world: MatrixWorld) -> None:
    """Organisation A (owner, org admin, member, viewer, a member to act on, a team) and
    organisation B whose owner is the "other organisation's user"."""
    from ecotrack.orgs.context import Actor, OrgRole
    from ecotrack.orgs.schemas import OrgCreate, TeamCreate
    from ecotrack.orgs.service import orgs_service

    def user(name: str) -> Any:
        return make_user(world.session, f"matrix-{name}@example.org", settings=world.settings)

    def org(owner: Any, slug: str) -> Any:
        return orgs_service.create_org(
            world.session,
            actor=Actor(user_id=owner.id, email=owner.email),
            owner_id=owner.id,
            org_in=OrgCreate(name=slug.upper(), slug=slug),
            settings=world.settings,
        )

    owner = world.users[Principal.OWNER] = user("owner")
    a = org(owner, "matrix-a")
    roles = {
        Principal.ORG_ADMIN: OrgRole.ADMIN,
        Principal.MEMBER: OrgRole.MEMBER,
        Principal.VIEWER: OrgRole.VIEWER,
    }
    target = user("target")
    for principal, role in [*roles.items(), (None, OrgRole.MEMBER)]:
        member = target if principal is None else user(principal.value.replace("_", "-"))
        if principal is not None:
            world.users[principal] = member
        orgs_service.add_member(
            world.session, actor=Actor(user_id=None), org_id=a.id, user_id=member.id, role=role
        )
    other = world.users[Principal.OTHER_ORG_USER] = user("other")
    org(other, "matrix-b")
    ctx = orgs_service.access(
        world.session, org_id=a.id, user_id=owner.id, email=owner.email, role=OrgRole.OWNER
    )
    team = orgs_service.create_team(world.session, ctx=ctx, team_in=TeamCreate(name="Matrix"))
    world.session.commit()
    world.params.update(org_id=str(a.id), user_id=str(target.id), team_id=str(team.id))


def _member_of_world(principal: Principal) -> PrincipalFactory:
    def factory(world: MatrixWorld) -> dict[str, str]:
        return auth_headers(world.session, world.users[principal], settings=world.settings)

    return factory


WORLD_BUILDERS: list[Callable[[MatrixWorld], None]] = [_org_world]
# Dict order is call order: the owner comes last (it may delete the organisation).
FACTORIES: dict[Principal, PrincipalFactory] = {
    Principal.ANONYMOUS: _anonymous,
    Principal.USER: _user,
    Principal.PLATFORM_ADMIN: _platform_admin,
    Principal.OTHER_ORG_USER: _member_of_world(Principal.OTHER_ORG_USER),
    Principal.VIEWER: _member_of_world(Principal.VIEWER),
    Principal.MEMBER: _member_of_world(Principal.MEMBER),
    Principal.ORG_ADMIN: _member_of_world(Principal.ORG_ADMIN),
    Principal.OWNER: _member_of_world(Principal.OWNER),
}


def build_world(
    session: Session, settings: Settings
) -> tuple[MatrixWorld, dict[Principal, dict[str, str]]]:
    world = MatrixWorld(session=session, settings=settings)
    for builder in WORLD_BUILDERS:
        builder(world)
    headers = {principal: factory(world) for principal, factory in FACTORIES.items()}
    return world, headers
