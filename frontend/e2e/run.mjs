// The E2E journey in headless Chromium (playwright-core + the system browser) against a real
// `ecotrack serve` on a throwaway SQLite database. Prints one line per step and a closing
// "N passed, N failed" line; exits non-zero on any failure. Screenshots go to e2e/screenshots/.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { chromium } from 'playwright-core'
import { startServer } from './server.mjs'

const require = createRequire(import.meta.url)
const AXE_SOURCE = require('axe-core').source
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url))
const CHROMIUM = process.env.ECOTRACK_CHROMIUM ?? '/usr/bin/chromium'
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } }
const EMAIL = `e2e-${Date.now()}@example.org`
const PASSWORD = 'green-kettle-51-orbit'

const results = []
let failed = false

async function step(name, fn) {
  if (failed) {
    results.push({ name, status: 'not run' })
    console.log(`  -  ${name} (not run)`)
    return
  }
  const start = Date.now()
  try {
    const note = await fn()
    results.push({ name, status: note?.skipped ? 'skipped' : 'passed' })
    console.log(`  ${note?.skipped ? '~' : '✓'}  ${name}${note?.skipped ? ` (skipped: ${note.skipped})` : ''} ${Date.now() - start} ms`)
  } catch (error) {
    failed = true
    results.push({ name, status: 'failed' })
    console.log(`  ✗  ${name}\n     ${String(error?.stack ?? error).split('\n').slice(0, 6).join('\n     ')}`)
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message)
}

/** axe-core over the page: no serious or critical violation. */
async function axeScan(page, label) {
  // Evaluated through the DevTools protocol, so the app's strict CSP stays on.
  await page.evaluate(AXE_SOURCE)
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] })
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
  })
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  const minor = result.filter((v) => !bad.includes(v))
  if (minor.length) console.log(`     axe ${label}: ${minor.length} minor/moderate: ${minor.map((v) => v.id).join(', ')}`)
  expect(!bad.length, `axe ${label}: ${bad.map((v) => `${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(' | ')}`).join('; ')}`)
}

async function screenshots(page, name) {
  const original = page.viewportSize()
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size)
    await page.waitForTimeout(500) // charts resize and settle
    await page.screenshot({ path: join(SHOTS, `${name}-${label}.png`), fullPage: label === 'desktop' })
    if (label === 'phone') await page.screenshot({ path: join(SHOTS, `${name}-${label}-full.png`), fullPage: true })
  }
  await page.setViewportSize(original)
}

async function settle(page) {
  await page.waitForLoadState('networkidle').catch(() => undefined)
}

const server = await startServer()
mkdirSync(SHOTS, { recursive: true })
console.log(`ecotrack serve on ${server.baseUrl} (data ${server.dataDir})`)
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
})
const context = await browser.newContext({ baseURL: server.baseUrl, viewport: VIEWPORTS.desktop, locale: 'en-GB', timezoneId: 'UTC' })
const page = await context.newPage()
page.setDefaultTimeout(15_000)
const consoleErrors = []
page.on('console', (msg) => {
  if (msg.type() === 'error' && /Content Security Policy|Uncaught|TypeError|ReferenceError/.test(msg.text())) consoleErrors.push(msg.text())
})
page.on('pageerror', (error) => consoleErrors.push(String(error)))

let orgId = null
let apiKey = null

