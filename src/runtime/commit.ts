import * as E from 'fp-ts/Either'
import { backoffDelay, type RetryPolicy, sleep } from './backoff'
import { slots } from './concurrency'
import {
  aggregateItemKey,
  type Duplicate,
  itemsOfWrite,
  type KeyBatch,
  type PlannedWrite,
  packByClusters,
  packTransactions,
  planKey,
} from './plan'
import { MAX_TRANSACTION_ITEMS, type Store, type WriteOutcome } from './store'
import type { View } from './view'

/** A key that cannot be committed, with the reason its records go to Rejected. */
export interface Unstorable<Event, State> {
  readonly planned: PlannedWrite<Event, State>
  readonly reason: string
}

/** A key found folded elsewhere on a re-read: nothing left to write, its duplicates judged there. */
export interface Settled<Event> {
  readonly batch: KeyBatch<Event>
  readonly duplicates: ReadonlyArray<Duplicate>
}

/** What committing a batch's keys came to. */
export interface CommitResult<Event, State> {
  /** The writes that committed, as they finally were (after any re-fold). */
  readonly committed: ReadonlyArray<PlannedWrite<Event, State>>
  readonly settled: ReadonlyArray<Settled<Event>>
  /** Keys not committed (the store did not answer, or time ran out): records unfinished. */
  readonly unfinished: ReadonlyArray<PlannedWrite<Event, State>>
  /** Keys no retry can store: their records go to Rejected. */
  readonly unstorable: ReadonlyArray<Unstorable<Event, State>>
  readonly transactions: number
  readonly retries: number
  readonly refolds: number
  /** Attempts DynamoDB cancelled because another transaction held an item (TransactionConflict). */
  readonly conflicts: number
  /** Attempts cancelled by throttling inside the transaction (retried here, not by the SDK). */
  readonly throttles: number
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
  /**
   * Keeps in Rejected the duplicates a re-fold judged, before the write that moves the
   * key past them: once it is past them, a duplicate delivered again reads as folded.
   */
  readonly keepDuplicates?: (judged: ReadonlyArray<Settled<unknown>>) => Promise<void>
  /** Transactions of a batch in flight at once, if they share no aggregate item (at least 1). */
  readonly concurrency?: number
  /** The wait between attempts: real time, or the benchmark's virtual clock. */
  readonly sleep?: (ms: number) => Promise<void>
}

/** One batch's commit: what it writes with, and what its transactions found, shared. */
interface Commit<Event, State> {
  readonly view: View<Event, State>
  readonly store: Store<State>
  readonly options: CommitOptions
  retries: number
  refolds: number
  transactions: number
  conflicts: number
  throttles: number
  readonly committed: PlannedWrite<Event, State>[]
  readonly settled: Settled<Event>[]
  readonly unstorable: Unstorable<Event, State>[]
  /** Takes a transaction's items for the time of its call; see `itemHolds`. */
  readonly hold: (items: ReadonlyArray<string>) => Promise<() => void>
}

/**
 * The items held by the batch's calls in flight. A call waits until none of its items is
 * held, then holds them all until it is answered: so no two calls of one batch ever share
 * an item, whatever a re-fold added to a transaction after the order was fixed (on AWS,
 * the later one would be cancelled with TransactionConflict). Holding all at once, and
 * only while a call is in flight, cannot deadlock: a holder waits for nothing.
 */
export const itemHolds = () => {
  const held = new Set<string>()
  let waiting: Array<() => void> = []
  const isFree = (items: ReadonlyArray<string>) => items.every((item) => !held.has(item))
  return async (items: ReadonlyArray<string>): Promise<() => void> => {
    while (!isFree(items)) await new Promise<void>((resolve) => waiting.push(resolve))
    for (const item of items) held.add(item)
    return () => {
      for (const item of items) held.delete(item)
      const woken = waiting
      waiting = []
      for (const wake of woken) wake()
    }
  }
}

/**
 * Re-reads keys someone else wrote first and folds this batch onto what they hold.
 * A key already folded there drops out, settled; one whose item cannot be read is unstorable.
 */
