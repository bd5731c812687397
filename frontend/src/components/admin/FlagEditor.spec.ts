import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import FlagEditor from './FlagEditor.vue'

describe('FlagEditor', () => {
  it('lists flags sorted and emits the whole set when one is switched', async () => {
    const wrapper = mount(FlagEditor, { props: { modelValue: { 'zeta.x': false, assistant: true } } })
    expect(wrapper.findAll('.mono').map((n) => n.text()).slice(0, 2)).toEqual(['assistant', 'zeta.x'])
    await wrapper.findAll('input[type="checkbox"]')[1]!.setValue(true)
    expect(wrapper.emitted('update:modelValue')).toEqual([[{ 'zeta.x': true, assistant: true }]])
  })

  it('removes a flag from the set', async () => {
    const wrapper = mount(FlagEditor, { props: { modelValue: { a: true, b: false } } })
    await wrapper.get('button[aria-label="Remove the flag a"]').trigger('click')
    expect(wrapper.emitted('update:modelValue')).toEqual([[{ b: false }]])
  })

  it('adds a well-named flag switched on, and refuses bad or duplicate names', async () => {
    const wrapper = mount(FlagEditor, { props: { modelValue: { a: true } } })
    const input = wrapper.get('#flag-new')
    const add = wrapper.get('form button[type="submit"]')

    await input.setValue('Bad Name')
    expect(wrapper.get('#flag-new-error').text()).toMatch(/^Lower-case letters/)
    expect(add.attributes('disabled')).toBeDefined()
    await wrapper.get('form').trigger('submit')

    await input.setValue('a')
    expect(wrapper.get('#flag-new-error').text()).toBe('This flag exists already.')
    await wrapper.get('form').trigger('submit')
    expect(wrapper.emitted('update:modelValue')).toBeUndefined()

    await input.setValue('reports.pdf-v2')
    expect(wrapper.get('#flag-new-error').text()).toBe('')
    await wrapper.get('form').trigger('submit')
    expect(wrapper.emitted('update:modelValue')).toEqual([[{ a: true, 'reports.pdf-v2': true }]])
    expect((input.element as HTMLInputElement).value).toBe('')
  })
})
