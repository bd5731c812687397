import { describe, expect, it } from 'vitest'
import { initialValue, optionsPayload } from './activityOptions'

const options = [
  { name: 'fuel', type: 'str', description: '', default: 'unknown' },
  { name: 'passengers', type: 'int', description: '', default: 1 },
  { name: 'round_trip', type: 'bool', description: '', default: false },
  { name: 'renewable_share', type: 'float', description: '', default: null },
  { name: 'from', type: 'str', description: '' },
]

describe('activity options', () => {
  it('starts from the defaults', () => {
    expect(options.map(initialValue)).toEqual(['unknown', 1, false, '', ''])
  })

  it('sends only what differs from the defaults, typed', () => {
    const values = { fuel: 'diesel', passengers: '2', round_trip: true, renewable_share: '', from: ' LHR ' }
    expect(optionsPayload(options, values as never)).toEqual({ fuel: 'diesel', passengers: 2, round_trip: true, from: 'LHR' })
  })

  it('sends nothing when every option is left at its default', () => {
    const values = Object.fromEntries(options.map((o) => [o.name, initialValue(o)]))
    expect(optionsPayload(options, values)).toEqual({})
  })
})
