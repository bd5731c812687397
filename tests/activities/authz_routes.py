from tests.authz import Access, Principal

# Personal data: any signed-in account, for its own activities only (others' ids are 404).
SIGNED_IN = Access(allowed=frozenset(Principal) - {Principal.ANONYMOUS})

ROUTES: dict[str, Access] = {
    "POST /api/v1/activities": SIGNED_IN,
    "GET /api/v1/activities": SIGNED_IN,
    "POST /api/v1/activities/import": SIGNED_IN,
    "GET /api/v1/activities/{activity_id}": SIGNED_IN,
    "PATCH /api/v1/activities/{activity_id}": SIGNED_IN,
    "DELETE /api/v1/activities/{activity_id}": SIGNED_IN,
    "GET /api/v1/me/summary": SIGNED_IN,
    "GET /api/v1/me/history": SIGNED_IN,
    "GET /api/v1/me/stats": SIGNED_IN,
}
