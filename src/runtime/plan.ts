import type { StateWrite } from './store'
import type { AggregateDelta, View } from './view'

/** One key's events in a batch, in shard order, with the records they came from. */
export interface KeyBatch<Event> {
  readonly key: string
  readonly events: ReadonlyArray<Event>
  readonly recordIndexes: ReadonlyArray<number>
}

/** A batch event the view recognised as a duplicate of one already folded, and why. */
export interface Duplicate {
  readonly at: number
  readonly reason: string
}

/** A key's batch with the write that commits it. */
export interface PlannedWrite<Event, State> {
  readonly batch: KeyBatch<Event>
  readonly write: StateWrite<State>
  /** The indexes of the batch's events this write folds (not folded before, not duplicates). */
  readonly folds: ReadonlyArray<number>
  /** The batch's duplicates, judged on the state this write applies to: kept once it commits. */
  readonly duplicates: ReadonlyArray<Duplicate>
}

/** A key's batch planned on its stored state: the write, if any, and its duplicates. */
export interface KeyPlan<Event, State> {
  /** Undefined when every event was folded already: a batch delivered again costs no write. */
  readonly planned?: PlannedWrite<Event, State>
  readonly duplicates: ReadonlyArray<Duplicate>
}

/**
 * Folds a key's batch onto its stored state, in one pass, judging each event at its
 * place: folded (the position moved), a duplicate the view names, or folded before.
 */
export const planKey = <Event, State>(
  view: View<Event, State>,
  batch: KeyBatch<Event>,
  stored: State | undefined,
): KeyPlan<Event, State> => {
  const before = stored ?? view.initial(batch.key)
  const folds: number[] = []
  const duplicates: Duplicate[] = []
  let current = before
  batch.events.forEach((event, at) => {
    const next = view.evolve(current, event)
    if (view.positionOf(next) !== view.positionOf(current)) folds.push(at)
    else {
      const reason = view.duplicateOf?.(current, event)
      if (reason !== undefined) duplicates.push({ at, reason })
    }
    current = next
  })
  if (folds.length === 0) return { duplicates }
  const write = {
    key: batch.key,
    state: current,
    expectedPosition: view.positionOf(before),
    deltas: view.deltas(before, current),
  }
  return { duplicates, planned: { batch, folds, duplicates, write } }
}

/** Groups events by key, keeping shard order and each key's first appearance. */
export const groupByKey = <Event>(
  keyOf: (event: Event) => string,
  events: ReadonlyArray<{ readonly event: Event; readonly recordIndex: number }>,
): KeyBatch<Event>[] => {
  const groups = new Map<string, { key: string; events: Event[]; recordIndexes: number[] }>()
  for (const { event, recordIndex } of events) {
    const key = keyOf(event)
    const group = groups.get(key) ?? { key, events: [], recordIndexes: [] }
    group.events.push(event)
    group.recordIndexes.push(recordIndex)
    groups.set(key, group)
  }
  return [...groups.values()]
}

const itemKeys = new WeakMap<object, string>()

/**
 * A text that names one aggregate item: its table and its key, attribute by attribute.
 * Kept per delta (packing, ordering and merging ask for it again and again).
 */
export const aggregateItemKey = (delta: Pick<AggregateDelta, 'table' | 'key'>): string => {
  const known = itemKeys.get(delta)
  if (known !== undefined) return known
  // JSON strings end at their first unescaped quote: joined by commas, they stay distinct.
  let text = JSON.stringify(delta.table)
  for (const name of Object.keys(delta.key).sort())
    text += `,${JSON.stringify(name)},${JSON.stringify(delta.key[name])}`
  itemKeys.set(delta, text)
  return text
}

/** Sums deltas per aggregate item; ADD commutes, so order does not matter. */
export const mergeDeltas = (deltas: ReadonlyArray<AggregateDelta>): AggregateDelta[] => {
  const merged = new Map<string, AggregateDelta>()
  for (const delta of deltas) {
    const key = aggregateItemKey(delta)
    const seen = merged.get(key)
    if (seen === undefined) {
      merged.set(key, delta)
      continue
    }
    const add = { ...seen.add }
    for (const [name, value] of Object.entries(delta.add)) add[name] = (add[name] ?? 0) + value
    merged.set(key, { ...seen, add })
  }
  return [...merged.values()]
}

/**
 * Writes in an order that puts those touching the same aggregate items next to one
 * another, so that packing gives fewer transactions sharing an item: those must commit
 * one after the other, the others may commit at once. Keys commute, so order is free.
 */
export const clusterByAggregates = <W extends { readonly write: StateWrite<unknown> }>(
  writes: ReadonlyArray<W>,
): W[] => {
  const clusterOf = (planned: W) => planned.write.deltas.map(aggregateItemKey).sort().join('\n')
  return writes
    .map((planned) => ({ planned, cluster: clusterOf(planned) }))
    .sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0))
    .map(({ planned }) => planned)
}

