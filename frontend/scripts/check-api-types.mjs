// CI check: dumping the OpenAPI document (without a server) and regenerating the TypeScript types
// gives exactly the committed src/api/schema.d.ts. Fix with `make web-types` and commit.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const python = process.env.ECOTRACK_PYTHON ?? join(root, '..', '.venv', 'bin', 'python')
const work = mkdtempSync(join(tmpdir(), 'ecotrack-api-'))
try {
  const doc = join(work, 'openapi.json')
  const types = join(work, 'schema.d.ts')
  execFileSync(python, [join(root, '..', 'scripts', 'openapi_dump.py'), doc], { stdio: 'inherit' })
  execFileSync(join(root, 'node_modules', '.bin', 'openapi-typescript'), [doc, '-o', types], { stdio: 'ignore' })
  const fresh = readFileSync(types, 'utf8')
  const committed = readFileSync(join(root, 'src', 'api', 'schema.d.ts'), 'utf8')
  if (fresh !== committed) {
    const a = committed.split('\n')
    const b = fresh.split('\n')
    const line = a.findIndex((text, i) => text !== b[i])
    console.error(`api:check: src/api/schema.d.ts is stale (first difference at line ${line + 1}).`)
    console.error(`  committed: ${a[line] ?? '<end>'}\n  generated: ${b[line] ?? '<end>'}`)
    console.error('  Run `make web-types` (or `cd frontend && npm run api:generate`) and commit the result.')
    process.exit(1)
  }
  console.log('api:check: src/api/schema.d.ts matches the OpenAPI document')
} finally {
  rmSync(work, { recursive: true, force: true })
}
