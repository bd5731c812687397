import type { Chart as ChartType } from 'chart.js'

// Chart.js is loaded on first use only (it is not part of the initial bundle).
let loading: Promise<typeof ChartType> | null = null

export function loadChart(): Promise<typeof ChartType> {
  if (!loading) {
    loading = import('chart.js').then(({ Chart, registerables }) => {
      Chart.register(...registerables)
      return Chart
    })
  }
  return loading
}

/** Colours from the design tokens, so charts follow the light/dark theme. */
export function themeColors(): { text: string; muted: string; grid: string; brand: string; surface: string } {
  const css = getComputedStyle(document.documentElement)
  const get = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback
  return {
    text: get('--text', '#0f1f1a'),
    muted: get('--muted', '#4f615a'),
    grid: get('--border', '#dbe5e0'),
    brand: get('--brand', '#0f766e'),
    surface: get('--surface', '#ffffff'),
  }
}
