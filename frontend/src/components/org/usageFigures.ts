import { formatNumber, formatQuantity } from '@/lib/format'

/** The counts every usage group carries (a summary group, a top item, a timeseries point). */
export interface CallCounts {
  calls: number
  calls_unknown: number
}

/**
 * A group's figure for display. Calls of a model EcoTrack has no data for (`model-not-registered`)
 * add nothing to the sums, so a group made only of such calls must not read "0 kg": its impact is
 * unknown, not zero.
 */
export function impactText(group: CallCounts, value: number, unit: string): string {
  if (group.calls > 0 && group.calls_unknown >= group.calls) return 'unknown impact'
  return formatQuantity(value, unit)
}

/** "3 calls", plus how many of them have an unknown impact and are not in the figure. */
export function callsText(group: CallCounts): string {
  const calls = `${formatNumber(group.calls, 0)} call${group.calls === 1 ? '' : 's'}`
  if (!group.calls_unknown) return calls
  if (group.calls_unknown >= group.calls) return `${calls}, model not registered`
  return `${calls} · ${formatNumber(group.calls_unknown, 0)} of unknown impact, not counted`
}
