"""Who is acting on an organisation: roles, API-key scopes and the resolved access context.

Plain data (no FastAPI): `auth.py` builds these from a request, services receive them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ecotrack.core.errors import AppError, NotFoundError


class OrgRole(StrEnum):
    """An organisation role. Each includes the rights of the ones below it."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: OrgRole) -> bool:
        return self.rank >= other.rank


_RANK = {OrgRole.VIEWER: 0, OrgRole.MEMBER: 1, OrgRole.ADMIN: 2, OrgRole.OWNER: 3}


class ApiScope(StrEnum):
    """What an API key may do. `admin` includes `read` and `ingest`."""

    INGEST = "ingest"
    READ = "read"
    ADMIN = "admin"


class OrgNotFound(NotFoundError):
    """The organisation does not exist *or the caller is not a member*: never tell which."""

    code = "org-not-found"

    def __init__(self, org_id: int) -> None:
        super().__init__(f"No organisation {org_id}")


class OrgForbidden(AppError):
    """A member whose role is below what the action needs."""

    status_code = 403
    code = "org-role-required"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs an action outside any organisation context (None user id: the CLI)."""

    user_id: int | None
    email: str | None = None
    ip: str | None = None


@dataclass(frozen=True, slots=True)
class OrgContext:
    """A signed-in member acting on one organisation (what `OrgViewer` … `OrgOwner` resolve to)."""

    org_id: int
    user_id: int
    email: str
    role: OrgRole
    membership_id: int
    ip: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, email=self.email, ip=self.ip)

    def require(self, role: OrgRole, action: str = "do this") -> None:
        if not self.role.at_least(role):
            raise OrgForbidden(f"Only an organisation {role.value} or above can {action}")


@dataclass(frozen=True, slots=True)
class ApiKeyPrincipal:
    """A request authenticated by an API key (what `ApiKeyAuth`, `IngestKey`, `ReadKey` give)."""

    api_key_id: int
    key_id: str
    org_id: int
    name: str
    scopes: frozenset[ApiScope]
    signed: bool
    created_by_id: int | None
    org_slug: str = ""  # the organisation's slug (plan lookups), read with the key
    # The key's `last_used_at` is due a write that the check left to the caller (a SQLite read
    # phase: `ecotrack.core.db.sqlite_read_phase`); see `ApiKeyService.touch`.
    touch_due: bool = False

    def allows(self, scope: ApiScope) -> bool:
        return scope in self.scopes or ApiScope.ADMIN in self.scopes


@dataclass(frozen=True, slots=True)
class OrgAccess:
    """Read access to one organisation, by a member (viewer+) or by one of its API keys (`read`).

    Exactly one of `user_id` / `api_key_id` is set; `role` is the member's role (None for a key).
    """

    org_id: int
    user_id: int | None = None
    role: OrgRole | None = None
    api_key_id: int | None = None
    key_id: str | None = None
