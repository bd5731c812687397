import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import RoleSelect from './RoleSelect.vue'

const values = (w: ReturnType<typeof mount>) => w.findAll('option').map((o) => (o.element as HTMLOptionElement).value)

describe('RoleSelect', () => {
  it('offers an owner every role, owner included, and emits the choice', async () => {
    const wrapper = mount(RoleSelect, { props: { modelValue: 'member', actorRole: 'owner', label: 'Role of a@x.org' } })
    const select = wrapper.get('select')
    expect(select.attributes('aria-label')).toBe('Role of a@x.org')
    expect(select.attributes('disabled')).toBeUndefined()
    expect(values(wrapper)).toEqual(['owner', 'admin', 'member', 'viewer'])
    expect((select.element as HTMLSelectElement).value).toBe('member')
    await select.setValue('admin')
    expect(wrapper.emitted('update:modelValue')).toEqual([['admin']])
  })

  it('does not let an admin grant owner', () => {
    const wrapper = mount(RoleSelect, { props: { modelValue: 'viewer', actorRole: 'admin', label: 'Role' } })
    expect(values(wrapper)).toEqual(['admin', 'member', 'viewer'])
    expect(wrapper.get('select').attributes('disabled')).toBeUndefined()
  })

  it("locks an owner's row for an admin (only owners take away owner)", () => {
    const wrapper = mount(RoleSelect, { props: { modelValue: 'owner', actorRole: 'admin', label: 'Role' } })
    expect(wrapper.get('select').attributes('disabled')).toBeDefined()
    expect((wrapper.get('select').element as HTMLSelectElement).value).toBe('owner')
  })

  it('is read-only for members and viewers, and while a change is saving', () => {
    for (const actorRole of ['member', 'viewer', undefined] as const) {
      const wrapper = mount(RoleSelect, { props: { modelValue: 'member', actorRole, label: 'Role' } })
      expect(wrapper.get('select').attributes('disabled')).toBeDefined()
      expect(values(wrapper)).toEqual(['admin', 'member', 'viewer'])
    }
    const saving = mount(RoleSelect, { props: { modelValue: 'member', actorRole: 'owner', label: 'Role', disabled: true } })
    expect(saving.get('select').attributes('disabled')).toBeDefined()
  })
})
