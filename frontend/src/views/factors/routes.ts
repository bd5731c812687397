import type { RouteRecordRaw } from 'vue-router'

// The factor explorer and the estimate playground: public pages.
export const factorRoutes: RouteRecordRaw[] = [
  { path: '/factors', name: 'factors', component: () => import('./FactorsView.vue'), meta: { title: 'Factor explorer' } },
  {
    path: '/factors/playground',
    name: 'estimate-playground',
    component: () => import('./EstimatePlaygroundView.vue'),
    meta: { title: 'Estimate playground' },
  },
  { path: '/factors/:factorId(.+)', name: 'factor', component: () => import('./FactorDetailView.vue'), meta: { title: 'Factor' } },
]
