import fc from 'fast-check'
import type { ProductEvent } from '../src/domain/events'
import { initial, type ProductState } from '../src/domain/product'
import type { ScoreDelta } from '../src/domain/scores'
import {
  aggregateItemKey,
  type PlannedWrite,
  packByClusters,
  packTransactions,
} from '../src/runtime/plan'

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

type Write = PlannedWrite<ProductEvent, ProductState>

/** The users a write adds to, as the test names Scores items: `userId role`. */
const usersOf = (planned: Write): string[] =>
  planned.write.deltas.map((d) => `${d.key.userId} ${d.key.role}`)

/** The keys reached from `start` through shared users, one write at a time (written out here). */
const groupFrom = (start: Write, writes: ReadonlyArray<Write>): Set<string> => {
  const group = new Set([start.batch.key])
  const users = new Set(usersOf(start))
  const linked = (other: Write) =>
    !group.has(other.batch.key) && usersOf(other).some((u) => users.has(u))
  for (let next = writes.find(linked); next !== undefined; next = writes.find(linked)) {
    group.add(next.batch.key)
    for (const u of usersOf(next)) users.add(u)
  }
  return group
}

/** Each key's group of keys linked through shared users. */
const linkedKeys = (writes: ReadonlyArray<Write>): Map<string, Set<string>> => {
  const groups = new Map<string, Set<string>>()
  for (const start of writes) {
    if (groups.has(start.batch.key)) continue
    const group = groupFrom(start, writes)
    for (const key of group) groups.set(key, group)
  }
  return groups
}

/** A user both transactions add to, if any. */
const sharedUser = (a: ReadonlyArray<Write>, b: ReadonlyArray<Write>): string | undefined => {
  const inB = new Set(b.flatMap(usersOf))
  return a.flatMap(usersOf).find((u) => inB.has(u))
}

const itemCountOf = (keys: ReadonlySet<string>, writes: ReadonlyArray<Write>): number =>
  itemsOf(writes.filter((w) => keys.has(w.batch.key)))

describe('packing writes by clusters, for transactions that commit at once', () => {
  it('keeps every write once, in transactions of at most the item limit', () => {
    fc.assert(
      fc.property(writesArb, fc.integer({ min: 3, max: 100 }), (writes, limit) => {
        const transactions = packByClusters(writes, limit)
        const keys = transactions.flat().map((w) => w.batch.key)
        expect([...keys].sort()).toEqual(writes.map((w) => w.batch.key).sort())
        for (const transaction of transactions) {
          expect(transaction.length).toBeGreaterThan(0)
          expect(itemsOf(transaction)).toBeLessThanOrEqual(limit)
        }
      }),
      { numRuns: 1000 },
    )
  })

  it('puts a linked group of writes that fits the limit in one transaction', () => {
    fc.assert(
      fc.property(writesArb, fc.integer({ min: 3, max: 100 }), (writes, limit) => {
        const groups = linkedKeys(writes)
        const transactions = packByClusters(writes, limit)
        const home = new Map(transactions.flatMap((t, at) => t.map((w) => [w.batch.key, at])))
        for (const group of new Set(groups.values())) {
          if (itemCountOf(group, writes) > limit) continue
          expect(new Set([...group].map((key) => home.get(key))).size).toBe(1)
        }
      }),
      { numRuns: 1000 },
    )
  })

  it('lets two transactions share a Scores item only when both hold parts of one group over the limit', () => {
    fc.assert(
      fc.property(writesArb, fc.integer({ min: 3, max: 100 }), (writes, limit) => {
        const groups = linkedKeys(writes)
        const transactions = packByClusters(writes, limit)
        const pairs = transactions.flatMap((a, i) => transactions.slice(i + 1).map((b) => [a, b]))
        for (const [a = [], b = []] of pairs) {
          const user = sharedUser(a, b)
          if (user === undefined) continue
          const owner = a.find((w) => usersOf(w).includes(user))
          const group = groups.get(owner?.batch.key ?? '') ?? new Set<string>()
          expect(itemCountOf(group, writes)).toBeGreaterThan(limit)
        }
      }),
      { numRuns: 300 },
    )
  })
})
