/** The badge class for a status word (deliveries, reports, invitations, outbox messages). */
export function statusBadge(status: string | null | undefined): string {
  switch (status) {
    case 'succeeded':
    case 'done':
    case 'sent':
    case 'accepted':
      return 'badge-success'
    case 'failed':
    case 'revoked':
    case 'expired':
      return 'badge-danger'
    case 'pending':
    case 'sending':
    case 'running':
      return 'badge-warning'
    default:
      return ''
  }
}

/** An HTTP status code as a badge class: 2xx good, none/other bad. */
export function httpBadge(code: number | null | undefined): string {
  if (code === null || code === undefined) return 'badge-warning'
  return code >= 200 && code < 300 ? 'badge-success' : 'badge-danger'
}
