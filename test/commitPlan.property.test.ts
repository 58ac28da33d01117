import fc from 'fast-check'
import { initial } from '../src/domain/product'
import { type ScoreDelta, scoreKey } from '../src/domain/scores'
import { type PlannedWrite, packTransactions } from '../src/handlers/commitPlan'

const deltaArb: fc.Arbitrary<ScoreDelta> = fc.record({
  userId: fc.integer({ min: 0, max: 30 }).map((i) => `user-${i}`),
  role: fc.constantFrom('creator' as const, 'photographer' as const),
  score: fc.integer({ min: 0, max: 5 }),
  products: fc.integer({ min: 0, max: 1 }),
})

const writesArb = fc.array(fc.array(deltaArb, { maxLength: 2 }), { maxLength: 400 }).map((all) =>
  all.map(
    (deltas, at): PlannedWrite => ({
      batch: { productId: `p${at}`, events: [], recordIndexes: [at] },
      folds: [],
      write: { state: initial(`p${at}`), expectedSequenceNumber: undefined, deltas },
    }),
  ),
)

const itemsOf = (transaction: ReadonlyArray<PlannedWrite>): number =>
  transaction.length + new Set(transaction.flatMap((p) => p.write.deltas.map(scoreKey))).size

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
