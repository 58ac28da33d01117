import type { ProductWrite, Store, WriteOutcome } from '../../src/handlers/store'
import { type MemoryTables, memoryStore } from '../../src/local/memoryStore'

/**
 * One scripted answer to `writeProducts`: an outcome returned as it is, the in-memory
 * store's own answer, or something another writer does just before that answer.
 */
export type Answer = WriteOutcome | 'pass-through' | { readonly meanwhile: () => Promise<unknown> }

/** Another writer's commit, run between this writer's read and its write. */
export const meanwhile = (action: () => Promise<unknown>): Answer => ({ meanwhile: action })

/**
 * A `writeProducts` that gives the scripted answers in turn, then passes through to
 * `store`; `calls` keeps the writes of every call.
 */
export const scripted = (store: Store, answers: ReadonlyArray<Answer>) => {
  const queue = [...answers]
  const calls: ReadonlyArray<ProductWrite>[] = []
  const writeProducts = async (writes: ReadonlyArray<ProductWrite>): Promise<WriteOutcome> => {
    calls.push(writes)
    const answer = queue.shift() ?? 'pass-through'
    if (answer === 'pass-through') return store.writeProducts(writes)
    if ('meanwhile' in answer) {
      await answer.meanwhile()
      return store.writeProducts(writes)
    }
    return answer
  }
  return Object.assign(writeProducts, { calls })
}

/** The in-memory store with scripted answers to its writes, and the calls it saw. */
export const scriptedStore = (answers: ReadonlyArray<Answer>, tables?: MemoryTables) => {
  const memory = memoryStore(tables)
  const writeProducts = scripted(memory, answers)
  return { ...memory, writeProducts, calls: writeProducts.calls }
}

/** Retries in milliseconds, so that a unit test of backoff stays fast. */
export const quickPolicy = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 }

export const unavailable = {
  kind: 'unavailable',
  reason: 'ThrottlingException: Rate of requests exceeds the allowed throughput',
} as const satisfies WriteOutcome
export const conflict = {
  kind: 'conflict',
  reason: 'TransactionCanceledException: TransactionConflict',
} as const satisfies WriteOutcome
export const invalid = {
  kind: 'invalid',
  reason: 'ValidationException: Item size has exceeded the maximum allowed size',
} as const satisfies WriteOutcome
