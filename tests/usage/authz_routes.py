"""Usage routes: `/v1/ingest` takes an ingest API key only (a user's token is not a key: 401);
the read API is for members of the organisation (viewer+) or its read-scoped keys."""

from tests.authz import Access, Principal
from tests.orgs.authz_routes import VIEWER

P = Principal
API_KEY_ONLY = Access(allowed=frozenset(), denied_status=401)

ROUTES: dict[str, Access] = {
    "POST /v1/ingest": API_KEY_ONLY,
    "GET /api/v1/orgs/{org_id}/usage/summary": VIEWER,
    "GET /api/v1/orgs/{org_id}/usage/timeseries": VIEWER,
    "GET /api/v1/orgs/{org_id}/usage/top": VIEWER,
    "GET /api/v1/orgs/{org_id}/usage/events": VIEWER,
}
