/**
 * The one typed API client. Types come from `schema.d.ts`, generated from the backend's OpenAPI
 * document (`npm run api:generate`); nothing here is hand-typed.
 *
 * Sessions are httpOnly cookies set by `POST /api/v1/auth/login` with `use_cookies: true`. The
 * JavaScript-readable `csrf_token` cookie is echoed in `X-CSRF-Token` on unsafe methods (double
 * submit); a 401 triggers one cookie refresh (`POST /api/v1/auth/refresh`, no body) and a retry.
 * No token is ever stored by the app.
 */
import createClient from 'openapi-fetch'
import type { components, paths } from './schema'

export type Schemas = components['schemas']
export type Problem = Schemas['Problem']

export const CSRF_COOKIE = 'csrf_token'
export const CSRF_HEADER = 'X-CSRF-Token'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const REFRESH_PATH = '/api/v1/auth/refresh'
// Credential routes answer 401 for bad credentials: never refresh-and-retry those.
const NO_RETRY = /\/api\/v1\/auth\/(login|refresh|register|verify-email|password\/(forgot|reset))$/

export function readCookie(name: string, source: string = document.cookie): string | null {
  for (const part of source.split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return decodeURIComponent(rest.join('='))
  }
  return null
}

/** True when the browser holds a session (the CSRF cookie lives as long as the refresh token). */
export function hasSessionCookie(): boolean {
  return readCookie(CSRF_COOKIE) !== null
}

type SessionListener = () => void
const sessionEndedListeners = new Set<SessionListener>()
/** Called when a refresh fails: the session is over (logged out elsewhere, expired). */
export function onSessionEnded(listener: SessionListener): () => void {
  sessionEndedListeners.add(listener)
  return () => sessionEndedListeners.delete(listener)
}

function withCsrf(request: Request): Request {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return request
  const token = readCookie(CSRF_COOKIE)
  if (!token) return request
  const headers = new Headers(request.headers)
  headers.set(CSRF_HEADER, token)
  return new Request(request, { headers })
}

// Resolved per call, so tests (and polyfills) can replace `fetch`.
const lateFetch: typeof fetch = (input, init) => globalThis.fetch(input, init)

let refreshing: Promise<boolean> | null = null

/** One refresh at a time: concurrent 401s share it. */
export function refreshSession(baseFetch: typeof fetch = lateFetch): Promise<boolean> {
  if (!refreshing) {
    const token = readCookie(CSRF_COOKIE)
    refreshing = (
      token
        ? baseFetch(REFRESH_PATH, {
            method: 'POST',
            credentials: 'same-origin',
            headers: { [CSRF_HEADER]: token, Accept: 'application/json' },
          }).then((r) => r.ok)
        : Promise.resolve(false)
    )
      .catch(() => false)
      .then((ok) => {
        if (!ok) sessionEndedListeners.forEach((listener) => listener())
        return ok
      })
      .finally(() => {
        refreshing = null
      })
  }
  return refreshing
}

/** The fetch used by the client: CSRF header, and refresh + retry once on 401. */
export function createSessionFetch(baseFetch: typeof fetch = lateFetch) {
  return async function sessionFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const original = new Request(input, { credentials: 'same-origin', ...init })
    const retryCopy = original.clone()
    const response = await baseFetch(withCsrf(original))
    const path = new URL(original.url, 'http://x').pathname
    if (response.status !== 401 || NO_RETRY.test(path) || !hasSessionCookie()) return response
    if (!(await refreshSession(baseFetch))) return response
    return baseFetch(withCsrf(retryCopy))
  }
}

const sessionFetch = createSessionFetch()

export const api = createClient<paths>({
  baseUrl: typeof window === 'undefined' ? 'http://localhost' : window.location.origin,
  credentials: 'same-origin',
  fetch: (request: Request) => sessionFetch(request),
})

/** A readable message from a problem+json body (or anything else an error can be). */
export function problemMessage(error: unknown, fallback = 'Something went wrong. Please try again.'): string {
  if (error && typeof error === 'object') {
    const p = error as Partial<Problem> & { message?: string }
    if (Array.isArray(p.errors) && p.errors.length) {
      return p.errors.map((e) => `${e.loc.filter((l) => l !== 'body').join('.')}: ${e.msg}`).join('; ')
    }
    if (p.detail) return String(p.detail)
    if (p.title) return String(p.title)
    if (p.message) return String(p.message)
  }
  return fallback
}

/** Field errors of a 422 problem keyed by the field name (the last `loc` part). */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  const p = error as Partial<Problem> | null
  for (const e of p?.errors ?? []) {
    const key = String(e.loc[e.loc.length - 1] ?? '')
    if (key && !out[key]) out[key] = e.msg
  }
  return out
}

/** Unwraps an openapi-fetch result: the data, or throws the problem. */
export async function unwrap<T>(promise: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await promise
  if (error !== undefined || !response.ok) throw new ApiError(response.status, error)
  return data as T
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: unknown,
  ) {
    super(problemMessage(problem))
    this.name = 'ApiError'
  }
}
