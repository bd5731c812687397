from tests.admin.authz_routes import PLATFORM_ADMIN_ONLY
from tests.authz import Access

ROUTES: dict[str, Access] = {
    "GET /api/v1/admin/outbox": PLATFORM_ADMIN_ONLY,
}
