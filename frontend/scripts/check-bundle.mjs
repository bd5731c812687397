// Bundle budget: the JavaScript a first visit loads (the entry script and its modulepreloads)
// must stay within 250 KB gzip. Lazy route chunks and Chart.js are not part of it.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

const BUDGET_KB = Number(process.env.ECOTRACK_JS_BUDGET_KB ?? 250)
const dist = fileURLToPath(new URL('../../src/ecotrack/static/app/', import.meta.url))
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const files = new Set()
for (const m of html.matchAll(/<script[^>]+type="module"[^>]+src="\/([^"]+\.js)"/g)) files.add(m[1])
for (const m of html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g)) files.add(m[1])
if (!files.size) {
  console.error('check-bundle: no entry script found in index.html (is the app built?)')
  process.exit(1)
}
let total = 0
for (const file of [...files].sort()) {
  const size = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length
  total += size
  console.log(`${(size / 1024).toFixed(1).padStart(8)} KB  ${file}`)
}
const kb = total / 1024
console.log(`${kb.toFixed(1).padStart(8)} KB  initial JavaScript, gzip (budget ${BUDGET_KB} KB)`)
if (kb > BUDGET_KB) {
  console.error(`check-bundle: over budget by ${(kb - BUDGET_KB).toFixed(1)} KB`)
  process.exit(1)
}
