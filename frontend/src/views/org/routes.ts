import type { RouteRecordRaw } from 'vue-router'

// Organisation pages (owners and admins). More pages (members, alerts, reports…) join here.
export const orgRoutes: RouteRecordRaw[] = [
  { path: '/orgs', name: 'orgs', component: () => import('./OrgsView.vue'), meta: { requiresAuth: true, title: 'Organisations' } },
  {
    path: '/orgs/:orgId(\\d+)/usage',
    name: 'org-usage',
    component: () => import('./OrgUsageView.vue'),
    meta: { requiresAuth: true, title: 'AI usage' },
  },
  {
    path: '/orgs/:orgId(\\d+)/api-keys',
    name: 'org-api-keys',
    component: () => import('./OrgApiKeysView.vue'),
    meta: { requiresAuth: true, title: 'API keys' },
  },
  {
    path: '/orgs/:orgId(\\d+)/members',
    name: 'org-members',
    component: () => import('./OrgMembersView.vue'),
    meta: { requiresAuth: true, title: 'Members' },
  },
  { path: '/orgs/:orgId(\\d+)/teams', name: 'org-teams', component: () => import('./OrgTeamsView.vue'), meta: { requiresAuth: true, title: 'Teams' } },
  { path: '/orgs/:orgId(\\d+)/alerts', name: 'org-alerts', component: () => import('./OrgAlertsView.vue'), meta: { requiresAuth: true, title: 'Alerts' } },
  {
    path: '/orgs/:orgId(\\d+)/notifications',
    name: 'org-notifications',
    component: () => import('./OrgNotificationsView.vue'),
    meta: { requiresAuth: true, title: 'Organisation notifications' },
  },
  { path: '/orgs/:orgId(\\d+)/webhooks', name: 'org-webhooks', component: () => import('./OrgWebhooksView.vue'), meta: { requiresAuth: true, title: 'Webhooks' } },
  { path: '/orgs/:orgId(\\d+)/reports', name: 'org-reports', component: () => import('./OrgReportsView.vue'), meta: { requiresAuth: true, title: 'Reports' } },
  {
    path: '/orgs/:orgId(\\d+)/factors',
    name: 'org-factors',
    component: () => import('./OrgFactorsView.vue'),
    meta: { requiresAuth: true, title: 'Factors & models' },
  },
  { path: '/orgs/:orgId(\\d+)/audit-log', name: 'org-audit', component: () => import('./OrgAuditView.vue'), meta: { requiresAuth: true, title: 'Audit log' } },
  {
    path: '/invitations/accept',
    name: 'accept-invitation',
    component: () => import('./AcceptInvitationView.vue'),
    meta: { requiresAuth: true, title: 'Join an organisation' },
  },
]
