/** Number and date formatting shared by every page (the user's locale, kg CO2e by default). */

const locale = typeof navigator !== 'undefined' ? navigator.language : 'en'

export function formatKg(kg: number | null | undefined, opts: { unit?: boolean } = {}): string {
  if (kg === null || kg === undefined || Number.isNaN(kg)) return '–'
  const unit = opts.unit === false ? '' : ' kg'
  const abs = Math.abs(kg)
  if (abs >= 10_000) return `${formatNumber(kg / 1000, abs >= 100_000 ? 0 : 1)} t`
  if (abs >= 100) return `${formatNumber(kg, 0)}${unit}`
  if (abs >= 1) return `${formatNumber(kg, 1)}${unit}`
  return `${formatNumber(kg, abs >= 0.01 || abs === 0 ? 2 : 4)}${unit}`
}

export function formatTonnes(kg: number | null | undefined, digits = 1): string {
  if (kg === null || kg === undefined) return '–'
  return `${formatNumber(kg / 1000, digits)} t`
}

export function formatNumber(value: number, digits = 1): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(value)
}

export function formatPercent(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined) return '–'
  return `${formatNumber(value, digits)}%`
}

export function formatDate(iso: string | null | undefined, style: 'short' | 'medium' = 'medium'): string {
  if (!iso) return '–'
  const date = iso.length === 10 ? new Date(`${iso}T00:00:00`) : new Date(iso)
  return new Intl.DateTimeFormat(locale, style === 'short' ? { day: 'numeric', month: 'short' } : { dateStyle: 'medium' }).format(date)
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '–'
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso))
}

/** Today as YYYY-MM-DD in the user's time zone. */
export function today(offsetDays = 0): string {
  const d = new Date()
  d.setDate(d.getDate() + offsetDays)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/** "electricity_kwh_per_year" → "Electricity kwh per year"; "llm_inference" → "Llm inference". */
const ACRONYMS = new Set(['lpg', 'cng', 'llm', 'ev', 'usd', 'kwh', 'hvo', 'naics', 'pue', 'cpu', 'vcpu', 'iata', 'gb', 'us'])

export function humanize(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').trim().split(' ')
  const text = words.map((w) => (ACRONYMS.has(w.toLowerCase()) ? (w.toLowerCase() === 'kwh' ? 'kWh' : w.toUpperCase()) : w)).join(' ')
  return text.charAt(0).toUpperCase() + text.slice(1)
}

const SCALES: Record<string, Array<[number, string]>> = {
  kg: [[1000, 't'], [1, 'kg'], [1e-3, 'g'], [1e-6, 'mg']],
  kWh: [[1000, 'MWh'], [1, 'kWh'], [1e-3, 'Wh'], [1e-6, 'mWh']],
  L: [[1000, 'm³'], [1, 'L'], [1e-3, 'mL'], [1e-6, 'µL']],
}

/** The unit that reads best for a magnitude: 0.00002 kg → [1e-6, 'mg'] (so 20 mg). */
export function pickScale(magnitude: number, unit: string): [number, string] {
  const scales = SCALES[unit]
  if (!scales) return [1, unit]
  const abs = Math.abs(magnitude)
  if (abs === 0) return scales.find(([f]) => f === 1) ?? [1, unit]
  return scales.find(([factor]) => abs >= factor) ?? scales[scales.length - 1]!
}

/** A physical quantity with 3 significant digits in its best-reading unit. */
export function formatQuantity(value: number | null | undefined, unit: string, scale?: [number, string]): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–'
  const [factor, label] = scale ?? pickScale(value, unit)
  const scaled = value / factor
  const text = new Intl.NumberFormat(locale, { maximumSignificantDigits: 3 }).format(scaled)
  return `${text} ${label}`
}
