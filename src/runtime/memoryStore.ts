import * as E from 'fp-ts/Either'
import { aggregateItemKey } from './plan'
import type { RejectedRecord, Store, StoredState } from './store'
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

/**
 * A view's Store in memory, with DynamoDB's semantics where the runtime relies on them:
 * a transaction applies whole or not at all, each Put on the condition that the state is
 * still at the position read (or absent), aggregates by ADD, Rejected by eventId.
 */
export const memoryStore = <Event, State>(
  view: View<Event, State>,
  tables: MemoryTables<State> = emptyTables(),
): Store<State> & { readonly tables: MemoryTables<State> } => ({
  tables,
  checkTables: async () => {},
  readStates: async (keys) => {
    const found = new Map<string, StoredState<State>>()
    for (const key of keys) {
      const state = tables.states.get(key)
      if (state !== undefined) found.set(key, E.right(state))
    }
    return found
  },
  writeStates: async (writes) => {
    const stale = writes.filter((w) => {
      const held = tables.states.get(w.key)
      return (held === undefined ? undefined : view.positionOf(held)) !== w.expectedPosition
    })
    if (stale.length > 0) return { kind: 'stale', keys: stale.map((w) => w.key) }
    for (const { key, state, deltas } of writes) {
      tables.states.set(key, state)
      for (const delta of deltas) applyDelta(tables, delta)
    }
    return { kind: 'committed' }
  },
  keepRejected: async (records) => {
    for (const record of records) tables.rejected.set(record.eventId, record)
  },
})
