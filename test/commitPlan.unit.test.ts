import { initial } from '../src/domain/product'
import { type PlannedWrite, packTransactions } from '../src/handlers/commitPlan'

const write = (productId: string, ...users: string[]): PlannedWrite => ({
  batch: { productId, events: [], recordIndexes: [] },
  folds: [],
  write: {
    state: initial(productId),
    expectedSequenceNumber: undefined,
    deltas: users.map((userId) => ({ userId, role: 'creator' as const, score: 1, products: 0 })),
  },
})
const ids = (transactions: PlannedWrite[][]) =>
  transactions.map((t) => t.map((p) => p.batch.productId))

describe('packing writes into transactions', () => {
  it('fills a transaction to exactly the limit, counting a shared Scores item once', () => {
    // p1: Put + ann, bob; p2: Put + ann (shared); p3: Put + cy: 3 Puts + 3 Scores items = 6
    const writes = [write('p1', 'ann', 'bob'), write('p2', 'ann'), write('p3', 'cy')]
    expect(ids(packTransactions(writes, 6))).toEqual([['p1', 'p2', 'p3']])
    expect(ids(packTransactions(writes, 5))).toEqual([['p1', 'p2'], ['p3']])
  })

  it('starts a new transaction only when the next write would pass the limit', () => {
    const writes = [write('p1', 'ann'), write('p2', 'ann'), write('p3', 'ann')]
    expect(ids(packTransactions(writes, 4))).toEqual([['p1', 'p2', 'p3']])
    expect(ids(packTransactions(writes, 3))).toEqual([['p1', 'p2'], ['p3']])
  })

  it('gives a single write that passes the limit a transaction of its own', () => {
    expect(ids(packTransactions([write('p1', 'a', 'b', 'c')], 2))).toEqual([['p1']])
    expect(packTransactions([], 100)).toEqual([])
  })
})
