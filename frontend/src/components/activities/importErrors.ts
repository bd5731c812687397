import type { Schemas } from '@/api/client'

export interface RowProblem {
  row: number
  messages: string[]
}

/** Per-row errors of an import: from a `valid_only` result, or from the 422 problem of an
 *  `all_or_nothing` import (whose field errors are located at ["row", n, ...field]). */
export function rowProblems(source: Schemas['ImportResult'] | Schemas['Problem'] | null | undefined): RowProblem[] {
  if (!source) return []
  if ('imported' in source) {
    return source.errors.map((e) => ({ row: e.row, messages: e.errors.map((x) => describe(x.loc, x.msg)) }))
  }
  const byRow = new Map<number, string[]>()
  for (const e of source.errors ?? []) {
    const [kind, row, ...loc] = e.loc
    if (kind !== 'row' || typeof row !== 'number') continue
    byRow.set(row, [...(byRow.get(row) ?? []), describe(loc, e.msg)])
  }
  return [...byRow.entries()].sort((a, b) => a[0] - b[0]).map(([row, messages]) => ({ row, messages }))
}

function describe(loc: Array<string | number>, msg: string): string {
  const field = loc.filter((part) => part !== 'body').join('.')
  return field ? `${field}: ${msg}` : msg
}
