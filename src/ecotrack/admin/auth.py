"""The maintenance gate, a dependency of the whole /api/v1 router (see `ecotrack.app`).

While maintenance mode is on, API requests answer 503 problem+json with `Retry-After`, except
for platform admins (recognised from their access token's signed role claim, confirmed in the
database so a just-demoted admin is held back too), the login/token routes (so admins can sign
in) and /api/v1/admin/*. /healthz and the other root routes are outside the API router and keep
working. The mode is read from the database at most every `ECOTRACK_MAINTENANCE_CACHE_S` seconds
per process.
"""

from __future__ import annotations

import threading
import time

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from ecotrack.admin.service import MaintenanceState, admin_service
from ecotrack.core.errors import ServiceUnavailable
from ecotrack.core.settings import Settings
from ecotrack.identity.auth import access_claims
from ecotrack.identity.service import identity_service

EXEMPT_PREFIXES = ("/api/v1/auth/", "/api/v1/admin/")
_lock = threading.Lock()


class MaintenanceMode(ServiceUnavailable):
    code = "maintenance"

    def __init__(self, state: MaintenanceState) -> None:
        super().__init__(state.message, headers={"Retry-After": str(max(1, state.retry_after_s))})


def maintenance_state(app: FastAPI) -> MaintenanceState:
    cached = _cached_state(app)
    if cached is not None:
        return cached
    settings: Settings = app.state.settings
    with _lock:
        now = time.monotonic()
        with app.state.db.session_factory() as session:
            state = admin_service.maintenance_state(session)
        app.state.maintenance = (now + settings.maintenance_cache_s, state)
    return state


def _cached_state(app: FastAPI) -> MaintenanceState | None:
    cached: tuple[float, MaintenanceState] | None = getattr(app.state, "maintenance", None)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    return None


def remember_maintenance_state(app: FastAPI, state: MaintenanceState) -> None:
    """After a change in this process: use it at once (other processes within the cache time)."""
    settings: Settings = app.state.settings
    app.state.maintenance = (time.monotonic() + settings.maintenance_cache_s, state)


async def maintenance_guard(request: Request) -> None:
    """Async: on the event loop while the cached mode is fresh (nearly every request); the
    database reads (the mode when the cache has expired, an admin's account during maintenance)
    go to the thread pool."""
    state = _cached_state(request.app)
    if state is None:
        state = await run_in_threadpool(maintenance_state, request.app)
    if not state.enabled:
        return
    if request.url.path.startswith(EXEMPT_PREFIXES):
        return
    claims = access_claims(request)
    if (
        claims is not None
        and claims.role == "admin"
        and await run_in_threadpool(_still_admin, request.app, claims.user_id)
    ):
        return
    raise MaintenanceMode(state)


def _still_admin(app: FastAPI, user_id: int) -> bool:
    """The token's admin claim is up to 15 minutes old: during maintenance (only then, and only
    for tokens claiming it) check the account is still an active admin."""
    with app.state.db.session_factory() as session:
        user = identity_service.get_user(session, user_id=user_id)
        return user is not None and user.is_active and user.role == "admin"
