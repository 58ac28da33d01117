import * as E from 'fp-ts/Either'
import { backoffDelay, type RetryPolicy, sleep } from './backoff'
import { type PlannedWrite, packTransactions, planKey } from './plan'
import { MAX_TRANSACTION_ITEMS, type Store, type WriteOutcome } from './store'
import type { View } from './view'

/** A key that cannot be committed, with the reason its records go to Rejected. */
export interface Unstorable<Event, State> {
  readonly planned: PlannedWrite<Event, State>
  readonly reason: string
}

/** What committing a batch's keys came to. */
export interface CommitResult<Event, State> {
  /** Keys not committed (the store did not answer, or time ran out): records unfinished. */
  readonly unfinished: ReadonlyArray<PlannedWrite<Event, State>>
  /** Keys no retry can store: their records go to Rejected. */
  readonly unstorable: ReadonlyArray<Unstorable<Event, State>>
  readonly transactions: number
  readonly retries: number
  readonly refolds: number
  readonly failure?: string
}

type TransactionResult<Event, State> =
  | { readonly kind: 'committed' }
  | { readonly kind: 'split'; readonly parts: PlannedWrite<Event, State>[][] }
  | { readonly kind: 'refused' }
  /** Everything was folded elsewhere meanwhile: nothing left to write. */
  | { readonly kind: 'settled' }
  | {
      readonly kind: 'failed'
      readonly reason: string
      readonly remaining: PlannedWrite<Event, State>[]
    }

export interface CommitOptions {
  readonly policy: RetryPolicy
  /** False when too little time is left to start another attempt. */
  readonly hasTime: () => boolean
}

/** One batch's commit: what it writes with, and the counters its transactions share. */
interface Commit<Event, State> {
  readonly view: View<Event, State>
  readonly store: Store<State>
  readonly options: CommitOptions
  retries: number
  refolds: number
  readonly unstorable: Unstorable<Event, State>[]
}

/**
 * Re-reads keys someone else wrote first and folds this batch onto what they hold.
 * A key already folded there drops out; one whose item cannot be read is unstorable.
 */
const refold = async <Event, State>(
  commit: Commit<Event, State>,
  transaction: ReadonlyArray<PlannedWrite<Event, State>>,
  staleKeys: ReadonlyArray<string>,
): Promise<PlannedWrite<Event, State>[]> => {
  commit.refolds += 1
  const stale = new Set(staleKeys)
  const fresh = await commit.store.readStates(staleKeys)
  return transaction.flatMap((planned) => {
    if (!stale.has(planned.batch.key)) return [planned]
    const stored = fresh.get(planned.batch.key)
    if (stored !== undefined && E.isLeft(stored)) {
      commit.unstorable.push({ planned, reason: stored.left })
      return []
    }
    const again = planKey(commit.view, planned.batch, stored?.right).planned
    return again === undefined ? [] : [again]
  })
}

/** A key DynamoDB refuses for good; in a larger transaction, each key is tried alone. */
const refuse = <Event, State>(
  commit: Commit<Event, State>,
  current: PlannedWrite<Event, State>[],
  reason: string,
): TransactionResult<Event, State> => {
  if (current.length > 1) return { kind: 'split', parts: current.map((planned) => [planned]) }
  commit.unstorable.push(...current.map((planned) => ({ planned, reason })))
  return { kind: 'refused' }
}

/** What one answer of the store means: the transaction is done, or here is what to try next. */
const afterOutcome = async <Event, State>(
  commit: Commit<Event, State>,
  current: PlannedWrite<Event, State>[],
  outcome: WriteOutcome,
  attempt: number,
): Promise<TransactionResult<Event, State> | PlannedWrite<Event, State>[]> => {
  switch (outcome.kind) {
    case 'committed':
      return outcome
    case 'invalid':
      return refuse(commit, current, outcome.reason)
    case 'unavailable':
      return { kind: 'failed', reason: outcome.reason, remaining: current }
    case 'stale':
      return refold(commit, current, outcome.keys)
    case 'conflict': {
      const { policy } = commit.options
      if (attempt < policy.maxAttempts) await sleep(backoffDelay(policy, attempt))
      return current
    }
  }
}

/** Ends a transaction before an attempt: nothing left to write, or too little time to try. */
const beforeAttempt = <Event, State>(
  options: CommitOptions,
  current: PlannedWrite<Event, State>[],
): TransactionResult<Event, State> | undefined => {
  // Everything already folded elsewhere: nothing left to write, the keys are done.
  if (current.length === 0) return { kind: 'settled' }
  if (!options.hasTime())
    return { kind: 'failed', reason: 'too little time left to commit', remaining: current }
  return undefined
}

/**
 * Commits one transaction: a failed condition re-reads and re-folds, a conflict backs off
 * and tries again, and a transaction DynamoDB refuses is split key by key.
 */
const commitTransaction = async <Event, State>(
  commit: Commit<Event, State>,
  transaction: PlannedWrite<Event, State>[],
): Promise<TransactionResult<Event, State>> => {
  const { policy } = commit.options
  let current = transaction
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt += 1) {
    const before = beforeAttempt(commit.options, current)
    if (before !== undefined) return before
    if (attempt > 1) commit.retries += 1
    const outcome = await commit.store.writeStates(current.map((planned) => planned.write))
    const next = await afterOutcome(commit, current, outcome, attempt)
    if (!Array.isArray(next)) return next
    current = next
  }
  const reason = `gave up after ${policy.maxAttempts} attempts`
  return { kind: 'failed', reason, remaining: current }
}

/** An error as a reason: its name and message. */
export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error)

/**
 * Commits planned writes in transactions, one after the other so that two transactions
 * of a batch never race on an aggregate item. After a transaction that cannot commit,
 * the rest stays unfinished, for Lambda to deliver again.
 */
export const commitBatch = async <Event, State>(
  view: View<Event, State>,
  store: Store<State>,
  options: CommitOptions,
  writes: ReadonlyArray<PlannedWrite<Event, State>>,
): Promise<CommitResult<Event, State>> => {
  const queue = packTransactions(writes, MAX_TRANSACTION_ITEMS)
  const commit: Commit<Event, State> = {
    view,
    store,
    options,
    retries: 0,
    refolds: 0,
    unstorable: [],
  }
  const counters = () => ({
    retries: commit.retries,
    refolds: commit.refolds,
    unstorable: commit.unstorable,
  })
  let transactions = 0
  for (let at = 0; at < queue.length; at += 1) {
    const transaction = queue[at] ?? []
    const result = await commitTransaction(commit, transaction).catch(
      (error: unknown): TransactionResult<Event, State> => ({
        kind: 'failed',
        reason: describeError(error),
        remaining: transaction,
      }),
    )
    if (result.kind === 'split') queue.splice(at + 1, 0, ...result.parts)
    if (result.kind === 'committed') transactions += 1
    if (result.kind === 'failed') {
      const unfinished = [...result.remaining, ...queue.slice(at + 1).flat()]
      return { ...counters(), unfinished, transactions, failure: result.reason }
    }
  }
  return { ...counters(), unfinished: [], transactions }
}
