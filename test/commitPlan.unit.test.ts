import type { ProductEvent } from '../src/domain/events'
import { initial, type ProductState } from '../src/domain/product'
import {
  clustersOf,
  type PlannedWrite,
  packByClusters,
  packTransactions,
} from '../src/runtime/plan'

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

describe('packing writes by clusters', () => {
  it('keeps writes linked by a user together and fills a transaction with other groups, largest first', () => {
    // {p1, p3} + ann: 3 items; {p2} + bob: 2; {p4} + cy: 2; a limit of 6
    const writes = [write('p1', 'ann'), write('p2', 'bob'), write('p3', 'ann'), write('p4', 'cy')]
    expect(ids(packByClusters(writes, 6))).toEqual([['p1', 'p3', 'p2'], ['p4']])
  })

  it('splits a group over the limit and puts another group in the room its last part leaves', () => {
    // {p1, p2, p3, p5} + ann: 5 items over a limit of 4, split 4 + 2; {p4} + bob: 2
    const writes = [
      write('p1', 'ann'),
      write('p2', 'ann'),
      write('p3', 'ann'),
      write('p4', 'bob'),
      write('p5', 'ann'),
    ]
    expect(ids(packByClusters(writes, 4))).toEqual([
      ['p1', 'p2', 'p3'],
      ['p5', 'p4'],
    ])
  })

  it('links two users through a write that adds to both, and keeps batch order in a group', () => {
    // p3 adds to ann and bob: p1, p3 and p4 are one group; p2 is alone
    const writes = [
      write('p1', 'ann'),
      write('p2', 'cy'),
      write('p3', 'ann', 'bob'),
      write('p4', 'bob'),
    ]
    expect(clustersOf(writes).map((c) => c.map((p) => p.batch.key))).toEqual([
      ['p1', 'p3', 'p4'],
      ['p2'],
    ])
    expect(packByClusters([], 100)).toEqual([])
  })

  it('links 30,000 writes of one hot user without running out of stack', () => {
    const writes = Array.from({ length: 30_000 }, (_, at) => write(`p${at}`, 'ann'))
    expect(clustersOf(writes).map((c) => c.length)).toEqual([30_000])
    const transactions = packByClusters(writes, 100)
    expect(transactions.map((t) => t.length)).toEqual([...Array.from({ length: 303 }, () => 99), 3])
  })
})
