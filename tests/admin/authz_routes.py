from tests.authz import Access, Principal

PLATFORM_ADMIN_ONLY = Access(allowed=frozenset({Principal.PLATFORM_ADMIN}), denied_status=403)

ROUTES: dict[str, Access] = {
    "GET /api/v1/admin/users": PLATFORM_ADMIN_ONLY,
    "GET /api/v1/admin/users/{user_id}": PLATFORM_ADMIN_ONLY,
    "PATCH /api/v1/admin/users/{user_id}": PLATFORM_ADMIN_ONLY,
    "GET /api/v1/admin/config": PLATFORM_ADMIN_ONLY,
    "PATCH /api/v1/admin/config": PLATFORM_ADMIN_ONLY,
}
