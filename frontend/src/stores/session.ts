import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, hasSessionCookie, onSessionEnded, unwrap, type Schemas } from '@/api/client'

type User = Schemas['User']

/** Who is signed in (the httpOnly cookies are the session; this is what the UI shows). */
export const useSessionStore = defineStore('session', () => {
  const user = ref<User | null>(null)
  const loaded = ref(false)
  let loading: Promise<User | null> | null = null

  const signedIn = computed(() => user.value !== null)
  const displayName = computed(() => user.value?.display_name || user.value?.email.split('@')[0] || '')

  onSessionEnded(() => {
    user.value = null
  })

  /** Loads the current user once (no request at all without a session cookie). */
  function load(force = false): Promise<User | null> {
    if (loaded.value && !force) return Promise.resolve(user.value)
    if (!loading) {
      loading = (async () => {
        try {
          if (!hasSessionCookie()) {
            user.value = null
          } else {
            const { data } = await api.GET('/api/v1/users/me')
            user.value = data ?? null
          }
        } catch {
          user.value = null
        } finally {
          loaded.value = true
          loading = null
        }
        return user.value
      })()
    }
    return loading
  }

  async function signIn(email: string, password: string): Promise<User | null> {
    await unwrap(api.POST('/api/v1/auth/login', { body: { email, password, use_cookies: true } }))
    return load(true)
  }

  async function signOut(everywhere = false): Promise<void> {
    try {
      await api.POST(everywhere ? '/api/v1/auth/logout-all' : '/api/v1/auth/logout')
    } finally {
      user.value = null
      loaded.value = true
    }
  }

  function setUser(next: User | null): void {
    user.value = next
    loaded.value = true
  }

  return { user, loaded, signedIn, displayName, load, signIn, signOut, setUser }
})
