import fc from 'fast-check'
import type { ProductEvent } from '../src/domain/events'
import { initial, type ProductState } from '../src/domain/product'
import type { ScoreDelta } from '../src/domain/scores'
import { aggregateItemKey, type PlannedWrite, packTransactions } from '../src/runtime/plan'

// Written out, not the winner view's mapping: the packing must not depend on it.
const asAggregate = (delta: ScoreDelta) => ({
  table: 'scores',
  key: { userId: delta.userId, role: delta.role },
  add: { score: delta.score, products: delta.products },
})

const deltaArb: fc.Arbitrary<ScoreDelta> = fc.record({
  userId: fc.integer({ min: 0, max: 30 }).map((i) => `user-${i}`),
  role: fc.constantFrom('creator' as const, 'photographer' as const),
  score: fc.integer({ min: 0, max: 5 }),
  products: fc.integer({ min: 0, max: 1 }),
})

const writesArb = fc.array(fc.array(deltaArb, { maxLength: 2 }), { maxLength: 400 }).map((all) =>
  all.map(
    (deltas, at): PlannedWrite<ProductEvent, ProductState> => ({
      batch: { key: `p${at}`, events: [], recordIndexes: [at] },
      folds: [],
      duplicates: [],
      write: {
        key: `p${at}`,
        state: initial(`p${at}`),
        expectedPosition: undefined,
        deltas: deltas.map(asAggregate),
      },
    }),
  ),
)

const itemsOf = (transaction: ReadonlyArray<PlannedWrite<ProductEvent, ProductState>>): number =>
  transaction.length +
  new Set(transaction.flatMap((p) => p.write.deltas.map(aggregateItemKey))).size

describe('packing writes into transactions', () => {
  it('keeps every write once, in order, in transactions of at most the item limit', () => {
    fc.assert(
      fc.property(writesArb, fc.integer({ min: 3, max: 100 }), (writes, limit) => {
        const transactions = packTransactions(writes, limit)
        expect(transactions.flat()).toEqual(writes)
        for (const transaction of transactions) {
          expect(transaction.length).toBeGreaterThan(0)
          expect(itemsOf(transaction)).toBeLessThanOrEqual(limit)
        }
      }),
      { numRuns: 1000 },
    )
  })
})
