/** A number or a min–max range typed in one field: "70", "60-80", "60 – 80", "0.5..1.2". */
export type RangeValue = number | { min: number; max: number }

export function parseRange(text: string): RangeValue | null | undefined {
  const t = text.trim()
  if (!t) return null
  const m = t.match(/^(\d+(?:\.\d+)?)\s*(?:-|–|\.\.|to)\s*(\d+(?:\.\d+)?)$/)
  if (m) {
    const min = Number(m[1])
    const max = Number(m[2])
    return min <= max ? { min, max } : undefined
  }
  const n = Number(t)
  return Number.isFinite(n) && /^\d+(?:\.\d+)?$/.test(t) ? n : undefined
}

/** The text a range field shows for a stored value (the inverse of `parseRange`). */
export function formatRange(value: RangeValue | null | undefined): string {
  if (value === null || value === undefined) return ''
  return typeof value === 'number' ? String(value) : value.min === value.max ? String(value.min) : `${value.min}–${value.max}`
}
