from tests.authz import PUBLIC, Access

ROUTES: dict[str, Access] = {
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "POST /api/v1/system/probes": PUBLIC,  # development/test only: 404 in production
    "GET /api/v1/system/probes/{token}": PUBLIC,
}
