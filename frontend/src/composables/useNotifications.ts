import { computed, ref, shallowRef } from 'vue'
import { api, refreshSession, type Schemas } from '@/api/client'

type Notification = Schemas['Notification']

// One stream per tab, shared by every component that shows notifications.
const items = ref<Notification[]>([])
const unread = ref(0)
const connected = ref(false)
const source = shallowRef<EventSource | null>(null)
const listeners = new Set<(n: Notification) => void>()
let lastId = 0
let retryTimer: ReturnType<typeof setTimeout> | undefined
let failures = 0

function remember(n: Notification): void {
  if (items.value.some((x) => x.id === n.id)) return
  items.value = [n, ...items.value].slice(0, 50)
  if (!n.read_at) unread.value += 1
  lastId = Math.max(lastId, n.id)
}

async function loadRecent(): Promise<void> {
  const { data } = await api.GET('/api/v1/notifications', { params: { query: { limit: 20, offset: 0 } } })
  if (!data) return
  items.value = data.items
  unread.value = data.unread
  lastId = data.items.reduce((m, n) => Math.max(m, n.id), lastId)
}

function connect(): void {
  if (source.value || typeof EventSource === 'undefined') return
  // Cookies go with same-origin EventSource requests; no token in the URL.
  const es = new EventSource('/api/v1/notifications/stream')
  source.value = es
  es.addEventListener('open', () => {
    connected.value = true
    failures = 0
  })
  es.addEventListener('notification', (event) => {
    const n = JSON.parse((event as MessageEvent<string>).data) as Notification
    const fresh = !items.value.some((x) => x.id === n.id)
    remember(n)
    if (fresh) listeners.forEach((fn) => fn(n))
  })
  es.addEventListener('error', () => {
    connected.value = false
    if (es.readyState === EventSource.CLOSED) {
      // Most often an expired access cookie: refresh, then reconnect with a backoff.
      source.value = null
      failures += 1
      const delay = Math.min(30_000, 1000 * 2 ** failures)
      retryTimer = setTimeout(() => {
        void refreshSession().then((ok) => {
          if (ok) connect()
        })
      }, delay)
    }
  })
}

function disconnect(): void {
  clearTimeout(retryTimer)
  source.value?.close()
  source.value = null
  connected.value = false
  items.value = []
  unread.value = 0
  lastId = 0
}

async function markAllRead(): Promise<void> {
  await api.POST('/api/v1/notifications/read-all')
  const now = new Date().toISOString()
  items.value = items.value.map((n) => (n.read_at ? n : { ...n, read_at: now }))
  unread.value = 0
}

/** Live notifications over Server-Sent Events (`/api/v1/notifications/stream`). */
export function useNotifications() {
  return {
    items: computed(() => items.value),
    unread: computed(() => unread.value),
    connected: computed(() => connected.value),
    start: async () => {
      await loadRecent().catch(() => undefined)
      connect()
    },
    stop: disconnect,
    markAllRead,
    onNotification(fn: (n: Notification) => void): () => void {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
  }
}
