import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { useSessionStore } from './session'

const USER = {
  id: 7,
  email: 'ada@example.org',
  display_name: null,
  country: 'GB',
  household_size: null,
  is_verified: true,
  role: 'user',
  created_at: '2026-11-30T10:00:00Z',
  privacy: {},
  units: {},
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

describe('session store', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => {
    document.cookie = 'csrf_token=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
  })

  it('makes no request without a session cookie', async () => {
    const fetchMock = vi.spyOn(globalThis, 'fetch')
    const session = useSessionStore()
    expect(await session.load()).toBeNull()
    expect(session.loaded).toBe(true)
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('signs in with cookies and loads the user', async () => {
    const requests: Request[] = []
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
      const request = input as Request
      requests.push(request.clone())
      if (request.url.endsWith('/api/v1/auth/login')) {
        document.cookie = 'csrf_token=abc; path=/'
        return json({ access_token: null, refresh_token: null, expires_in: 900, csrf_token: 'abc', token_type: 'bearer' })
      }
      return json(USER)
    })
    const session = useSessionStore()
    await session.signIn('ada@example.org', 'correct horse')
    expect(await requests[0]!.json()).toEqual({ email: 'ada@example.org', password: 'correct horse', use_cookies: true })
    expect(new URL(requests[1]!.url).pathname).toBe('/api/v1/users/me')
    expect(session.signedIn).toBe(true)
    expect(session.displayName).toBe('ada')
  })

  it('surfaces a failed sign-in as an error and stays signed out', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(JSON.stringify({ type: 't', title: 'Unauthorized', status: 401, detail: 'Wrong email or password', code: 'x' }), {
        status: 401,
        headers: { 'Content-Type': 'application/problem+json' },
      }),
    )
    const session = useSessionStore()
    await expect(session.signIn('ada@example.org', 'nope')).rejects.toThrow('Wrong email or password')
    expect(session.signedIn).toBe(false)
  })
})
