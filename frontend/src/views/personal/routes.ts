import type { RouteRecordRaw } from 'vue-router'

const auth = { requiresAuth: true }

export const personalRoutes: RouteRecordRaw[] = [
  { path: '/dashboard', name: 'dashboard', component: () => import('./DashboardView.vue'), meta: { ...auth, title: 'Dashboard' } },
  { path: '/log', name: 'log-activity', component: () => import('./LogActivityView.vue'), meta: { ...auth, title: 'Log an activity' } },
  { path: '/activities', name: 'activities', component: () => import('./ActivitiesView.vue'), meta: { ...auth, title: 'Activities' } },
  { path: '/goals', name: 'goals', component: () => import('./GoalsView.vue'), meta: { ...auth, title: 'Goals' } },
  {
    path: '/recommendations',
    name: 'recommendations',
    component: () => import('./RecommendationsView.vue'),
    meta: { ...auth, title: 'Recommendations' },
  },
  { path: '/challenges', name: 'challenges', component: () => import('./ChallengesView.vue'), meta: { ...auth, title: 'Challenges' } },
  { path: '/settings', name: 'settings', component: () => import('./SettingsView.vue'), meta: { ...auth, title: 'Profile & settings' } },
]
