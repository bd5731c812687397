from tests.authz import Access, Principal

SIGNED_IN = Access(allowed=frozenset(Principal) - {Principal.ANONYMOUS})

ROUTES: dict[str, Access] = {
    "GET /api/v1/goals": SIGNED_IN,
    "POST /api/v1/goals": SIGNED_IN,
    "GET /api/v1/goals/{goal_id}": SIGNED_IN,  # someone else's goal is a 404
    "PATCH /api/v1/goals/{goal_id}": SIGNED_IN,
    "DELETE /api/v1/goals/{goal_id}": SIGNED_IN,
}
