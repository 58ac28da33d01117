import type { ProductState } from '../../src/domain/product'
import type { Role } from '../../src/domain/scores'
import { type MemoryTables, memoryStore } from '../../src/runtime/memoryStore'
import { aggregateItemKey } from '../../src/runtime/plan'
import type { StateWrite, Store, WriteOutcome } from '../../src/runtime/store'
import { winnerView } from '../../src/views/winner'

/**
 * One scripted answer to `writeStates`: an outcome returned as it is, the in-memory
 * store's own answer, or something another writer does just before that answer.
 */
export type Answer = WriteOutcome | 'pass-through' | { readonly meanwhile: () => Promise<unknown> }

/** Another writer's commit, run between this writer's read and its write. */
export const meanwhile = (action: () => Promise<unknown>): Answer => ({ meanwhile: action })

/**
 * A `writeStates` that gives the scripted answers in turn, then passes through to
 * `store`; `calls` keeps the writes of every call.
 */
export const scripted = <State>(store: Store<State>, answers: ReadonlyArray<Answer>) => {
  const queue = [...answers]
  const calls: ReadonlyArray<StateWrite<State>>[] = []
  const writeStates = async (writes: ReadonlyArray<StateWrite<State>>): Promise<WriteOutcome> => {
    calls.push(writes)
    const answer = queue.shift() ?? 'pass-through'
    if (answer === 'pass-through') return store.writeStates(writes)
    if ('meanwhile' in answer) {
      await answer.meanwhile()
      return store.writeStates(writes)
    }
    return answer
  }
  return Object.assign(writeStates, { calls })
}

/** The winner view's tables in memory. */
export type WinnerTables = MemoryTables<ProductState>

/** The winner view's in-memory store with scripted answers to its writes, and the calls it saw. */
export const scriptedStore = (answers: ReadonlyArray<Answer>, tables?: WinnerTables) => {
  const memory = memoryStore(winnerView, tables)
  const writeStates = scripted(memory, answers)
  return { ...memory, writeStates, calls: writeStates.calls }
}

/** A user's Scores item of a role in the winner view's memory tables. */
export const scoreOf = (tables: WinnerTables, userId: string, role: Role) =>
  tables.aggregates.get('scores')?.get(aggregateItemKey({ table: 'scores', key: { userId, role } }))

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
