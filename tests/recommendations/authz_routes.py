from tests.authz import Access, Principal

SIGNED_IN = Access(allowed=frozenset(Principal) - {Principal.ANONYMOUS}, denied_status=401)

ROUTES: dict[str, Access] = {
    "GET /api/v1/recommendations": SIGNED_IN,
    "POST /api/v1/recommendations/{recommendation_id}/implement": SIGNED_IN,
    "POST /api/v1/recommendations/{recommendation_id}/dismiss": SIGNED_IN,
}