/**
 * Packs writes into transactions of at most `maxItems` items, a Put per key plus one
 * update per distinct aggregate item, so that no item appears twice in one transaction.
 */
export const packTransactions = <W extends { readonly write: StateWrite<unknown> }>(
  writes: ReadonlyArray<W>,
  maxItems: number,
): W[][] => {
  const transactions: W[][] = []
  let current: W[] = []
  let aggregateItems = new Set<string>()
  for (const planned of writes) {
    const keys = planned.write.deltas.map(aggregateItemKey)
    const added = new Set(keys.filter((key) => !aggregateItems.has(key))).size
    if (current.length > 0 && current.length + aggregateItems.size + 1 + added > maxItems) {
      transactions.push(current)
      current = []
      aggregateItems = new Set()
    }
    current.push(planned)
    for (const key of keys) aggregateItems.add(key)
  }
  if (current.length > 0) transactions.push(current)
  return transactions
}

/** The items a write's transaction holds for it: its key's Put and its aggregate items. */
export const itemsOfWrite = (write: StateWrite<unknown>): string[] => [
  `\u0000${write.key}`,
  ...write.deltas.map(aggregateItemKey),
]

/**
 * Disjoint sets of items, by union by size with path compression, both without
 * recursion: a hot item shared by every write of a 10,000-record batch links them all.
 */
const disjointSets = () => {
  const parent = new Map<string, string>()
  const size = new Map<string, number>()
  const root = (item: string): string => {
    let top = item
    for (let up = parent.get(top); up !== undefined && up !== top; up = parent.get(top)) top = up
    for (let at = item; at !== top; ) {
      const up = parent.get(at) ?? top
      parent.set(at, top)
      at = up
    }
    return top
  }
  const join = (a: string, b: string): void => {
    const [ra, rb] = [root(a), root(b)]
    if (ra === rb) return
    const [small, large] = (size.get(ra) ?? 1) < (size.get(rb) ?? 1) ? [ra, rb] : [rb, ra]
    parent.set(small, large)
    size.set(large, (size.get(ra) ?? 1) + (size.get(rb) ?? 1))
  }
  return { root, join }
}

/** Writes linked by the items they share, directly or through others, in batch order. */
export const clustersOf = <W extends { readonly write: StateWrite<unknown> }>(
  writes: ReadonlyArray<W>,
): W[][] => {
  const sets = disjointSets()
  for (const planned of writes) {
    const [own = '', ...shared] = itemsOfWrite(planned.write)
    for (const item of shared) sets.join(own, item)
  }
  const clusters = new Map<string, W[]>()
  for (const planned of writes) {
    const top = sets.root(itemsOfWrite(planned.write)[0] ?? '')
    const cluster = clusters.get(top) ?? []
    cluster.push(planned)
    clusters.set(top, cluster)
  }
  return [...clusters.values()]
}

/** The items a transaction of these writes holds: a Put per key, each aggregate item once. */
export const itemsInTransaction = (
  writes: ReadonlyArray<{ readonly write: StateWrite<unknown> }>,
): number =>
  writes.length + new Set(writes.flatMap((p) => p.write.deltas.map(aggregateItemKey))).size

/**
 * Packs writes into transactions of at most `maxItems` items so that as few as possible
 * must wait for one another. Writes linked by shared aggregate items (a cluster) stay
 * together; a cluster over the limit is split (clustered, then packed in order): its
 * parts share items and commit one after the other (a split into a first part and
 * parts that share nothing with one another could sometimes save a round trip; this
 * one chains them). Clusters that fit fill the room left in any transaction, largest
 * first, and share nothing with the rest of it, so they add no wait.
 */
export const packByClusters = <W extends { readonly write: StateWrite<unknown> }>(
  writes: ReadonlyArray<W>,
  maxItems: number,
): W[][] => {
  const clusters = clustersOf(writes).map((cluster) => ({
    cluster,
    size: itemsInTransaction(cluster),
  }))
  const transactions = clusters
    .filter(({ size }) => size > maxItems)
    .flatMap(({ cluster }) => packTransactions(clusterByAggregates(cluster), maxItems))
    .map((transaction) => ({ writes: transaction, size: itemsInTransaction(transaction) }))
  const fitting = clusters.filter(({ size }) => size <= maxItems).sort((a, b) => b.size - a.size)
  for (const { cluster, size } of fitting) {
    const room = transactions.find((t) => t.size + size <= maxItems)
    if (room === undefined) transactions.push({ writes: [...cluster], size })
    else {
      room.writes.push(...cluster)
      room.size += size
    }
  }
  return transactions.map((t) => t.writes)
}
