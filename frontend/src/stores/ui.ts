import { defineStore } from 'pinia'
import { ref, watch } from 'vue'

export type ThemeChoice = 'system' | 'light' | 'dark'
export interface Toast {
  id: number
  kind: 'success' | 'error' | 'info'
  text: string
}

const THEME_KEY = 'ecotrack.theme'

function storedTheme(): ThemeChoice {
  try {
    const value = localStorage.getItem(THEME_KEY)
    return value === 'light' || value === 'dark' ? value : 'system'
  } catch {
    return 'system'
  }
}

/** UI state only: theme, toasts, the mobile navigation drawer. */
export const useUiStore = defineStore('ui', () => {
  const theme = ref<ThemeChoice>(storedTheme())
  const toasts = ref<Toast[]>([])
  const navOpen = ref(false)
  let nextId = 1

  function applyTheme(choice: ThemeChoice): void {
    const root = document.documentElement
    if (choice === 'system') root.removeAttribute('data-theme')
    else root.setAttribute('data-theme', choice)
  }

  function effectiveTheme(): 'light' | 'dark' {
    if (theme.value !== 'system') return theme.value
    return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
  }

  function cycleTheme(): void {
    theme.value = effectiveTheme() === 'dark' ? 'light' : 'dark'
  }

  watch(
    theme,
    (choice) => {
      applyTheme(choice)
      try {
        if (choice === 'system') localStorage.removeItem(THEME_KEY)
        else localStorage.setItem(THEME_KEY, choice)
      } catch {
        /* private mode: the choice lasts for this visit */
      }
    },
    { immediate: true },
  )

  function notify(text: string, kind: Toast['kind'] = 'success', timeoutMs = 4000): number {
    const id = nextId++
    toasts.value.push({ id, kind, text })
    if (timeoutMs > 0) setTimeout(() => dismiss(id), timeoutMs)
    return id
  }

  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((t) => t.id !== id)
  }

  return { theme, toasts, navOpen, effectiveTheme, cycleTheme, notify, dismiss }
})
