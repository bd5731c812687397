import { describe, expect, it } from 'vitest'
import { sortedCategories } from './categories'
import { formatKg, formatQuantity, humanize } from './format'

describe('format', () => {
  it('scales kilograms to readable units', () => {
    expect(formatKg(0.5)).toBe('0.5 kg')
    expect(formatKg(12.345)).toBe('12.3 kg')
    expect(formatKg(15000)).toBe('15 t')
    expect(formatKg(null)).toBe('–')
  })

  it('humanizes keys', () => {
    expect(humanize('natural_gas')).toBe('Natural gas')
    expect(humanize('lpg')).toBe('LPG')
    expect(humanize('supplier_factor_kg_per_kwh')).toBe('Supplier factor kg per kWh')
  })

  it('formats small quantities in a readable unit', () => {
    expect(formatQuantity(0.0000205, 'kg')).toBe('20.5 mg')
    expect(formatQuantity(0.75, 'kWh')).toBe('750 Wh')
    expect(formatQuantity(2500, 'kg')).toBe('2.5 t')
    expect(formatQuantity(0, 'L')).toBe('0 L')
    expect(formatQuantity(3, 'calls')).toBe('3 calls')
  })

  it('sorts categories largest first without zeros', () => {
    expect(sortedCategories({ waste: 0, heating: 5, electricity: 9 })).toEqual([
      ['electricity', 9],
      ['heating', 5],
    ])
  })
})
