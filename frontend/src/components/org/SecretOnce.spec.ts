import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useUiStore } from '@/stores/ui'
import SecretOnce from './SecretOnce.vue'

const SECRET = 'whsec_c2VjcmV0LXNob3duLW9uY2U='

describe('SecretOnce', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('shows the secret read-only with a shown-once warning and its own label', () => {
    const wrapper = mount(SecretOnce, { props: { title: 'Signing secret', secret: SECRET, label: 'Signing secret value' } })
    const input = wrapper.get('input')
    expect(input.element.value).toBe(SECRET)
    expect(input.attributes('readonly')).toBeDefined()
    expect(wrapper.get(`label[for="${input.attributes('id')}"]`).text()).toBe('Signing secret value')
    expect(wrapper.get('.alert-warning').text()).toBe('Copy it now: it is shown only once.')
    expect(wrapper.get('h2').text()).toBe('Signing secret')
  })

  it('copies exactly the secret and says so', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined)
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    const wrapper = mount(SecretOnce, { props: { title: 'T', secret: SECRET } })
    await wrapper.get('button.btn-primary').trigger('click')
    await new Promise((r) => setTimeout(r))
    expect(writeText).toHaveBeenCalledExactlyOnceWith(SECRET)
    expect(wrapper.get('button.btn-primary').text()).toBe('Copied')
    expect(useUiStore().toasts.map((t) => t.text)).toEqual(['Copied.'])
  })

  it('reports a failed copy and does not claim success', async () => {
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: vi.fn().mockRejectedValue(new Error('denied')) }, configurable: true })
    const wrapper = mount(SecretOnce, { props: { title: 'T', secret: SECRET } })
    await wrapper.get('button.btn-primary').trigger('click')
    await new Promise((r) => setTimeout(r))
    expect(wrapper.get('button.btn-primary').text()).toBe('Copy')
    expect(useUiStore().toasts.map((t) => [t.kind, t.text])).toEqual([['error', 'Copy failed: select the text and copy it by hand.']])
  })

  it('emits done once it is dismissed (the parent then forgets the secret)', async () => {
    const wrapper = mount(SecretOnce, { props: { title: 'T', secret: SECRET, note: 'Shown once.' } })
    expect(wrapper.get('.alert-warning').text()).toBe('Shown once.')
    expect(wrapper.emitted('done')).toBeUndefined()
    await wrapper.get('button.btn-ghost').trigger('click')
    expect(wrapper.emitted('done')).toEqual([[]])
  })
})
