"""Webhook routes: organisation admins and owners only (endpoints carry URLs, the delivery log
carries receivers' answers); outsiders get 404, lower roles 403."""

from tests.authz import Access
from tests.orgs.authz_routes import ADMIN

BASE = "/api/v1/orgs/{org_id}/webhooks"

ROUTES: dict[str, Access] = {
    f"GET {BASE}": ADMIN,
    f"POST {BASE}": ADMIN,
    f"GET {BASE}/{{endpoint_id}}": ADMIN,
    f"PATCH {BASE}/{{endpoint_id}}": ADMIN,
    f"DELETE {BASE}/{{endpoint_id}}": ADMIN,
    f"POST {BASE}/{{endpoint_id}}/rotate-secret": ADMIN,
    f"POST {BASE}/{{endpoint_id}}/test": ADMIN,
    f"GET {BASE}/{{endpoint_id}}/deliveries": ADMIN,
    f"GET {BASE}/{{endpoint_id}}/deliveries/{{delivery_id}}": ADMIN,
    f"POST {BASE}/{{endpoint_id}}/deliveries/{{delivery_id}}/redeliver": ADMIN,
}
