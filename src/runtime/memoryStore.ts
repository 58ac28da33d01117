import * as E from 'fp-ts/Either'
import { exceedsBytes, MAX_KEY_BYTES } from '../domain/codecs'
import { isAfter } from '../domain/position'
import { sleep } from './backoff'
import type { FreshnessMark } from './marks'
import {
  aggregateOfItem,
  PARTIAL_AGGREGATE,
  PARTIAL_ITEM,
  PARTIAL_WRITER,
  PARTIALS_ROLE,
} from './partials'
import { aggregateItemKey, itemsOfWrite, mergeDeltas } from './plan'
import type { RejectedRecord, StateWrite, Store, StoredState, WriteOutcome } from './store'
import {
  appliedAttributeOf,
  appliedVersionOf,
  type PartialChange,
  partialImageOf,
  runsOf,
  stepOrResync,
  TOTALS_REVISION,
  type TotalsAnswer,
  type TotalsStore,
  type TotalsUpdate,
  totalsOfPartials,
  updateOf,
  withoutApplied,
} from './totals'
import type { AggregateDelta, View } from './view'

/** An aggregate item as the memory store holds it: its key, the attributes set, the sums. */
export type AggregateItem = Record<string, string | number>

/** What an in-memory store holds, open for a test or the benchmark to read. */
export interface MemoryTables<State> {
  readonly states: Map<string, State>
  /** Per aggregate table role, items by `aggregateItemKey`. */
  readonly aggregates: Map<string, Map<string, AggregateItem>>
  readonly rejected: Map<string, RejectedRecord>
  /** Freshness marks by shard. */
  readonly marks: Map<string, FreshnessMark>
  /** The partials' changes not yet summed into the totals, as their stream would carry them. */
  readonly partialChanges: PartialChange[]
  /** Changes made to the partials so far: the next change's sequence number. */
  changesMade: number
}

/** Empty tables for a view's memory store. */
export const emptyTables = <State>(): MemoryTables<State> => ({
  states: new Map(),
  aggregates: new Map(),
  rejected: new Map(),
  marks: new Map(),
  partialChanges: [],
  changesMade: 0,
})

/** An aggregate update as DynamoDB applies it: SET the attributes, ADD the numbers. */
const applyDelta = (
  tables: MemoryTables<unknown>,
  delta: AggregateDelta,
): PartialChange | undefined => {
  const items = tables.aggregates.get(delta.table) ?? new Map<string, AggregateItem>()
  tables.aggregates.set(delta.table, items)
  const before = items.get(aggregateItemKey(delta))
  const item: AggregateItem = { ...(before ?? delta.key) }
  Object.assign(item, delta.set)
  for (const [name, value] of Object.entries(delta.add))
    item[name] = Number(item[name] ?? 0) + value
  items.set(aggregateItemKey(delta), item)
  if (delta.table !== PARTIALS_ROLE) return undefined
  tables.changesMade += 1
  return {
    sequenceNumber: String(tables.changesMade).padStart(21, '0'),
    item: String(item[PARTIAL_ITEM]),
    writer: String(item[PARTIAL_WRITER]),
    ...(before === undefined ? {} : { before: partialImageOf(before) }),
    after: partialImageOf(item),
  }
}

/**
 * A totals item's conditional update as the DynamoDB totals store makes it: applied only
 * when the item includes the writer's partial at `fromVersion`.
 */
export const updateTotalsIn =
  (tables: MemoryTables<unknown>) =>
  (update: TotalsUpdate): TotalsAnswer => {
    const items = tables.aggregates.get(update.table) ?? new Map<string, AggregateItem>()
    tables.aggregates.set(update.table, items)
    const id = aggregateItemKey(update)
    const item: AggregateItem = { ...(items.get(id) ?? update.key) }
    const applied = appliedVersionOf(item, update.writer)
    if (applied !== update.fromVersion) return { kind: 'includes', applied }
    Object.assign(item, update.set)
    for (const [name, value] of Object.entries({ ...update.add, [TOTALS_REVISION]: 1 }))
      item[name] = Number(item[name] ?? 0) + value
    item[appliedAttributeOf(update.writer)] = update.toVersion
    items.set(id, item)
    return { kind: 'applied' }
  }

/** A totals item made the sum of every partial the memory store holds for it, as a resync does. */
export const resyncIn =
  (tables: MemoryTables<unknown>) =>
  (aggregate: string): void => {
    const partials = [...(tables.aggregates.get(PARTIALS_ROLE)?.values() ?? [])]
      .filter((item) => item[PARTIAL_AGGREGATE] === aggregate)
      .map((item) => ({ ...partialImageOf(item), writer: String(item[PARTIAL_WRITER]) }))
    const { table, key } = aggregateOfItem(aggregate)
    const items = tables.aggregates.get(table) ?? new Map<string, AggregateItem>()
    tables.aggregates.set(table, items)
    const revision = Number(items.get(aggregate)?.[TOTALS_REVISION] ?? 0)
    items.set(aggregateItemKey({ table, key }), {
      ...totalsOfPartials(aggregate, partials),
      [TOTALS_REVISION]: revision + 1,
    })
  }

