import type { RouteLocationNormalized, RouteRecordRaw } from 'vue-router'
import { useSessionStore } from '@/stores/session'

declare module 'vue-router' {
  interface RouteMeta {
    /** Platform administrators only (others get the not-found page). */
    requiresAdmin?: boolean
  }
}

/** The router's global guard has loaded the session (requiresAuth) before this runs. */
export async function adminGuard(to: RouteLocationNormalized) {
  if (!to.meta.requiresAdmin) return true
  const session = useSessionStore()
  const user = await session.load()
  if (user?.role === 'admin') return true
  return { name: 'not-found', params: { pathMatch: to.path.slice(1).split('/') }, query: to.query, hash: to.hash }
}

const admin = { requiresAuth: true, requiresAdmin: true }

// Platform administration: system configuration, users, the e-mail outbox of the embedded mode.
export const adminRoutes: RouteRecordRaw[] = [
  { path: '/admin', redirect: { name: 'admin-config' } },
  { path: '/admin/system', name: 'admin-config', component: () => import('./AdminConfigView.vue'), meta: { ...admin, title: 'System' }, beforeEnter: adminGuard },
  { path: '/admin/users', name: 'admin-users', component: () => import('./AdminUsersView.vue'), meta: { ...admin, title: 'Users' }, beforeEnter: adminGuard },
  { path: '/admin/outbox', name: 'admin-outbox', component: () => import('./AdminOutboxView.vue'), meta: { ...admin, title: 'E-mail outbox' }, beforeEnter: adminGuard },
]