const refold = async <Event, State>(
  commit: Commit<Event, State>,
  transaction: ReadonlyArray<PlannedWrite<Event, State>>,
  staleKeys: ReadonlyArray<string>,
): Promise<PlannedWrite<Event, State>[]> => {
  commit.refolds += 1
  const stale = new Set(staleKeys)
  const fresh = await commit.store.readStates(staleKeys)
  const judged: Settled<Event>[] = []
  const next = transaction.flatMap((planned) => {
    if (!stale.has(planned.batch.key)) return [planned]
    const stored = fresh.get(planned.batch.key)
    if (stored !== undefined && E.isLeft(stored)) {
      commit.unstorable.push({ planned, reason: stored.left })
      return []
    }
    const again = planKey(commit.view, planned.batch, stored?.right)
    judged.push({ batch: planned.batch, duplicates: again.duplicates })
    if (again.planned !== undefined) return [again.planned]
    commit.settled.push({ batch: planned.batch, duplicates: again.duplicates })
    return []
  })
  const withDuplicates = judged.filter((j) => j.duplicates.length > 0)
  if (withDuplicates.length > 0) await commit.options.keepDuplicates?.(withDuplicates)
  return next
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

const THROTTLING = /ThrottlingError|ProvisionedThroughputExceeded|RequestLimitExceeded/

/** Counts a cancelled attempt by its cause: a conflict on a held item, or throttling. */
const countCancellation = (
  commit: Pick<Commit<unknown, unknown>, 'conflicts' | 'throttles'>,
  reason: string,
): void => {
  if (reason.includes('TransactionConflict')) commit.conflicts += 1
  if (THROTTLING.test(reason)) commit.throttles += 1
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
      commit.committed.push(...current)
      commit.transactions += 1
      return outcome
    case 'invalid':
      return refuse(commit, current, outcome.reason)
    case 'unavailable':
      return { kind: 'failed', reason: outcome.reason, remaining: current }
    case 'stale': {
      // A re-fold can add aggregate items (a key taken for new had a creator): repacked.
      const next = await refold(commit, current, outcome.keys)
      const parts = packTransactions(next, MAX_TRANSACTION_ITEMS)
      return parts.length > 1 ? { kind: 'split', parts } : next
    }
    case 'conflict': {
      countCancellation(commit, outcome.reason)
      const { policy, sleep: wait = sleep } = commit.options
      if (attempt < policy.maxAttempts) await wait(backoffDelay(policy, attempt))
      return current
    }
  }
}

const TOO_LITTLE_TIME = 'too little time left to commit'

/** Ends a transaction before an attempt: nothing left to write, or too little time to try. */
const beforeAttempt = <Event, State>(
  options: CommitOptions,
  current: PlannedWrite<Event, State>[],
): TransactionResult<Event, State> | undefined => {
  // Everything already folded elsewhere: nothing left to write, the keys are done.
  if (current.length === 0) return { kind: 'settled' }
  if (!options.hasTime()) return { kind: 'failed', reason: TOO_LITTLE_TIME, remaining: current }
  return undefined
}

/** One attempt: the store's answer and what it means; an error leaves what is left now. */
const attemptOnce = async <Event, State>(
  commit: Commit<Event, State>,
  current: PlannedWrite<Event, State>[],
  attempt: number,
): Promise<TransactionResult<Event, State> | PlannedWrite<Event, State>[]> => {
  try {
    const writes = current.map((planned) => planned.write)
    const release = await commit.hold(writes.flatMap((write) => itemsOfWrite(write)))
    // The wait for a held item can last a whole call: the time left is checked again.
    if (!commit.options.hasTime()) {
      release()
      return { kind: 'failed', reason: TOO_LITTLE_TIME, remaining: current }
    }
    const outcome = await commit.store.writeStates(writes).finally(release)
    return await afterOutcome(commit, current, outcome, attempt)
  } catch (error) {
    // What is left of the transaction now, not what it was: a settled key is done.
    return { kind: 'failed', reason: describeError(error), remaining: current }
  }
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
    const next = await attemptOnce(commit, current, attempt)
    if (!Array.isArray(next)) return next
    current = next
  }
  if (current.length === 0) return { kind: 'settled' }
  const reason = `gave up after ${policy.maxAttempts} attempts`
  return { kind: 'failed', reason, remaining: current }
}

/** An error as a reason: its name and message. */
export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error)

/** Why a transaction and what was left of it did not commit. */
interface Failed<Event, State> {
  readonly reason: string
  readonly remaining: PlannedWrite<Event, State>[]
}

