import { describe, expect, it } from 'vitest'
import { formatRange, parseRange } from './range'

describe('parseRange', () => {
  it('reads a single number and a min–max range in every spelling', () => {
    expect(parseRange('70')).toBe(70)
    expect(parseRange(' 0.5 ')).toBe(0.5)
    expect(parseRange('60-80')).toEqual({ min: 60, max: 80 })
    expect(parseRange('60 – 80')).toEqual({ min: 60, max: 80 })
    expect(parseRange('1.1..1.4')).toEqual({ min: 1.1, max: 1.4 })
    expect(parseRange('1 to 2')).toEqual({ min: 1, max: 2 })
  })

  it('gives null for an empty field and undefined for nonsense or an upside-down range', () => {
    expect(parseRange('   ')).toBeNull()
    expect(parseRange('abc')).toBeUndefined()
    expect(parseRange('-5')).toBeUndefined()
    expect(parseRange('80-60')).toBeUndefined()
    expect(parseRange('1e3')).toBeUndefined()
  })

  it('round-trips through formatRange', () => {
    expect(formatRange({ min: 60, max: 80 })).toBe('60–80')
    expect(parseRange(formatRange({ min: 60, max: 80 }))).toEqual({ min: 60, max: 80 })
    expect(formatRange({ min: 3, max: 3 })).toBe('3')
    expect(formatRange(12.5)).toBe('12.5')
    expect(formatRange(null)).toBe('')
  })
})
