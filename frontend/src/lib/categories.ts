/** The footprint categories, in display order, with a colour that reads on light and dark. */
export const CATEGORIES = ['electricity', 'heating', 'transportation', 'lifestyle', 'waste', 'other'] as const
export type Category = (typeof CATEGORIES)[number]

export const CATEGORY_META: Record<string, { label: string; color: string; icon: string }> = {
  electricity: { label: 'Electricity', color: '#f59e0b', icon: '⚡' },
  heating: { label: 'Heating', color: '#ef4444', icon: '🔥' },
  transportation: { label: 'Transport', color: '#3b82f6', icon: '🚆' },
  lifestyle: { label: 'Food & shopping', color: '#10b981', icon: '🥗' },
  waste: { label: 'Waste', color: '#8b5cf6', icon: '♻️' },
  other: { label: 'Other', color: '#64748b', icon: '•' },
}

export function categoryLabel(key: string): string {
  return CATEGORY_META[key]?.label ?? key.charAt(0).toUpperCase() + key.slice(1)
}

export function categoryColor(key: string): string {
  return CATEGORY_META[key]?.color ?? '#64748b'
}

/** Category entries sorted largest first, zeros dropped. */
export function sortedCategories(byCategory: Record<string, number>): Array<[string, number]> {
  return Object.entries(byCategory)
    .filter(([, kg]) => kg > 0)
    .sort((a, b) => b[1] - a[1])
}
