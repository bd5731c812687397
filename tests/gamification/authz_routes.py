"""Gamification routes: the catalogue and rules are public, personal routes need an account,
team challenges follow organisation roles (outsiders 404), the review queue is for platform
admins."""

from tests.authz import PUBLIC, Access, Principal

P = Principal
SIGNED_IN = Access(allowed=frozenset(Principal) - {P.ANONYMOUS})
PLATFORM_ADMIN_ONLY = Access(allowed=frozenset({P.PLATFORM_ADMIN}), denied_status=403)
ORG_ROLES = (P.VIEWER, P.MEMBER, P.ORG_ADMIN, P.OWNER)
ORG_VIEWER = Access(allowed=frozenset(ORG_ROLES), denied_status=404)
ORG_ADMIN = Access(
    allowed=frozenset({P.ORG_ADMIN, P.OWNER}),
    denied_status=404,
    denied_overrides=((P.VIEWER, 403), (P.MEMBER, 403)),
)

ROUTES: dict[str, Access] = {
    "GET /api/v1/gamification/rules": PUBLIC,
    "GET /api/v1/challenges": PUBLIC,
    "GET /api/v1/challenges/{challenge_id}": PUBLIC,
    "GET /api/v1/me/gamification": SIGNED_IN,
    "GET /api/v1/me/challenges": SIGNED_IN,
    "POST /api/v1/challenges/{challenge_id}/join": SIGNED_IN,
    "POST /api/v1/challenges/{challenge_id}/leave": SIGNED_IN,
    "GET /api/v1/leaderboards": SIGNED_IN,
    "GET /api/v1/orgs/{org_id}/teams/{team_id}/challenges": ORG_VIEWER,
    "POST /api/v1/orgs/{org_id}/teams/{team_id}/challenges": ORG_ADMIN,
    "GET /api/v1/admin/gamification/reviews": PLATFORM_ADMIN_ONLY,
    "POST /api/v1/admin/gamification/reviews/{award_id}/approve": PLATFORM_ADMIN_ONLY,
    "POST /api/v1/admin/gamification/reviews/{award_id}/reject": PLATFORM_ADMIN_ONLY,
}
