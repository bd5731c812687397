import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useSessionStore } from '@/stores/session'
import { useUiStore } from '@/stores/ui'
import { publicRoutes } from '@/views/public/routes'
import { personalRoutes } from '@/views/personal/routes'
import { orgRoutes } from '@/views/org/routes'
import { adminRoutes } from '@/views/admin/routes'
import { factorRoutes } from '@/views/factors/routes'

declare module 'vue-router' {
  interface RouteMeta {
    /** Shown in the document title. */
    title?: string
    /** Signed-in users only (others go to /sign-in?next=…). */
    requiresAuth?: boolean
    /** Signed-out visitors only (signed-in users go to the dashboard). */
    guestOnly?: boolean
  }
}

// Each feature folder exports its routes (lazy-loaded views): add a folder, add it here.
export const routes: RouteRecordRaw[] = [
  ...publicRoutes,
  ...personalRoutes,
  ...orgRoutes,
  ...adminRoutes,
  ...factorRoutes,
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('@/views/public/NotFoundView.vue'),
    meta: { title: 'Page not found' },
  },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior(to, _from, saved) {
    if (saved) return saved
    if (to.hash && !to.hash.startsWith('#token=')) return { el: to.hash }
    return { top: 0 }
  },
})

router.beforeEach(async (to) => {
  useUiStore().navOpen = false
  const session = useSessionStore()
  if (to.meta.requiresAuth || to.meta.guestOnly || !session.loaded) await session.load()
  if (to.meta.requiresAuth && !session.signedIn) {
    return { name: 'sign-in', query: { next: to.fullPath } }
  }
  if (to.meta.guestOnly && session.signedIn) return { name: 'dashboard' }
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · EcoTrack` : 'EcoTrack'
})
