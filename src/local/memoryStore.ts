import * as E from 'fp-ts/Either'
import type { ProductState } from '../domain/product'
import { scoreKey } from '../domain/scores'
import type { RejectedRecord, Store, StoredProduct } from '../handlers/store'

/** What an in-memory store holds, open for a test or the benchmark to read. */
export interface MemoryTables {
  readonly products: Map<string, ProductState>
  readonly scores: Map<string, { userId: string; role: string; score: number; products: number }>
  readonly rejected: Map<string, RejectedRecord>
}

/**
 * The Store in memory, with DynamoDB's semantics where the view relies on them: a
 * transaction applies whole or not at all, each Put on the condition that the product
 * is still at the position read (or absent), Scores by ADD, Rejected by eventId.
 */
export const memoryStore = (tables?: MemoryTables): Store & { readonly tables: MemoryTables } => {
  const held: MemoryTables = tables ?? {
    products: new Map(),
    scores: new Map(),
    rejected: new Map(),
  }
  return {
    tables: held,
    checkTables: async () => {},
    readProducts: async (ids) => {
      const found = new Map<string, StoredProduct>()
      for (const id of ids) {
        const state = held.products.get(id)
        if (state !== undefined) found.set(id, E.right(state))
      }
      return found
    },
    writeProducts: async (writes) => {
      const stale = writes.filter(
        (w) =>
          held.products.get(w.state.productId)?.lastSequenceNumber !== w.expectedSequenceNumber,
      )
      if (stale.length > 0)
        return { kind: 'stale', productIds: stale.map((w) => w.state.productId) }
      for (const { state, deltas } of writes) {
        held.products.set(state.productId, state)
        for (const delta of deltas) {
          const key = scoreKey(delta)
          const seen = held.scores.get(key) ?? {
            userId: delta.userId,
            role: delta.role,
            score: 0,
            products: 0,
          }
          held.scores.set(key, {
            ...seen,
            score: seen.score + delta.score,
            products: seen.products + delta.products,
          })
        }
      }
      return { kind: 'committed' }
    },
    keepRejected: async (records) => {
      for (const record of records) held.rejected.set(record.eventId, record)
    },
  }
}
