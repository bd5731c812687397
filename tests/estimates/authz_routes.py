from tests.authz import PUBLIC, Access

ROUTES: dict[str, Access] = {
    "POST /api/v1/estimates": PUBLIC,
    "POST /api/v1/estimates/batch": PUBLIC,
    "GET /api/v1/activity-types": PUBLIC,
    "GET /api/v1/factors": PUBLIC,
    "GET /api/v1/factors/{factor_id}": PUBLIC,
    "GET /api/v1/factor-sources": PUBLIC,
}
