import type { ProductEvent } from '../domain/events'
import { type FoldStep, foldWithSteps, initial, type ProductState } from '../domain/product'
import { scoreDeltas, scoreKey } from '../domain/scores'
import type { ProductWrite } from './store'

/** One product's events in a batch, in shard order, with the records they came from. */
export interface ProductBatch {
  readonly productId: string
  readonly events: ReadonlyArray<ProductEvent>
  readonly recordIndexes: ReadonlyArray<number>
}

/** A product batch with the write that commits it. */
export interface PlannedWrite {
  readonly batch: ProductBatch
  readonly write: ProductWrite
  /** The indexes of the batch's events this write folds (not folded before, not duplicates). */
  readonly folds: ReadonlyArray<number>
}

/** A product's batch planned on its stored state: the write, if any, and its duplicates. */
export interface ProductPlan {
  /** Undefined when every event was folded already: a batch delivered again costs no write. */
  readonly planned?: PlannedWrite
  /** The indexes of the batch's events that are fan-out duplicates. */
  readonly duplicates: ReadonlyArray<number>
}

const indexesOf = (steps: ReadonlyArray<FoldStep>, step: FoldStep): number[] =>
  steps.flatMap((at, index) => (at === step ? [index] : []))

/** Folds a product's batch onto its stored state, in one pass. */
export const planProduct = (batch: ProductBatch, stored: ProductState | undefined): ProductPlan => {
  const before = stored ?? initial(batch.productId)
  const { state: after, steps } = foldWithSteps(before, batch.events)
  const duplicates = indexesOf(steps, 'duplicate')
  if (after === before) return { duplicates }
  const write = {
    state: after,
    expectedSequenceNumber: before.lastSequenceNumber,
    deltas: scoreDeltas(before, after),
  }
  return { duplicates, planned: { batch, folds: indexesOf(steps, 'folded'), write } }
}

/** The write that commits a product's batch onto its stored state, if any. */
export const planWrite = (
  batch: ProductBatch,
  stored: ProductState | undefined,
): PlannedWrite | undefined => planProduct(batch, stored).planned

/** Groups events by product, keeping shard order and each product's first appearance. */
export const groupByProduct = (
  events: ReadonlyArray<{ readonly event: ProductEvent; readonly recordIndex: number }>,
): ProductBatch[] => {
  const groups = new Map<
    string,
    { productId: string; events: ProductEvent[]; recordIndexes: number[] }
  >()
  for (const { event, recordIndex } of events) {
    const group = groups.get(event.productId) ?? {
      productId: event.productId,
      events: [],
      recordIndexes: [],
    }
    group.events.push(event)
    group.recordIndexes.push(recordIndex)
    groups.set(event.productId, group)
  }
  return [...groups.values()]
}

/**
 * Packs writes into transactions of at most `maxItems` items, a Put per product plus one
 * ADD per distinct Scores item, so that no item appears twice in one transaction.
 */
export const packTransactions = (
  writes: ReadonlyArray<PlannedWrite>,
  maxItems: number,
): PlannedWrite[][] => {
  const transactions: PlannedWrite[][] = []
  let current: PlannedWrite[] = []
  let scoreItems = new Set<string>()
  for (const planned of writes) {
    const keys = planned.write.deltas.map(scoreKey)
    const added = keys.filter((key) => !scoreItems.has(key)).length
    if (current.length > 0 && current.length + scoreItems.size + 1 + added > maxItems) {
      transactions.push(current)
      current = []
      scoreItems = new Set()
    }
    current.push(planned)
    for (const key of keys) scoreItems.add(key)
  }
  if (current.length > 0) transactions.push(current)
  return transactions
}
