from tests.authz import PUBLIC, Access, Principal

# Any signed-in account (organisation roles are accounts too).
SIGNED_IN = Access(allowed=frozenset(Principal) - {Principal.ANONYMOUS})

ROUTES: dict[str, Access] = {
    "POST /api/v1/auth/register": PUBLIC,
    "POST /api/v1/auth/verify-email": PUBLIC,
    "POST /api/v1/auth/login": PUBLIC,
    "POST /api/v1/auth/refresh": PUBLIC,  # authenticated by the refresh token it is given
    "POST /api/v1/auth/logout": SIGNED_IN,
    "POST /api/v1/auth/logout-all": SIGNED_IN,
    "POST /api/v1/auth/password/forgot": PUBLIC,
    "POST /api/v1/auth/password/reset": PUBLIC,
    "POST /api/v1/auth/password/change": SIGNED_IN,
    "GET /api/v1/users/me": SIGNED_IN,
    "PATCH /api/v1/users/me": SIGNED_IN,
    "GET /api/v1/users/me/sessions": SIGNED_IN,
    "DELETE /api/v1/users/me/sessions/{session_id}": SIGNED_IN,
}
