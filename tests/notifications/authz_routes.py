from tests.authz import Access, Principal

SIGNED_IN = Access(allowed=frozenset(Principal) - {Principal.ANONYMOUS})

ROUTES: dict[str, Access] = {
    "GET /api/v1/notifications": SIGNED_IN,
    "POST /api/v1/notifications/read-all": SIGNED_IN,
    "POST /api/v1/notifications/{notification_id}/read": SIGNED_IN,  # someone else's: 404
    "GET /api/v1/notifications/preferences": SIGNED_IN,
    "PATCH /api/v1/notifications/preferences": SIGNED_IN,
    # Allowed callers without `Accept: text/event-stream` get 406 (the matrix never hangs on it).
    "GET /api/v1/notifications/stream": SIGNED_IN,
}
