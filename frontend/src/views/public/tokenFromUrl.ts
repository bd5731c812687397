/** The one-time token of an emailed link: in the fragment (`#token=…`, never sent to servers)
 *  or, for older links, the query (`?token=…`). */
export function tokenFromUrl(hash: string, query: Record<string, unknown>): string {
  const fromHash = new URLSearchParams(hash.replace(/^#/, '')).get('token')
  if (fromHash) return fromHash
  return typeof query.token === 'string' ? query.token : ''
}
