import { createPinia, setActivePinia } from 'pinia'
import { nextTick } from 'vue'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useUiStore } from './ui'

describe('ui store', () => {
  beforeEach(() => {
    localStorage.clear()
    document.documentElement.removeAttribute('data-theme')
    setActivePinia(createPinia())
  })

  it('applies and remembers an explicit theme, and forgets "system"', async () => {
    const ui = useUiStore()
    expect(ui.theme).toBe('system')
    ui.theme = 'dark'
    await nextTick()
    expect(document.documentElement.getAttribute('data-theme')).toBe('dark')
    expect(localStorage.getItem('ecotrack.theme')).toBe('dark')
    ui.theme = 'system'
    await nextTick()
    expect(document.documentElement.hasAttribute('data-theme')).toBe(false)
    expect(localStorage.getItem('ecotrack.theme')).toBeNull()
  })

  it('starts from the remembered theme', () => {
    localStorage.setItem('ecotrack.theme', 'light')
    expect(useUiStore().theme).toBe('light')
  })

  it('shows toasts and drops them after their timeout', () => {
    vi.useFakeTimers()
    const ui = useUiStore()
    ui.notify('Saved', 'success', 1000)
    const sticky = ui.notify('Stays', 'info', 0)
    expect(ui.toasts.map((t) => t.text)).toEqual(['Saved', 'Stays'])
    vi.advanceTimersByTime(1001)
    expect(ui.toasts.map((t) => t.id)).toEqual([sticky])
    ui.dismiss(sticky)
    expect(ui.toasts).toEqual([])
    vi.useRealTimers()
  })
})
