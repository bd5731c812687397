import { describe, expect, it } from 'vitest'
import { rowProblems } from './importErrors'

describe('rowProblems', () => {
  it('reads a valid_only result', () => {
    const result = {
      mode: 'valid_only' as const,
      rows: 3,
      imported: 2,
      failed: 1,
      total_co2e_kg: 12,
      activity_ids: [1, 2],
      errors: [{ row: 3, errors: [{ loc: ['amount'], msg: 'must be positive', type: 'value_error' }] }],
    }
    expect(rowProblems(result)).toEqual([{ row: 3, messages: ['amount: must be positive'] }])
  })

  it('groups the field errors of an all_or_nothing problem by row', () => {
    const problem = {
      type: 't',
      title: 'Unprocessable',
      status: 422,
      detail: '2 of 4 rows are invalid; nothing was imported',
      code: 'import-rejected',
      instance: null,
      errors: [
        { loc: ['row', 4, 'unit'], msg: 'unknown unit', type: 'x' },
        { loc: ['row', 2, 'activity'], msg: 'unknown activity', type: 'x' },
        { loc: ['row', 4, 'date'], msg: 'bad date', type: 'x' },
      ],
    }
    expect(rowProblems(problem)).toEqual([
      { row: 2, messages: ['activity: unknown activity'] },
      { row: 4, messages: ['unit: unknown unit', 'date: bad date'] },
    ])
  })

  it('is empty without errors', () => {
    expect(rowProblems(null)).toEqual([])
  })
})
