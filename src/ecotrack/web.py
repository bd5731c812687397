"""The web app: the built single-page app (frontend/, built into `static/app`) served at `/`.

Files of the build are served as they are (hashed `/assets/*` cached for a year); any other path
that is not the API's gets `index.html`, so the app's own routes (/dashboard, /verify-email …)
survive a reload. The API, `/v1`, `/healthz`, `/readyz` and `/metrics` are never shadowed: the
route does not match them, so their 404s and 405s stay problem+json. Without a build, `/` says
how to make one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

from ecotrack.core.errors import NotFoundError

APP_DIR = Path(__file__).resolve().parent / "static" / "app"
RESERVED = re.compile(r"^/(?:api|v1|healthz|readyz|metrics)(?:/|$)")
# The app loads its own scripts and styles only; the API is same-origin.
SPA_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; "
    "worker-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>EcoTrack</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>EcoTrack is running</h1>
<p>The API is up: see <a href="/api/docs">the API documentation</a>.</p>
<p>The web app is not built. It needs Node.js 20 or later: run <code>make run</code> again with
<code>npm</code> on the PATH, or build it by hand with
<code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>.</p>
</body></html>"""


class SpaRoute(Route):
    """A catch-all GET route that never matches the API's paths, nor a path that a route
    added after it (a plugin, a test) serves: it is the fallback, whatever the order."""

    routes: list[Any] | None = None  # the router's route list (set by `mount_spa`)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and RESERVED.match(scope.get("path", "")):
            return Match.NONE, {}
        if self.routes is not None:
            later = self.routes[self.routes.index(self) + 1 :]
            if any(route.matches(scope)[0] is not Match.NONE for route in later):
                return Match.NONE, {}
        return super().matches(scope)


def _headers(*, immutable: bool) -> dict[str, str]:
    cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
    return {"Cache-Control": cache, "Content-Security-Policy": SPA_CSP}


def spa_endpoint(app_dir: Path) -> Any:
    root = app_dir.resolve()

    async def serve_spa(request: Request) -> Response:
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, headers=_headers(immutable=False))
        relative = request.path_params.get("path", "")
        if relative:
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return FileResponse(
                    candidate, headers=_headers(immutable=relative.startswith("assets/"))
                )
            # A missing file (a stale hashed asset, a typo) is a 404, not the app's HTML.
            if "." in relative.rsplit("/", 1)[-1]:
                raise NotFoundError(f"No file at /{relative}")
        return FileResponse(index, media_type="text/html", headers=_headers(immutable=False))

    return serve_spa


def mount_spa(app: FastAPI, app_dir: Path | None = None) -> None:
    """Add the SPA route last, after every API route and mount."""
    route = SpaRoute(
        "/{path:path}",
        spa_endpoint(app_dir or APP_DIR),
        methods=["GET", "HEAD"],
        include_in_schema=False,
        name="spa",
    )
    route.routes = app.router.routes
    app.router.routes.append(route)
