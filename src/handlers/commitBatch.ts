import { backoffDelay, type RetryPolicy, sleep } from '../adapters/backoff'
import { MAX_TRANSACTION_ITEMS, type Store } from '../adapters/dynamoStore'
import { type PlannedWrite, packTransactions, planWrite } from './commitPlan'

/** What committing a batch's products came to. */
export interface CommitResult {
  /** Products whose commit failed after all retries: their records are unfinished. */
  readonly unfinished: ReadonlyArray<PlannedWrite>
  /** Products no retry can store (a ValidationException): their records go to Rejected. */
  readonly invalid: ReadonlyArray<{ readonly planned: PlannedWrite; readonly reason: string }>
  readonly transactions: number
  readonly retries: number
  readonly failure?: string
}

type TransactionResult =
  | { readonly kind: 'committed'; readonly retries: number }
  | { readonly kind: 'split'; readonly parts: PlannedWrite[][]; readonly retries: number }
  | { readonly kind: 'invalid'; readonly reason: string; readonly retries: number }
  | { readonly kind: 'failed'; readonly reason: string; readonly retries: number }

/** Re-reads products someone else wrote first and folds this batch onto what they hold. */
const refold = async (
  store: Store,
  transaction: PlannedWrite[],
  staleIds: ReadonlyArray<string>,
) => {
  const stale = new Set(staleIds)
  const fresh = await store.readProducts(staleIds)
  return transaction.flatMap((planned) => {
    if (!stale.has(planned.batch.productId)) return [planned]
    const again = planWrite(planned.batch, fresh.get(planned.batch.productId))
    return again === undefined ? [] : [again]
  })
}

type Step =
  | { readonly done: TransactionResult }
  | { readonly next: PlannedWrite[]; readonly reason: string }

const attemptTransaction = async (
  store: Store,
  policy: RetryPolicy,
  current: PlannedWrite[],
  attempt: number,
): Promise<Step> => {
  const retries = attempt - 1
  // Everything already folded elsewhere: nothing left to write, the products are done.
  if (current.length === 0) return { done: { kind: 'committed', retries } }
  const outcome = await store.writeProducts(current.map((planned) => planned.write))
  switch (outcome.kind) {
    case 'committed':
      return { done: { kind: 'committed', retries } }
    case 'invalid':
      return current.length > 1
        ? { done: { kind: 'split', parts: current.map((planned) => [planned]), retries } }
        : { done: { kind: 'invalid', reason: outcome.reason, retries } }
    case 'stale':
      return {
        next: await refold(store, current, outcome.productIds),
        reason: 'condition failed: product written by another invocation',
      }
    case 'retry':
      await sleep(backoffDelay(policy, attempt))
      return { next: current, reason: outcome.reason }
  }
}

/**
 * Commits one transaction: a failed condition re-reads and re-folds, throttling and
 * conflicts back off and try again, and a bad item is isolated product by product.
 */
const commitTransaction = async (
  store: Store,
  policy: RetryPolicy,
  transaction: PlannedWrite[],
): Promise<TransactionResult> => {
  let current = transaction
  let reason = 'no attempt'
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt += 1) {
    const step = await attemptTransaction(store, policy, current, attempt)
    if ('done' in step) return step.done
    current = step.next
    reason = step.reason
  }
  const failure = `gave up after ${policy.maxAttempts} attempts: ${reason}`
  return { kind: 'failed', reason: failure, retries: policy.maxAttempts }
}

const failedOnError = (error: unknown): TransactionResult => ({
  kind: 'failed',
  reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  retries: 0,
})

/**
 * Commits planned writes in transactions, one after the other so that two transactions
 * of a batch never race on a Scores item. After a transaction that cannot commit, the
 * rest stays unfinished, for Lambda to deliver again.
 */
export const commitBatch = async (
  store: Store,
  policy: RetryPolicy,
  writes: ReadonlyArray<PlannedWrite>,
): Promise<CommitResult> => {
  const queue = packTransactions(writes, MAX_TRANSACTION_ITEMS)
  const invalid: Array<{ planned: PlannedWrite; reason: string }> = []
  let transactions = 0
  let retries = 0
  for (let at = 0; at < queue.length; at += 1) {
    const transaction = queue[at] ?? []
    const result = await commitTransaction(store, policy, transaction).catch(failedOnError)
    retries += result.retries
    switch (result.kind) {
      case 'committed':
        transactions += 1
        break
      case 'split':
        queue.splice(at + 1, 0, ...result.parts)
        break
      case 'invalid':
        invalid.push(...transaction.map((planned) => ({ planned, reason: result.reason })))
        break
      case 'failed': {
        const unfinished = queue.slice(at).flat()
        return { unfinished, invalid, transactions, retries, failure: result.reason }
      }
    }
  }
  return { unfinished: [], invalid, transactions, retries }
}
