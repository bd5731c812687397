import type { Ref } from 'vue'
import { api, unwrap, type Schemas } from '@/api/client'
import { useQuery, type Query } from '@/composables/useQuery'

export type OrgRole = Schemas['OrgRole']

/** The organisation a page is about, with the signed-in user's role in it. */
export function useOrg(orgId: Ref<number>): Query<Schemas['OrgWithRole']> {
  return useQuery(() => unwrap(api.GET('/api/v1/orgs/{org_id}', { params: { path: { org_id: orgId.value } } })), [orgId])
}

/** Owners and admins manage an organisation; members and viewers read it. */
export function canManage(role: OrgRole | undefined): boolean {
  return role === 'owner' || role === 'admin'
}

/** The org pages, in navigation order; `manage` pages are for owners and admins only. */
export const ORG_PAGES = [
  { name: 'org-usage', label: 'AI usage', manage: false },
  { name: 'org-members', label: 'Members', manage: false },
  { name: 'org-teams', label: 'Teams', manage: false },
  { name: 'org-api-keys', label: 'API keys', manage: true },
  { name: 'org-alerts', label: 'Alerts', manage: false },
  { name: 'org-notifications', label: 'Notifications', manage: false },
  { name: 'org-webhooks', label: 'Webhooks', manage: true },
  { name: 'org-reports', label: 'Reports', manage: false },
  { name: 'org-factors', label: 'Factors & models', manage: false },
  { name: 'org-audit', label: 'Audit log', manage: true },
] as const

export function orgPagesFor(role: OrgRole | undefined) {
  return ORG_PAGES.filter((p) => !p.manage || canManage(role))
}

/** A page of a list: `limit` rows from `offset`. */
export const PAGE_SIZE = 20
