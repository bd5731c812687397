"""The authorisation matrix: every API route, who may call it, and what everyone else gets.

Each route of the OpenAPI document must appear in `ROUTES` (a test fails when a new route is not
classified, so new routes join the matrix automatically). The identity capability fills in the
principals' fixtures and the expected outcome per principal; until then every route here is public.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Principal(StrEnum):
    ANONYMOUS = "anonymous"
    USER = "user"
    OTHER_ORG_USER = "other_org_user"
    VIEWER = "viewer"
    MEMBER = "member"
    ORG_ADMIN = "org_admin"
    OWNER = "owner"
    PLATFORM_ADMIN = "platform_admin"


@dataclass(frozen=True)
class Access:
    """Who may call a route; everyone else gets `denied_status` (401 anonymous, 404 cross-org)."""

    allowed: frozenset[Principal] = field(default_factory=lambda: frozenset(Principal))
    denied_status: int = 403
    # Principals denied with another status than `denied_status` (an organisation member whose
    # role is too low gets 403 where outsiders get 404).
    denied_overrides: tuple[tuple[Principal, int], ...] = ()

    @property
    def public(self) -> bool:
        return self.allowed == frozenset(Principal)


PUBLIC = Access()

# "METHOD /path" -> Access. Each domain lists its routes in `tests/<domain>/authz_routes.py`
# (a module-level `ROUTES` dict); they are merged here.
ROUTES: dict[str, Access] = {}


def _load_routes() -> None:
    import importlib
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("*/authz_routes.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.authz_routes")
        overlap = set(ROUTES) & set(module.ROUTES)
        if overlap:
            raise RuntimeError(f"routes classified twice: {sorted(overlap)}")
        ROUTES.update(module.ROUTES)


_load_routes()


def expected_status(route: str, principal: Principal) -> int | None:
    """None when the principal is allowed (any non-auth status is fine), else the denial status."""
    access = ROUTES[route]
    if principal in access.allowed:
        return None
    if principal is Principal.ANONYMOUS:
        return 401
    return dict(access.denied_overrides).get(principal, access.denied_status)
