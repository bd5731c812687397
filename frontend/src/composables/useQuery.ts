import { onScopeDispose, ref, shallowRef, watch, type Ref, type WatchSource } from 'vue'
import { problemMessage } from '@/api/client'

export interface Query<T> {
  data: Ref<T | undefined>
  error: Ref<string | null>
  loading: Ref<boolean>
  reload: () => Promise<void>
}

/**
 * Server data through the generated client: runs `load` now and whenever a `source` changes,
 * keeps only the newest answer, and exposes refs. `load` returns the data or throws a problem.
 */
export function useQuery<T>(load: () => Promise<T>, sources: WatchSource[] = []): Query<T> {
  const data = shallowRef<T>()
  const error = ref<string | null>(null)
  const loading = ref(false)
  let generation = 0
  let active = true
  onScopeDispose(() => {
    active = false
  })

  async function reload(): Promise<void> {
    const mine = ++generation
    loading.value = true
    error.value = null
    try {
      const value = await load()
      if (active && mine === generation) data.value = value
    } catch (e) {
      if (active && mine === generation) error.value = problemMessage((e as { problem?: unknown }).problem ?? e)
    } finally {
      if (active && mine === generation) loading.value = false
    }
  }

  if (sources.length) watch(sources, () => void reload())
  void reload()
  return { data, error, loading, reload }
}

/** A mutation: `run` calls `action`, tracks `pending` and the readable `error`. */
export function useAction<A extends unknown[], T>(action: (...args: A) => Promise<T>) {
  const pending = ref(false)
  const error = ref<string | null>(null)
  const problem = shallowRef<unknown>(null)
  async function run(...args: A): Promise<T | undefined> {
    pending.value = true
    error.value = null
    problem.value = null
    try {
      return await action(...args)
    } catch (e) {
      problem.value = (e as { problem?: unknown }).problem ?? e
      error.value = problemMessage(problem.value)
      return undefined
    } finally {
      pending.value = false
    }
  }
  return { run, pending, error, problem }
}
