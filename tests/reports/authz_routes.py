"""Report routes: any member of the organisation (viewer and up) requests, follows and downloads
reports (its `read` API keys too); admins manage the monthly schedules. Outsiders get 404."""

from tests.orgs.authz_routes import ADMIN, VIEWER

ROUTES = {
    "POST /api/v1/orgs/{org_id}/reports": VIEWER,
    "GET /api/v1/orgs/{org_id}/reports": VIEWER,
    "GET /api/v1/orgs/{org_id}/reports/{report_id}": VIEWER,
    "GET /api/v1/orgs/{org_id}/reports/{report_id}/download": VIEWER,
    "GET /api/v1/orgs/{org_id}/report-schedules": VIEWER,
    "POST /api/v1/orgs/{org_id}/report-schedules": ADMIN,
    "DELETE /api/v1/orgs/{org_id}/report-schedules/{schedule_id}": ADMIN,
}
