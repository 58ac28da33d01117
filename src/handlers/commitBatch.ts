import * as E from 'fp-ts/Either'
import { backoffDelay, type RetryPolicy, sleep } from '../adapters/backoff'
import { type PlannedWrite, packTransactions, planWrite } from './commitPlan'
import { MAX_TRANSACTION_ITEMS, type Store, type WriteOutcome } from './store'

/** A product that cannot be committed, with the reason its records go to Rejected. */
export interface Unstorable {
  readonly planned: PlannedWrite
  readonly reason: string
}

/** What committing a batch's products came to. */
export interface CommitResult {
  /** Products not committed (the store did not answer, or time ran out): records unfinished. */
  readonly unfinished: ReadonlyArray<PlannedWrite>
  /** Products no retry can store: their records go to Rejected. */
  readonly unstorable: ReadonlyArray<Unstorable>
  readonly transactions: number
  readonly retries: number
  readonly refolds: number
  readonly failure?: string
}

type TransactionResult =
  | { readonly kind: 'committed' }
  | { readonly kind: 'split'; readonly parts: PlannedWrite[][] }
  | { readonly kind: 'refused' }
  /** Everything was folded elsewhere meanwhile: nothing left to write. */
  | { readonly kind: 'settled' }
  | { readonly kind: 'failed'; readonly reason: string; readonly remaining: PlannedWrite[] }

/** Counters and findings of one batch's commit, shared by its transactions. */
interface Progress {
  retries: number
  refolds: number
  readonly unstorable: Unstorable[]
}

export interface CommitOptions {
  readonly policy: RetryPolicy
  /** False when too little time is left to start another attempt. */
  readonly hasTime: () => boolean
}

/**
 * Re-reads products someone else wrote first and folds this batch onto what they hold.
 * A product already folded there drops out; one whose item cannot be read is unstorable.
 */
const refold = async (
  store: Store,
  transaction: ReadonlyArray<PlannedWrite>,
  staleIds: ReadonlyArray<string>,
  progress: Progress,
): Promise<PlannedWrite[]> => {
  progress.refolds += 1
  const stale = new Set(staleIds)
  const fresh = await store.readProducts(staleIds)
  return transaction.flatMap((planned) => {
    if (!stale.has(planned.batch.productId)) return [planned]
    const stored = fresh.get(planned.batch.productId)
    if (stored !== undefined && E.isLeft(stored)) {
      progress.unstorable.push({ planned, reason: stored.left })
      return []
    }
    const again = planWrite(planned.batch, stored?.right)
    return again === undefined ? [] : [again]
  })
}

/** A product DynamoDB refuses for good; in a larger transaction, each product is tried alone. */
const refuse = (current: PlannedWrite[], reason: string, progress: Progress): TransactionResult => {
  if (current.length > 1) return { kind: 'split', parts: current.map((planned) => [planned]) }
  progress.unstorable.push(...current.map((planned) => ({ planned, reason })))
  return { kind: 'refused' }
}

/** What one answer of the store means: the transaction is done, or here is what to try next. */
const afterOutcome = async (
  store: Store,
  options: CommitOptions,
  current: PlannedWrite[],
  outcome: WriteOutcome,
  attempt: number,
  progress: Progress,
): Promise<TransactionResult | PlannedWrite[]> => {
  switch (outcome.kind) {
    case 'committed':
      return outcome
    case 'invalid':
      return refuse(current, outcome.reason, progress)
    case 'unavailable':
      return { kind: 'failed', reason: outcome.reason, remaining: current }
    case 'stale':
      return refold(store, current, outcome.productIds, progress)
    case 'conflict':
      if (attempt < options.policy.maxAttempts) await sleep(backoffDelay(options.policy, attempt))
      return current
  }
}

/** Ends a transaction before an attempt: nothing left to write, or too little time to try. */
const beforeAttempt = (
  options: CommitOptions,
  current: PlannedWrite[],
): TransactionResult | undefined => {
  // Everything already folded elsewhere: nothing left to write, the products are done.
  if (current.length === 0) return { kind: 'settled' }
  if (!options.hasTime())
    return { kind: 'failed', reason: 'too little time left to commit', remaining: current }
  return undefined
}

/**
 * Commits one transaction: a failed condition re-reads and re-folds, a conflict backs off
 * and tries again, and a transaction DynamoDB refuses is split product by product.
 */
const commitTransaction = async (
  store: Store,
  options: CommitOptions,
  transaction: PlannedWrite[],
  progress: Progress,
): Promise<TransactionResult> => {
  let current = transaction
  for (let attempt = 1; attempt <= options.policy.maxAttempts; attempt += 1) {
    const before = beforeAttempt(options, current)
    if (before !== undefined) return before
    if (attempt > 1) progress.retries += 1
    const outcome = await store.writeProducts(current.map((planned) => planned.write))
    const next = await afterOutcome(store, options, current, outcome, attempt, progress)
    if (!Array.isArray(next)) return next
    current = next
  }
  const reason = `gave up after ${options.policy.maxAttempts} attempts`
  return { kind: 'failed', reason, remaining: current }
}

/** An error as a reason: its name and message. */
export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error)

/**
 * Commits planned writes in transactions, one after the other so that two transactions
 * of a batch never race on a Scores item. After a transaction that cannot commit, the
 * rest stays unfinished, for Lambda to deliver again.
 */
export const commitBatch = async (
  store: Store,
  options: CommitOptions,
  writes: ReadonlyArray<PlannedWrite>,
): Promise<CommitResult> => {
  const queue = packTransactions(writes, MAX_TRANSACTION_ITEMS)
  const progress: Progress = { retries: 0, refolds: 0, unstorable: [] }
  let transactions = 0
  for (let at = 0; at < queue.length; at += 1) {
    const transaction = queue[at] ?? []
    const result = await commitTransaction(store, options, transaction, progress).catch(
      (error: unknown): TransactionResult => ({
        kind: 'failed',
        reason: describeError(error),
        remaining: transaction,
      }),
    )
    if (result.kind === 'split') queue.splice(at + 1, 0, ...result.parts)
    if (result.kind === 'committed') transactions += 1
    if (result.kind === 'failed') {
      const unfinished = [...result.remaining, ...queue.slice(at + 1).flat()]
      return { ...progress, unfinished, transactions, failure: result.reason }
    }
  }
  return { ...progress, unfinished: [], transactions }
}
