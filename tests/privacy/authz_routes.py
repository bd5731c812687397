from tests.authz import PUBLIC, Access
from tests.identity.authz_routes import SIGNED_IN

ROUTES: dict[str, Access] = {
    "GET /api/v1/users/me/consents": SIGNED_IN,
    "PUT /api/v1/users/me/consents": SIGNED_IN,
    "POST /api/v1/users/me/export": SIGNED_IN,
    "GET /api/v1/users/me/exports/{export_id}": SIGNED_IN,  # another user's export: 404
    "GET /api/v1/privacy/exports/download": PUBLIC,  # authorised by the emailed token
    "DELETE /api/v1/users/me": SIGNED_IN,
}
