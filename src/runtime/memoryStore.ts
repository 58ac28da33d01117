import * as E from 'fp-ts/Either'
import { exceedsBytes, MAX_KEY_BYTES } from '../domain/codecs'
import { sleep } from './backoff'
import { aggregateItemKey, itemsOfWrite } from './plan'
import type { RejectedRecord, StateWrite, Store, StoredState, WriteOutcome } from './store'
import type { AggregateDelta, View } from './view'

/** An aggregate item as the memory store holds it: its key, the attributes set, the sums. */
export type AggregateItem = Record<string, string | number>

/** What an in-memory store holds, open for a test or the benchmark to read. */
export interface MemoryTables<State> {
  readonly states: Map<string, State>
  /** Per aggregate table role, items by `aggregateItemKey`. */
  readonly aggregates: Map<string, Map<string, AggregateItem>>
  readonly rejected: Map<string, RejectedRecord>
}

/** Empty tables for a view's memory store. */
export const emptyTables = <State>(): MemoryTables<State> => ({
  states: new Map(),
  aggregates: new Map(),
  rejected: new Map(),
})

/** An aggregate update as DynamoDB applies it: SET the attributes, ADD the numbers. */
const applyDelta = (tables: MemoryTables<unknown>, delta: AggregateDelta): void => {
  const items = tables.aggregates.get(delta.table) ?? new Map<string, AggregateItem>()
  tables.aggregates.set(delta.table, items)
  const item: AggregateItem = { ...(items.get(aggregateItemKey(delta)) ?? delta.key) }
  Object.assign(item, delta.set)
  for (const [name, value] of Object.entries(delta.add))
    item[name] = Number(item[name] ?? 0) + value
  items.set(aggregateItemKey(delta), item)
}

/** How the memory store models DynamoDB's transaction conflicts. */
export interface MemoryStoreOptions {
  /**
   * How long a transaction holds its items, from its prepare to its commit; 0 (the
   * default) applies each transaction at once, so that none can overlap another.
   */
  readonly holdMs?: number
}

/** What the memory store saw: transactions cancelled because another held one of their items. */
export interface MemoryStoreStats {
  conflicts: number
}

/**
 * DynamoDB's answer to a transaction that touches an item another transaction holds
 * (Developer Guide, "Transaction conflict handling": the transaction is cancelled with
 * reason TransactionConflict), as the DynamoDB store reports it.
 */
export const TRANSACTION_CONFLICT: WriteOutcome = {
  kind: 'conflict',
  reason: 'TransactionCanceledException: TransactionConflict',
}

/** The states held for these keys; keys never written are absent, as in a BatchGetItem. */
const statesOf = <State>(tables: MemoryTables<State>, keys: ReadonlyArray<string>) => {
  const found = new Map<string, StoredState<State>>()
  for (const key of keys) {
    const state = tables.states.get(key)
    if (state !== undefined) found.set(key, E.right(state))
  }
  return found
}

/**
 * DynamoDB's answer to a transaction with a key attribute over 2,048 bytes (the limit of a
 * partition key; the views' sort keys are short): a ValidationException, refused for good.
 */
const oversizedKey = <State>(
  writes: ReadonlyArray<StateWrite<State>>,
): WriteOutcome | undefined => {
  const keys = writes.flatMap((w) => [w.key, ...w.deltas.flatMap((d) => Object.values(d.key))])
  const oversized = keys.find((key) => exceedsBytes(key, MAX_KEY_BYTES))
  return oversized === undefined
    ? undefined
    : {
        kind: 'invalid',
        reason: `ValidationException: One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of ${MAX_KEY_BYTES} bytes`,
      }
}

/**
 * A view's Store in memory, with DynamoDB's semantics where the runtime relies on them:
 * a transaction applies whole or not at all, each Put on the condition that the state is
 * still at the position read (or absent), aggregates by ADD, Rejected by eventId, no key
 * over DynamoDB's 2,048 bytes. With
 * `holdMs`, a transaction holds its items that long and one touching a held item is
 * cancelled (counted in `stats.conflicts`), where DynamoDB Local would serialize the two.
 */
export const memoryStore = <Event, State>(
  view: View<Event, State>,
  tables: MemoryTables<State> = emptyTables(),
  { holdMs = 0 }: MemoryStoreOptions = {},
): Store<State> & { readonly tables: MemoryTables<State>; readonly stats: MemoryStoreStats } => {
  const stats: MemoryStoreStats = { conflicts: 0 }
  const held = new Set<string>()
  const isStale = (w: StateWrite<State>) => {
    const stored = tables.states.get(w.key)
    return (stored === undefined ? undefined : view.positionOf(stored)) !== w.expectedPosition
  }
  const apply = (writes: ReadonlyArray<StateWrite<State>>) => {
    for (const { key, state, deltas } of writes) {
      tables.states.set(key, state)
      for (const delta of deltas) applyDelta(tables, delta)
    }
  }
  /** Holds the items from the prepare to the commit (the time DynamoDB takes between them), then applies. */
  const commitHolding = async (
    items: ReadonlyArray<string>,
    writes: ReadonlyArray<StateWrite<State>>,
  ) => {
    if (holdMs > 0) {
      for (const item of items) held.add(item)
      await sleep(holdMs)
    }
    apply(writes)
    for (const item of items) held.delete(item)
  }
  return {
    tables,
    stats,
    checkTables: async () => {},
    readStates: async (keys) => statesOf(tables, keys),
    writeStates: async (writes) => {
      const invalid = oversizedKey(writes)
      if (invalid !== undefined) return invalid
      // Items are held only with a hold time: without one, no transaction can meet another.
      const items = holdMs > 0 ? writes.flatMap((w) => itemsOfWrite(w)) : []
      if (items.some((item) => held.has(item))) {
        stats.conflicts += 1
        return TRANSACTION_CONFLICT
      }
      const stale = writes.filter(isStale)
      if (stale.length > 0) return { kind: 'stale', keys: stale.map((w) => w.key) }
      await commitHolding(items, writes)
      return { kind: 'committed' }
    },
    keepRejected: async (records) => {
      for (const record of records) tables.rejected.set(record.eventId, record)
    },
  }
}
