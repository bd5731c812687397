import { createHash } from 'node:crypto'
import { fileURLToPath, URL } from 'node:url'
import { readFileSync } from 'node:fs'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vite'

// The built app ships inside the Python package: `ecotrack serve` serves it at `/`.
const OUT_DIR = fileURLToPath(new URL('../src/ecotrack/static/app', import.meta.url))
const API_TARGET = process.env.ECOTRACK_API ?? 'http://127.0.0.1:8000'

/** Emits `sw.js`: the service worker that precaches every built file (the offline app shell).
 *  Its cache name is a hash of the file list, so each build replaces the previous cache. */
function serviceWorker(): Plugin {
  return {
    name: 'ecotrack-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle)
        .filter((name) => !name.endsWith('.map') && name !== 'index.html')
        .sort()
        .map((name) => `/${name}`)
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12)
      const template = readFileSync(new URL('./src/pwa/sw.template.js', import.meta.url), 'utf8')
      const source = template
        .replace('__VERSION__', JSON.stringify(version))
        .replace('__PRECACHE__', JSON.stringify(['/', '/manifest.webmanifest', ...files]))
      this.emitFile({ type: 'asset', fileName: 'sw.js', source })
    },
  }
}

export default defineConfig({
  plugins: [vue(), serviceWorker()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    outDir: OUT_DIR,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 300,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      '/api': { target: API_TARGET, changeOrigin: false },
      '/v1': { target: API_TARGET, changeOrigin: false },
    },
  },
})
