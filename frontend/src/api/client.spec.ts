import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSessionFetch, onSessionEnded, readCookie } from './client'

const ORIGIN = 'http://localhost:3000'

function clearCookies(): void {
  for (const part of document.cookie.split(';')) {
    const name = part.split('=')[0]?.trim()
    if (name) document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`
  }
}

describe('readCookie', () => {
  it('finds a cookie among others and decodes it', () => {
    expect(readCookie('csrf_token', 'a=1; csrf_token=x%3Dy; b=2')).toBe('x=y')
    expect(readCookie('missing', 'a=1')).toBeNull()
  })
})

describe('session fetch', () => {
  beforeEach(() => {
    clearCookies()
    document.cookie = 'csrf_token=csrf-1; path=/'
  })
  afterEach(clearCookies)

  it('echoes the CSRF cookie on unsafe methods only', async () => {
    const seen: Request[] = []
    const base = vi.fn(async (input: RequestInfo | URL) => {
      seen.push(input as Request)
      return new Response('{}', { status: 200 })
    })
    const f = createSessionFetch(base as unknown as typeof fetch)
    await f(new Request(`${ORIGIN}/api/v1/goals`, { method: 'POST', body: '{}' }))
    await f(new Request(`${ORIGIN}/api/v1/goals`))
    expect(seen[0]!.headers.get('X-CSRF-Token')).toBe('csrf-1')
    expect(seen[1]!.headers.get('X-CSRF-Token')).toBeNull()
  })

  it('refreshes once on 401 and retries the request with its body', async () => {
    const calls: Array<{ url: string; method: string; csrf: string | null; body: string }> = []
    const base = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(new URL(String(input), ORIGIN), init)
      calls.push({ url: new URL(request.url).pathname, method: request.method, csrf: request.headers.get('X-CSRF-Token'), body: await request.text() })
      if (calls.length === 1) return new Response('{}', { status: 401 })
      return new Response('{"ok":true}', { status: request.method === 'POST' && calls.length === 2 ? 200 : 201 })
    })
    const f = createSessionFetch(base as unknown as typeof fetch)
    const response = await f(new Request(`${ORIGIN}/api/v1/activities`, { method: 'POST', body: '{"amount":1}' }))
    expect(response.status).toBe(201)
    expect(calls).toEqual([
      { url: '/api/v1/activities', method: 'POST', csrf: 'csrf-1', body: '{"amount":1}' },
      { url: '/api/v1/auth/refresh', method: 'POST', csrf: 'csrf-1', body: '' },
      { url: '/api/v1/activities', method: 'POST', csrf: 'csrf-1', body: '{"amount":1}' },
    ])
  })

  it('does not refresh for credential routes or without a session cookie', async () => {
    const base = vi.fn(async () => new Response('{}', { status: 401 }))
    const f = createSessionFetch(base as unknown as typeof fetch)
    expect((await f(new Request(`${ORIGIN}/api/v1/auth/login`, { method: 'POST', body: '{}' }))).status).toBe(401)
    expect(base).toHaveBeenCalledTimes(1)
    clearCookies()
    expect((await f(new Request(`${ORIGIN}/api/v1/users/me`))).status).toBe(401)
    expect(base).toHaveBeenCalledTimes(2)
  })

  it('ends the session when the refresh fails', async () => {
    const ended = vi.fn()
    const stop = onSessionEnded(ended)
    const base = vi.fn(async () => new Response('{}', { status: 401 }))
    const f = createSessionFetch(base as unknown as typeof fetch)
    const response = await f(new Request(`${ORIGIN}/api/v1/users/me`))
    stop()
    expect(response.status).toBe(401)
    expect(base).toHaveBeenCalledTimes(2) // the call and the refresh, no retry
    expect(ended).toHaveBeenCalledTimes(1)
  })
})