try {
  await step('landing page renders with a live estimate', async () => {
    await page.goto('/')
    await page.getByRole('heading', { level: 1, name: /carbon footprint/i }).waitFor()
    await page.getByText(/CO₂e/).first().waitFor()
    await page.locator('.hero-card .stat-value').waitFor()
    await settle(page)
    await axeScan(page, 'landing')
    await screenshots(page, 'landing')
  })

  await step('anonymous questionnaire page is accessible', async () => {
    await page.goto('/questionnaire')
    await page.getByRole('heading', { name: 'Your home' }).waitFor()
    await axeScan(page, 'questionnaire')
  })

  await step('sign up', async () => {
    await page.goto('/sign-up')
    await axeScan(page, 'sign-up')
    await page.getByLabel('Name').fill('Ada E2E')
    await page.getByLabel('Email').fill(EMAIL)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByTestId('sign-up-done').waitFor()
  })

  await step('verify the address through the outbox (file backend)', async () => {
    const mail = await server.waitForMail(EMAIL)
    const match = mail.match(/https?:\/\/[^\s"<>]+\/verify-email#token=[A-Za-z0-9_\-.~]+/)
    expect(match, `no verification link in the message:\n${mail.slice(0, 800)}`)
    await page.goto(match[0])
    await page.getByTestId('verified').waitFor()
    expect(!page.url().includes('token='), 'the token stays in the address bar')
  })

  await step('sign in (httpOnly cookies + CSRF)', async () => {
    await page.goto('/sign-in')
    await axeScan(page, 'sign-in')
    await page.getByLabel('Email').fill(EMAIL)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL('**/dashboard')
    const cookies = await context.cookies()
    const access = cookies.find((c) => c.name === 'ecotrack_access')
    expect(access?.httpOnly, 'the access cookie is missing or readable by scripts')
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }))
    expect(!/eyJ|ecotrack_access|refresh/i.test(stored), `tokens in localStorage: ${stored}`)
  })

  await step('take the questionnaire: result with breakdown and comparison', async () => {
    await page.goto('/questionnaire')
    await page.getByRole('heading', { name: 'Your home' }).waitFor()
    await page.getByLabel('How much electricity does your home use in a year?').fill('3100')
    await page.getByLabel('How many kilometres do you travel by car in a year?').fill('9000')
    await page.getByRole('radio', { name: 'Vegetarian' }).check()
    await page.getByRole('button', { name: 'See my footprint' }).click()
    const result = page.getByTestId('questionnaire-result')
    await result.waitFor()
    expect(/t\s*CO₂e per year/.test(await result.innerText()), 'no yearly total in the result')
    await page.getByRole('heading', { name: 'Compared with' }).waitFor()
    await page.getByText('1.5 °C target for 2030').waitFor()
    await page.locator('canvas').first().waitFor()
    await settle(page)
    await axeScan(page, 'questionnaire result')
    await screenshots(page, 'questionnaire-result')
  })

  await step('log activities with a live estimate and its explanation', async () => {
    await page.goto('/log')
    await page.getByLabel('Amount').waitFor()
    await page.getByRole('button', { name: 'Electricity', exact: true }).click()
    await page.getByLabel('Amount').fill('120')
    const estimate = page.getByTestId('estimate')
    await estimate.getByText('How it is calculated').waitFor()
    expect(/kg CO2e|kWh/.test(await estimate.innerText()), 'the estimate has no explanation')
    await axeScan(page, 'activity form')
    await screenshots(page, 'activity-form')
    await page.getByRole('button', { name: 'Save activity' }).click()
    await page.getByTestId('saved').waitFor()
    await page.getByRole('button', { name: 'Log another' }).click()
    await page.getByRole('button', { name: 'Car', exact: true }).click()
    await page.getByLabel('Amount').fill('42')
    await page.getByLabel('Fuel').selectOption('petrol')
    await estimate.getByText('How it is calculated').waitFor()
    await page.getByRole('button', { name: 'Save activity' }).click()
    await page.getByTestId('saved').waitFor()
  })

  await step('the dashboard shows them (and notifications are live)', async () => {
    await page.goto('/dashboard')
    const recent = page.getByTestId('recent-activities')
    await recent.waitFor()
    const text = await recent.innerText()
    expect(text.includes('Electricity') && text.includes('Car'), `recent activities: ${text}`)
    await page.locator('canvas').nth(1).waitFor()
    await page.getByText('Live', { exact: true }).waitFor({ timeout: 10_000 })
    await settle(page)
    await axeScan(page, 'dashboard')
    await screenshots(page, 'dashboard')
  })

  await step('set a goal', async () => {
    await page.goto('/goals')
    await page.getByRole('button', { name: 'Set goal' }).click()
    await page.getByTestId('goal').first().waitFor()
    await axeScan(page, 'goals')
    await page.goto('/dashboard')
    await page.getByRole('progressbar', { name: /budget used/ }).first().waitFor()
  })

  await step('activities list: filters and CSV import with per-row errors', async () => {
    await page.goto('/activities')
    await page.getByTestId('activities-table').waitFor()
    expect((await page.getByTestId('activities-table').locator('tbody tr').count()) === 2, 'expected 2 activities')
    const csv = 'date,activity,amount,unit\n2026-11-01,bus,12,km\n2026-11-02,teleport,3,km\n'
    await page.getByLabel('CSV file').setInputFiles({ name: 'a.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
    await page.getByRole('button', { name: 'Import' }).click()
    await page.getByTestId('import-errors').waitFor()
    expect((await page.getByTestId('import-errors').innerText()).includes('activity'), 'the row error names no field')
    await page.getByTestId('activities-table').locator('tbody tr').nth(2).waitFor()
    await page.getByLabel('Category').selectOption('transportation')
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="activities-table"] tbody tr').length === 2)
    await axeScan(page, 'activities')
  })

  for (const [path, heading] of [
    ['/factors', 'Factor explorer'],
    ['/factors/playground', 'Estimate playground'],
    ['/recommendations', 'Recommendations'],
    ['/challenges', 'Challenges'],
    ['/settings', 'Profile & settings'],
  ]) {
    await step(`${path} is accessible`, async () => {
      await page.goto(path)
      await page.getByRole('heading', { level: 1, name: heading }).waitFor()
      await settle(page)
      await axeScan(page, path)
    })
  }

  await step('create an organisation and an API key (secret shown once)', async () => {
    await page.goto('/orgs')
    await page.getByLabel('Name').fill('Acme AI')
    await page.getByRole('button', { name: 'Create organisation' }).click()
    await page.getByTestId('org').first().waitFor()
    await axeScan(page, 'organisations')
    await page.getByRole('link', { name: 'API keys' }).first().click()
    await page.waitForURL(/\/orgs\/\d+\/api-keys/)
    orgId = Number(page.url().match(/orgs\/(\d+)/)[1])
    await page.getByRole('button', { name: 'Create key' }).click()
    const secret = page.getByTestId('api-key-secret')
    await secret.waitFor()
    apiKey = await page.getByLabel('Secret').inputValue()
    expect(apiKey.length > 20, 'no secret shown')
    expect((await secret.innerText()).includes('/v1/ingest'), 'no curl example')
    await axeScan(page, 'api keys')
  })

  await step('ingest events over HTTP (POST /v1/ingest)', async () => {
    const doc = await (await fetch(`${server.baseUrl}/api/openapi.json`)).json()
    if (!doc.paths['/v1/ingest']) return { skipped: 'POST /v1/ingest does not exist yet' }
    const now = Date.now()
    const events = Array.from({ length: 12 }, (_, i) => ({
      id: `e2e-${i}`,
      ts: new Date(now - (i % 4) * 86_400_000).toISOString(),
      provider: i % 3 ? 'openai' : 'anthropic',
      model: i % 3 ? 'gpt-4o-mini' : 'claude-3-5-haiku',
      tokens_in: 800 + i * 10,
      tokens_out: 300 + i * 5,
      user: `dev${i % 2}@acme.test`,
      team: i % 2 ? 'search' : 'support',
    }))
    const response = await fetch(`${server.baseUrl}/v1/ingest`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ events }),
    })
    const body = await response.json()
    expect(response.status === 200 && body.accepted === 12, `ingest answered ${response.status}: ${JSON.stringify(body)}`)
  })

  await step('the usage dashboard shows them', async () => {
    const doc = await (await fetch(`${server.baseUrl}/api/openapi.json`)).json()
    if (!doc.paths['/api/v1/orgs/{org_id}/usage/summary']) return { skipped: 'the usage API does not exist yet' }
    await page.goto(`/orgs/${orgId}/usage`)
    const totals = page.getByTestId('usage-totals')
    await totals.waitFor()
    await page.waitForFunction(() => /Calls\s*12/.test(document.querySelector('[data-testid="usage-totals"]')?.textContent ?? ''))
    await page.getByTestId('usage-breakdown').waitFor()
    expect((await page.getByTestId('usage-breakdown').innerText()).includes('gpt-4o-mini'), 'no model in the breakdown')
    await page.locator('canvas').first().waitFor()
    await settle(page)
    await axeScan(page, 'usage dashboard')
    await screenshots(page, 'usage-dashboard')
  })

  await step('organisation pages are accessible', async () => {
    if (!orgId) return { skipped: 'no organisation' }
    for (const [path, heading] of [
      ['members', 'Members'],
      ['teams', 'Teams'],
      ['alerts', 'Alerts'],
      ['notifications', 'Notifications'],
      ['webhooks', 'Webhooks'],
      ['reports', 'Reports'],
      ['factors', 'Factors & models'],
      ['audit-log', 'Audit log'],
    ]) {
      await page.goto(`/orgs/${orgId}/${path}`)
      await page.getByRole('heading', { level: 1, name: heading }).waitFor()
      await page.locator('.skeleton').first().waitFor({ state: 'detached' }).catch(() => undefined)
      await settle(page)
      await axeScan(page, `org ${path}`)
    }
  })

  await step('dark theme is accessible too', async () => {
    await page.goto('/dashboard')
    await page.getByRole('button', { name: /Switch to dark theme/ }).click()
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
    await page.getByTestId('recent-activities').waitFor()
    await settle(page)
    await axeScan(page, 'dashboard (dark)')
    await page.screenshot({ path: join(SHOTS, 'dashboard-dark-desktop.png'), fullPage: true })
    await page.getByRole('button', { name: /Switch to light theme/ }).click()
  })

  await step('PWA: manifest, service worker and an offline app shell', async () => {
    const manifest = await (await fetch(`${server.baseUrl}/manifest.webmanifest`)).json()
    expect(manifest.icons.some((i) => i.sizes === '512x512'), 'no 512px icon')
    await page.goto('/dashboard')
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true))
    await page.reload()
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
    await context.setOffline(true)
    await page.goto('/goals').catch(() => undefined)
    await page.getByRole('link', { name: 'EcoTrack home' }).waitFor()
    await context.setOffline(false)
  })

  await step('no CSP violations or script errors', async () => {
    expect(!consoleErrors.length, consoleErrors.join('\n'))
  })

  await step('sign out', async () => {
    await page.goto('/dashboard')
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL((url) => url.pathname === '/')
    await page.goto('/dashboard')
    await page.waitForURL('**/sign-in?next=**')
  })
} finally {
  await browser.close()
  if (failed) console.log(`--- server log (tail) ---\n${server.log().slice(-3000)}`)
  await server.stop()
}

const passed = results.filter((r) => r.status === 'passed').length
const failures = results.filter((r) => r.status === 'failed' || r.status === 'not run').length
const skipped = results.filter((r) => r.status === 'skipped').length
console.log(`screenshots: ${SHOTS}`)
console.log(`${passed} passed, ${failures} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failures ? 1 : 0)
