/**
 * The states this container committed, by key, the least recently used dropped first.
 * A Lambda container handles the same shard batch after batch, so most keys of a batch
 * were committed by it before: their states need no read. A state someone else changed
 * since is caught by the commit's condition (the position it expects is no longer
 * there), which re-reads and re-folds: the cache saves reads, it never decides a result.
 */
export interface StateCache<State> {
  readonly get: (key: string) => State | undefined
  readonly remember: (key: string, state: State) => void
  /** After an answer that leaves the stored state unknown (no answer, a refusal). */
  readonly forget: (key: string) => void
  /** True once any batch was read: a key missing since then is taken for a new one. */
  readonly warm: () => boolean
  readonly markWarm: () => void
}

export const makeStateCache = <State>(capacity: number): StateCache<State> => {
  const states = new Map<string, State>()
  let warm = false
  return {
    get: (key) => {
      const state = states.get(key)
      if (state === undefined) return undefined
      // Map keeps insertion order: moving a key to the end keeps the order by last use.
      states.delete(key)
      states.set(key, state)
      return state
    },
    remember: (key, state) => {
      if (capacity <= 0) return
      states.delete(key)
      states.set(key, state)
      if (states.size > capacity) {
        const oldest = states.keys().next()
        if (!oldest.done) states.delete(oldest.value)
      }
    },
    forget: (key) => {
      states.delete(key)
    },
    warm: () => warm && capacity > 0,
    markWarm: () => {
      warm = true
    },
  }
}
