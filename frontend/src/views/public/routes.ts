import type { RouteRecordRaw } from 'vue-router'

export const publicRoutes: RouteRecordRaw[] = [
  { path: '/', name: 'landing', component: () => import('./LandingView.vue'), meta: { title: 'Know your footprint' } },
  {
    path: '/questionnaire',
    name: 'questionnaire',
    component: () => import('./QuestionnaireView.vue'),
    meta: { title: 'Quick footprint questionnaire' },
  },
  { path: '/sign-up', name: 'sign-up', component: () => import('./SignUpView.vue'), meta: { title: 'Create your account', guestOnly: true } },
  { path: '/sign-in', name: 'sign-in', component: () => import('./SignInView.vue'), meta: { title: 'Sign in', guestOnly: true } },
  { path: '/verify-email', name: 'verify-email', component: () => import('./VerifyEmailView.vue'), meta: { title: 'Confirm your email' } },
  { path: '/forgot-password', name: 'forgot-password', component: () => import('./ForgotPasswordView.vue'), meta: { title: 'Forgot password' } },
  { path: '/reset-password', name: 'reset-password', component: () => import('./ResetPasswordView.vue'), meta: { title: 'Choose a new password' } },
]