/** The memory store's totals, as the totals stage moves them. */
export const memoryTotals = (tables: MemoryTables<unknown>): TotalsStore => {
  const update = updateTotalsIn(tables)
  const resync = resyncIn(tables)
  return { update: async (u) => update(u), resync: async (aggregate) => resync(aggregate) }
}

/**
 * Sums the partials' pending changes into the totals now, by the totals stage's rule
 * (`stepOrResync`, `updateOf`), as if its batch were applied at once (a gap or a deletion:
 * a resync).
 */
export const settleTotalsNow = (tables: MemoryTables<unknown>): void => {
  const update = updateTotalsIn(tables)
  for (const run of runsOf(tables.partialChanges.splice(0))) {
    const { table } = aggregateOfItem(run.aggregate)
    const applied = appliedVersionOf(tables.aggregates.get(table)?.get(run.aggregate), run.writer)
    const step = stepOrResync(run, applied)
    if (step.kind === 'gap') resyncIn(tables)(run.aggregate)
    else if (step.kind === 'add') update(updateOf(run, step))
  }
}

/**
 * The aggregate tables as a reader sees them: the totals, without the totals stage's
 * bookkeeping (the partials, and the version of each it includes).
 */
export const totalsIn = (tables: MemoryTables<unknown>): Map<string, Map<string, AggregateItem>> =>
  new Map(
    [...tables.aggregates]
      .filter(([role]) => role !== PARTIALS_ROLE)
      .map(([role, items]) => [
        role,
        new Map([...items].map(([id, item]) => [id, withoutApplied(item)])),
      ]),
  )

/** As DynamoDB's transaction: each aggregate item once, its deltas merged; partials' changes noted. */
const applyMerged = (
  tables: MemoryTables<unknown>,
  writes: ReadonlyArray<StateWrite<unknown>>,
  onChange: ((change: PartialChange) => void) | undefined,
) => {
  for (const delta of mergeDeltas(writes.flatMap((w) => w.deltas))) {
    const change = applyDelta(tables, delta)
    if (change === undefined) continue
    tables.partialChanges.push(change)
    onChange?.(change)
  }
}

/** How the memory store models DynamoDB's transaction conflicts. */
export interface MemoryStoreOptions {
  /**
   * How long a transaction holds its items, from its prepare to its commit; 0 (the
   * default) applies each transaction at once, so that none can overlap another.
   */
  readonly holdMs?: number
  /**
   * When the totals stage sums the partials' changes: `now`, on each commit (the
   * default, so a test reads exact totals at once), or `later`, when the caller's own
   * totals stage takes `tables.partialChanges`, as the benchmark's does.
   */
  readonly totals?: 'now' | 'later'
  /** How a hold waits: real time unless the benchmark runs on a virtual clock. */
  readonly sleep?: (ms: number) => Promise<void>
  /** Told of each change to a partial as it is made (the benchmark notes its time). */
  readonly onChange?: (change: PartialChange) => void
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

/** A mark as the DynamoDB store keeps it: never moved back, its first record the first stored. */
const markIn = (marks: Map<string, FreshnessMark>, mark: FreshnessMark): void => {
  const stored = marks.get(mark.shardId)
  if (stored !== undefined && isAfter(stored.sequenceNumber, mark.sequenceNumber)) return
  marks.set(mark.shardId, {
    ...mark,
    firstSequenceNumber: stored?.firstSequenceNumber ?? mark.firstSequenceNumber,
  })
}

/**
 * A view's Store in memory, with DynamoDB's semantics where the runtime relies on them:
 * a transaction applies whole or not at all, each Put on the condition that the state is
 * still at the position read (or absent), aggregates by ADD, Rejected by eventId, no key
 * over DynamoDB's 2,048 bytes, partials summed into totals. With `holdMs`, a transaction holds its items that long and one touching a held item is
 * cancelled (counted in `stats.conflicts`), where DynamoDB Local would serialize the two.
 */
export const memoryStore = <Event, State>(
  view: View<Event, State>,
  tables: MemoryTables<State> = emptyTables(),
  { holdMs = 0, totals = 'now', sleep: wait = sleep, onChange }: MemoryStoreOptions = {},
): Store<State> & { readonly tables: MemoryTables<State>; readonly stats: MemoryStoreStats } => {
  const stats: MemoryStoreStats = { conflicts: 0 }
  const held = new Set<string>()
  const isStale = (w: StateWrite<State>) => {
    const stored = tables.states.get(w.key)
    return (stored === undefined ? undefined : view.positionOf(stored)) !== w.expectedPosition
  }
  const apply = (writes: ReadonlyArray<StateWrite<State>>) => {
    for (const { key, state } of writes) tables.states.set(key, state)
    applyMerged(tables, writes, onChange)
    if (totals === 'now') settleTotalsNow(tables)
  }
  /** Holds the items from the prepare to the commit (the time DynamoDB takes between them), then applies. */
  const commitHolding = async (
    items: ReadonlyArray<string>,
    writes: ReadonlyArray<StateWrite<State>>,
  ) => {
    if (holdMs > 0) {
      for (const item of items) held.add(item)
      await wait(holdMs)
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
    markFolded: async (mark) => markIn(tables.marks, mark),
  }
}
