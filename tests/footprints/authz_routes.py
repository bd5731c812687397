from tests.authz import PUBLIC, Access, Principal

SIGNED_IN = Access(allowed=frozenset(Principal) - {Principal.ANONYMOUS})

ROUTES: dict[str, Access] = {
    "GET /api/v1/footprints/questionnaire": PUBLIC,
    "POST /api/v1/footprints": PUBLIC,  # anonymous allowed (rate-limited per IP)
    "GET /api/v1/me/footprints": SIGNED_IN,
    "GET /api/v1/footprints/{footprint_id}": SIGNED_IN,  # someone else's result: 404
}
