/**
 * The states this container committed, by key, the least recently used dropped first.
 * A Lambda container handles the same shard batch after batch, so most keys of a batch
 * were committed by it before: their states need no read. A state someone else changed
 * since is caught by the commit's condition (the position it expects is no longer
 * there), which re-reads and re-folds: the cache saves reads, it never decides a result.
 * The same holds for a key it guesses new: the condition `attribute_not_exists` checks it.
 */
export interface StateCache<State> {
  readonly get: (key: string) => State | undefined
  readonly remember: (key: string, state: State) => void
  /** After an answer that leaves the stored state unknown (no answer, a refusal). */
  readonly forget: (key: string) => void
  /** True when a key the cache does not hold is best taken for a new one, not read. */
  readonly guessesNew: () => boolean
  /** After a read of the keys it did not hold: whether any of them was stored. */
  readonly learnFromRead: (anyStored: boolean) => void
  /** After a commit whose condition refused a state taken from the cache or guessed. */
  readonly learnFromRefusal: () => void
}

/**
 * Guessing starts once a read of the keys the cache lacked found none of them stored
 * (the container has caught up: what it has not seen is new), and stops when a commit's
 * condition refuses a state (a container that starts mid-stream reads until then).
 */
export const makeStateCache = <State>(capacity: number): StateCache<State> => {
  const states = new Map<string, State>()
  let guessing = false
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
    guessesNew: () => guessing && capacity > 0,
    learnFromRead: (anyStored) => {
      guessing = !anyStored
    },
    learnFromRefusal: () => {
      guessing = false
    },
  }
}