/** The parts not started yet, as failed, when another transaction of the batch failed. */
const haltedBy = <Event, State>(
  reason: string | undefined,
  rest: PlannedWrite<Event, State>[],
): Failed<Event, State> | undefined =>
  reason === undefined || rest.length === 0 ? undefined : { reason, remaining: rest }

/**
 * Commits a transaction and, when it is split, its parts one after the other; no part
 * starts after another transaction of the batch failed (`stopped`).
 */
const commitWithParts = async <Event, State>(
  commit: Commit<Event, State>,
  transaction: PlannedWrite<Event, State>[],
  stopped: () => string | undefined,
): Promise<Failed<Event, State> | undefined> => {
  const parts = [transaction]
  for (let at = 0; at < parts.length; at += 1) {
    const result = await commitTransaction(commit, parts[at] ?? [])
    if (result.kind === 'split') parts.splice(at + 1, 0, ...result.parts)
    const rest = parts.slice(at + 1).flat()
    if (result.kind === 'failed')
      return { reason: result.reason, remaining: [...result.remaining, ...rest] }
    const halted = haltedBy(stopped(), rest)
    if (halted !== undefined) return halted
  }
  return undefined
}

/**
 * Orders transactions by the aggregate items they share: `after(transaction)` resolves
 * when every earlier transaction that touches one of its items has finished. Called in
 * the order of the transactions.
 */
const itemOrder = () => {
  const lastUse = new Map<string, Promise<void>>()
  return (transaction: ReadonlyArray<PlannedWrite<unknown, unknown>>) => {
    const items = new Set(transaction.flatMap((p) => p.write.deltas.map(aggregateItemKey)))
    const before = Promise.all([...items].flatMap((item) => lastUse.get(item) ?? []))
    let done = () => {}
    const finished = new Promise<void>((resolve) => {
      done = resolve
    })
    for (const item of items) lastUse.set(item, finished)
    return { before, done }
  }
}

/** A batch's commit before its first transaction: nothing counted, nothing held. */
const newCommit = <Event, State>(
  view: View<Event, State>,
  store: Store<State>,
  options: CommitOptions,
): Commit<Event, State> => ({
  ...{ view, store, options, hold: itemHolds() },
  ...{ retries: 0, refolds: 0, transactions: 0, conflicts: 0, throttles: 0 },
  ...{ committed: [], settled: [], unstorable: [] },
})

/**
 * Commits planned writes in transactions. Transactions that share an aggregate item
 * commit one after the other, in order, so that they never conflict on it; the others
 * commit at once, up to `concurrency`. After a transaction that cannot commit, none is
 * started any more: the rest stays unfinished, for Lambda to deliver again.
 */
export const commitBatch = async <Event, State>(
  view: View<Event, State>,
  store: Store<State>,
  options: CommitOptions,
  writes: ReadonlyArray<PlannedWrite<Event, State>>,
): Promise<CommitResult<Event, State>> => {
  const commit = newCommit(view, store, options)
  const concurrency = options.concurrency ?? 1
  // Packed by clusters only when transactions may run at once: alone, the shard's order is as good.
  const queue =
    concurrency > 1
      ? packByClusters(writes, MAX_TRANSACTION_ITEMS)
      : packTransactions(writes, MAX_TRANSACTION_ITEMS)
  const unfinished: PlannedWrite<Event, State>[] = []
  let failure: string | undefined
  const run = async (transaction: PlannedWrite<Event, State>[]) => {
    // Once one transaction failed, none starts: Lambda delivers their records again.
    const failed =
      failure === undefined
        ? await commitWithParts(commit, transaction, () => failure)
        : { reason: failure, remaining: transaction }
    if (failed === undefined) return
    failure ??= failed.reason
    unfinished.push(...failed.remaining)
  }
  const limit = slots(concurrency)
  const inOrder = itemOrder()
  await Promise.all(
    queue.map(async (transaction) => {
      const { before, done } = inOrder(transaction)
      await before
      await limit.take()
      await run(transaction).finally(() => {
        limit.give()
        done()
      })
    }),
  )
  const { view: _view, store: _store, options: _options, hold: _hold, ...counted } = commit
  const result = { ...counted, unfinished }
  return failure === undefined ? result : { ...result, failure }
}
