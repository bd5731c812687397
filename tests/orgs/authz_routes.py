"""Organisation routes: members of organisation A by role; everyone else gets 404 (an
organisation's existence is never confirmed to outsiders, platform admins included), and a member
whose role is too low gets 403."""

from tests.authz import Access, Principal

P = Principal
ORG_ROLES = (P.VIEWER, P.MEMBER, P.ORG_ADMIN, P.OWNER)  # lowest first
SIGNED_IN = Access(allowed=frozenset(Principal) - {P.ANONYMOUS})
# Authenticated by an organisation API key only: a user's bearer token is not a key (401).
API_KEY_ONLY = Access(allowed=frozenset(), denied_status=401)


def org_role(minimum: Principal) -> Access:
    rank = ORG_ROLES.index(minimum)
    return Access(
        allowed=frozenset(ORG_ROLES[rank:]),
        denied_status=404,
        denied_overrides=tuple((role, 403) for role in ORG_ROLES[:rank]),
    )


VIEWER, ADMIN, OWNER = org_role(P.VIEWER), org_role(P.ORG_ADMIN), org_role(P.OWNER)

ROUTES: dict[str, Access] = {
    "GET /api/v1/orgs": SIGNED_IN,
    "POST /api/v1/orgs": SIGNED_IN,
    "POST /api/v1/invitations/accept": SIGNED_IN,
    "GET /api/v1/api-keys/whoami": API_KEY_ONLY,
    "POST /api/v1/api-keys/ping": API_KEY_ONLY,
    "GET /api/v1/orgs/{org_id}": VIEWER,
    "PATCH /api/v1/orgs/{org_id}": ADMIN,
    "DELETE /api/v1/orgs/{org_id}": OWNER,
    "GET /api/v1/orgs/{org_id}/members": VIEWER,
    "PATCH /api/v1/orgs/{org_id}/members/{user_id}": ADMIN,
    # Anyone may leave; removing someone else (the matrix's target) needs an admin.
    "DELETE /api/v1/orgs/{org_id}/members/{user_id}": ADMIN,
    "GET /api/v1/orgs/{org_id}/teams": VIEWER,
    "POST /api/v1/orgs/{org_id}/teams": ADMIN,
    "GET /api/v1/orgs/{org_id}/teams/{team_id}": VIEWER,
    "PATCH /api/v1/orgs/{org_id}/teams/{team_id}": ADMIN,
    "DELETE /api/v1/orgs/{org_id}/teams/{team_id}": ADMIN,
    "GET /api/v1/orgs/{org_id}/teams/{team_id}/members": VIEWER,
    "POST /api/v1/orgs/{org_id}/teams/{team_id}/members": ADMIN,
    "DELETE /api/v1/orgs/{org_id}/teams/{team_id}/members/{user_id}": ADMIN,
    "GET /api/v1/orgs/{org_id}/invitations": ADMIN,
    "POST /api/v1/orgs/{org_id}/invitations": ADMIN,
    "POST /api/v1/orgs/{org_id}/invitations/{invitation_id}/revoke": ADMIN,
    "GET /api/v1/orgs/{org_id}/api-keys": ADMIN,
    "POST /api/v1/orgs/{org_id}/api-keys": ADMIN,
    "GET /api/v1/orgs/{org_id}/api-keys/{api_key_id}": ADMIN,
    "POST /api/v1/orgs/{org_id}/api-keys/{api_key_id}/revoke": ADMIN,
    "GET /api/v1/orgs/{org_id}/audit-log": ADMIN,
    "GET /api/v1/orgs/{org_id}/factor-overrides": VIEWER,
    "POST /api/v1/orgs/{org_id}/factor-overrides": ADMIN,
    "GET /api/v1/orgs/{org_id}/factor-overrides/{override_id}": VIEWER,
    "PATCH /api/v1/orgs/{org_id}/factor-overrides/{override_id}": ADMIN,
    "DELETE /api/v1/orgs/{org_id}/factor-overrides/{override_id}": ADMIN,
    "GET /api/v1/orgs/{org_id}/custom-models": VIEWER,
    "POST /api/v1/orgs/{org_id}/custom-models": ADMIN,
    "GET /api/v1/orgs/{org_id}/custom-models/{model_id}": VIEWER,
    "PATCH /api/v1/orgs/{org_id}/custom-models/{model_id}": ADMIN,
    "DELETE /api/v1/orgs/{org_id}/custom-models/{model_id}": ADMIN,
}
