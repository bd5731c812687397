"""Alert and organisation-notification routes: members read (viewer and above), admins write;
outsiders get 404, lower roles 403."""

from tests.authz import Access
from tests.orgs.authz_routes import ADMIN, VIEWER

BASE = "/api/v1/orgs/{org_id}/alerts"
NOTIFICATIONS = "/api/v1/orgs/{org_id}/notifications"

ROUTES: dict[str, Access] = {
    f"GET {BASE}": VIEWER,
    f"POST {BASE}": ADMIN,
    f"GET {BASE}/{{alert_id}}": VIEWER,
    f"PATCH {BASE}/{{alert_id}}": ADMIN,
    f"DELETE {BASE}/{{alert_id}}": ADMIN,
    f"GET {BASE}/{{alert_id}}/firings": VIEWER,
    f"POST {BASE}/{{alert_id}}/evaluate": ADMIN,
    f"GET {NOTIFICATIONS}": VIEWER,
    f"POST {NOTIFICATIONS}/read-all": VIEWER,
    f"POST {NOTIFICATIONS}/{{notification_id}}/read": VIEWER,
}
