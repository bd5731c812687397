import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import ListPager from './ListPager.vue'
import { httpBadge, statusBadge } from './status'

describe('ListPager', () => {
  it('shows the window and moves by one page, never past the ends', async () => {
    const wrapper = mount(ListPager, { props: { total: 53, limit: 20, offset: 20 } })
    expect(wrapper.get('[aria-live]').text()).toBe('21–40 of 53')
    const [prev, next] = wrapper.findAll('button')
    await prev!.trigger('click')
    await next!.trigger('click')
    expect(wrapper.emitted('update:offset')).toEqual([[0], [40]])

    await wrapper.setProps({ offset: 40 })
    expect(wrapper.get('[aria-live]').text()).toBe('41–53 of 53')
    expect(wrapper.findAll('button')[1]!.attributes('disabled')).toBeDefined()
    await wrapper.setProps({ offset: 0 })
    expect(wrapper.findAll('button')[0]!.attributes('disabled')).toBeDefined()
  })

  it('has no buttons when everything fits, and nothing at all for an empty list', () => {
    const one = mount(ListPager, { props: { total: 7, limit: 20, offset: 0 } })
    expect(one.findAll('button')).toHaveLength(0)
    expect(one.text()).toBe('7 in all')
    expect(mount(ListPager, { props: { total: 0, limit: 20, offset: 0 } }).text()).toBe('')
  })
})

describe('status badges', () => {
  it('colours outcomes and HTTP codes', () => {
    expect(['succeeded', 'done', 'sent', 'accepted'].map(statusBadge)).toEqual(Array(4).fill('badge-success'))
    expect(['failed', 'revoked', 'expired'].map(statusBadge)).toEqual(Array(3).fill('badge-danger'))
    expect(['pending', 'sending', 'running'].map(statusBadge)).toEqual(Array(3).fill('badge-warning'))
    expect(statusBadge('other')).toBe('')
    expect([200, 204, 299].map(httpBadge)).toEqual(Array(3).fill('badge-success'))
    expect([301, 404, 500].map(httpBadge)).toEqual(Array(3).fill('badge-danger'))
    expect(httpBadge(null)).toBe('badge-warning')
  })
})
