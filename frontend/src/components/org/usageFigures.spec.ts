import { describe, expect, it } from 'vitest'
import { callsText, impactText } from './usageFigures'

describe('impactText', () => {
  it('says "unknown impact" rather than 0 when every call is of an unregistered model', () => {
    expect(impactText({ calls: 4, calls_unknown: 4 }, 0, 'kg')).toBe('unknown impact')
  })

  it('shows the figure when some or none of the calls are unknown, and for an empty group', () => {
    expect(impactText({ calls: 4, calls_unknown: 1 }, 0.25, 'kg')).toBe('250 g')
    expect(impactText({ calls: 4, calls_unknown: 0 }, 1.5, 'kg')).toBe('1.5 kg')
    expect(impactText({ calls: 0, calls_unknown: 0 }, 0, 'kg')).toBe('0 kg')
  })
})

describe('callsText', () => {
  it('counts the calls and says which are left out of the figures', () => {
    expect(callsText({ calls: 1, calls_unknown: 0 })).toBe('1 call')
    expect(callsText({ calls: 12, calls_unknown: 0 })).toBe('12 calls')
    expect(callsText({ calls: 12, calls_unknown: 3 })).toBe('12 calls · 3 of unknown impact, not counted')
    expect(callsText({ calls: 2, calls_unknown: 2 })).toBe('2 calls, model not registered')
  })
})
