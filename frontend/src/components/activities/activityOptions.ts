import type { Schemas } from '@/api/client'

type OptionOut = Schemas['OptionOut']

// Values the engine accepts for a few common string options (the API describes them in prose).
export const KNOWN_CHOICES: Record<string, Record<string, string[]>> = {
  car: {
    fuel: ['unknown', 'petrol', 'diesel', 'hybrid', 'plug_in_hybrid', 'battery_electric', 'lpg', 'cng'],
    size: ['average', 'small', 'medium', 'large'],
    ownership: ['not_owned', 'owned'],
  },
  diet: { diet: ['high_meat', 'medium_meat', 'low_meat', 'pescatarian', 'vegetarian', 'vegan'] },
  flight: { cabin: ['average', 'economy', 'premium_economy', 'business', 'first'] },
}

export const POPULAR = ['electricity', 'car', 'bus', 'rail', 'flight', 'diet', 'natural_gas', 'waste']

export type OptionValue = string | number | boolean | ''

/** The value an option's input starts with: its default, or empty (= not sent). */
export function initialValue(option: OptionOut): OptionValue {
  const value = option.default as unknown
  if (option.type === 'bool') return value === true
  if (value === null || value === undefined) return ''
  return typeof value === 'number' || typeof value === 'string' ? value : ''
}

/** The options to send: only those that differ from the default and are filled in. */
export function optionsPayload(options: OptionOut[], values: Record<string, OptionValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const option of options) {
    const value = values[option.name]
    if (value === undefined || value === '') continue
    if (option.type === 'bool') {
      if (value !== (option.default === true)) out[option.name] = value
      continue
    }
    if (value === option.default) continue
    if (option.type === 'int') out[option.name] = Math.round(Number(value))
    else if (option.type === 'float') out[option.name] = Number(value)
    else out[option.name] = String(value).trim()
  }
  return out
}
