import { describe, expect, it } from 'vitest'
import { tokenFromUrl } from './tokenFromUrl'

describe('tokenFromUrl', () => {
  it('prefers the fragment, falls back to the query', () => {
    expect(tokenFromUrl('#token=ot_abc', { token: 'q' })).toBe('ot_abc')
    expect(tokenFromUrl('', { token: 'q' })).toBe('q')
    expect(tokenFromUrl('#other=1', {})).toBe('')
  })
})
