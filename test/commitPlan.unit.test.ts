import type { ProductEvent } from '../src/domain/events'
import { initial, type ProductState } from '../src/domain/product'
import { type PlannedWrite, packTransactions } from '../src/runtime/plan'

const scoresDelta = (userId: string) => ({
  table: 'scores',
  key: { userId, role: 'creator' },
  add: { score: 1, products: 0 },
})

const write = (
  productId: string,
  ...users: string[]
): PlannedWrite<ProductEvent, ProductState> => ({
  batch: { key: productId, events: [], recordIndexes: [] },
  folds: [],
  duplicates: [],
  write: {
    state: initial(productId),
    key: productId,
    expectedPosition: undefined,
    deltas: users.map((userId) => scoresDelta(userId)),
  },
})
const ids = (transactions: PlannedWrite<ProductEvent, ProductState>[][]) =>
  transactions.map((t) => t.map((p) => p.batch.key))

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
