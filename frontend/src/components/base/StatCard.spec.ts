import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import StatCard from './StatCard.vue'

describe('StatCard', () => {
  it('shows a fall as good news', () => {
    const wrapper = mount(StatCard, { props: { label: 'This month', kg: 1234.5, changePct: -12.4, count: 3 } })
    expect(wrapper.find('.stat-label').text()).toBe('This month')
    expect(wrapper.find('.stat-value').text()).toMatch(/^1,?235 kg$/)
    expect(wrapper.find('.trend-down').exists()).toBe(true)
    expect(wrapper.text()).toContain('3 activities')
  })

  it('shows a rise as bad news and a first period plainly', () => {
    expect(mount(StatCard, { props: { label: 'Week', kg: 5, changePct: 20 } }).find('.trend-up').exists()).toBe(true)
    const first = mount(StatCard, { props: { label: 'Week', kg: 5, changePct: null, trend: 'new', count: 1 } })
    expect(first.text()).toContain('first period')
    expect(first.text()).toContain('1 activity')
  })
})
