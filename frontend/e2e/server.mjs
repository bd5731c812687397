// Starts a real `ecotrack serve` on a free port with a throwaway SQLite database and the `file`
// email backend (messages land as .eml files in <data dir>/mail), and stops it afterwards.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

export async function startServer() {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'ecotrack-e2e-'))
  const baseUrl = `http://127.0.0.1:${port}`
  const bin = process.env.ECOTRACK_BIN ?? join(ROOT, '.venv', 'bin', 'ecotrack')
  const env = {
    ...process.env,
    ECOTRACK_DATA_DIR: dataDir,
    ECOTRACK_DATABASE_URL: `sqlite:///${join(dataDir, 'e2e.db')}`,
    ECOTRACK_EMAIL_BACKEND: 'file',
    ECOTRACK_PUBLIC_URL: baseUrl,
    ECOTRACK_AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    ECOTRACK_RATE_LIMIT_PER_MINUTE: '100000',
    ECOTRACK_JOBS_POLL_INTERVAL_S: '0.2',
    ECOTRACK_LOG_JSON: 'false',
  }
  for (const key of ['ECOTRACK_REDIS_URL', 'ECOTRACK_BROKER_URL']) delete env[key]
  const child = spawn(bin, ['serve', '--host', '127.0.0.1', '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout.on('data', (chunk) => (log += chunk))
  child.stderr.on('data', (chunk) => (log += chunk))
  const deadline = Date.now() + 90_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ecotrack serve exited (${child.exitCode}):\n${log.slice(-4000)}`)
    try {
      const response = await fetch(`${baseUrl}/healthz`)
      if (response.ok) break
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM')
      throw new Error(`ecotrack serve did not answer /healthz in 90 s:\n${log.slice(-4000)}`)
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  return {
    baseUrl,
    dataDir,
    log: () => log,
    /** The newest message to `to` in the mail directory, decoded (waits for the job to send it). */
    async waitForMail(to, { timeoutMs = 30_000, after = 0 } = {}) {
      const dir = join(dataDir, 'mail')
      const end = Date.now() + timeoutMs
      while (Date.now() < end) {
        let files = []
        try {
          files = readdirSync(dir).filter((f) => f.endsWith('.eml'))
        } catch {
          /* no mail yet */
        }
        const matching = files
          .map((f) => ({ f, text: decodeMail(readFileSync(join(dir, f), 'utf8')), mtime: statSync(join(dir, f)).mtimeMs }))
          .filter((m) => m.mtime >= after && m.text.toLowerCase().includes(`to: ${to.toLowerCase()}`))
          .sort((a, b) => b.mtime - a.mtime)
        if (matching.length) return matching[0].text
        await new Promise((r) => setTimeout(r, 250))
      }
      throw new Error(`no email to ${to} within ${timeoutMs} ms`)
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 10_000))])
        if (child.exitCode === null) child.kill('SIGKILL')
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Undo quoted-printable and base64 bodies enough to find links in a message. */
export function decodeMail(raw) {
  let text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)))
  if (/content-transfer-encoding:\s*base64/i.test(raw)) {
    const body = raw.split(/\r?\n\r?\n/).slice(1).join('\n')
    for (const block of body.match(/^[A-Za-z0-9+/=\r\n]{40,}$/gm) ?? []) {
      try {
        text += '\n' + Buffer.from(block.replace(/\s+/g, ''), 'base64').toString('utf8')
      } catch {
        /* not base64 */
      }
    }
  }
  return text
}
