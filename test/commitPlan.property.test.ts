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

type Write = PlannedWrite<ProductEvent, ProductState>

/** A score delta of one of `users` users. */
const deltaOver = (users: number): fc.Arbitrary<ScoreDelta> =>
  fc.record({
    userId: fc.integer({ min: 0, max: users - 1 }).map((i) => `user-${i}`),
    role: fc.constantFrom('creator' as const, 'photographer' as const),
    score: fc.integer({ min: 0, max: 5 }),
    products: fc.integer({ min: 0, max: 1 }),
  })

const writeOf = (deltas: ReadonlyArray<ScoreDelta>, at: number): Write => ({
  batch: { key: `p${at}`, events: [], recordIndexes: [at] },
  folds: [],
  duplicates: [],
  write: {
    key: `p${at}`,
    state: initial(`p${at}`),
    expectedPosition: undefined,
    deltas: deltas.map(asAggregate),
  },
})

/**
 * Batch-sized sets of writes (up to 500 keys) over few or many users, so that some runs
 * have one cluster larger than a transaction and others many small ones; and the limit,
 * often DynamoDB's 100.
 */
const batchArb = fc.integer({ min: 1, max: 150 }).chain((users) =>
  fc.tuple(
    fc
      .array(fc.array(deltaOver(users), { maxLength: 2 }), { maxLength: 500, size: 'max' })
      .map((all) => all.map(writeOf)),
    fc.oneof(fc.constant(100), fc.integer({ min: 3, max: 100 })),
  ),
)

const itemsOf = (transaction: ReadonlyArray<PlannedWrite<ProductEvent, ProductState>>): number =>
  transaction.length +
  new Set(transaction.flatMap((p) => p.write.deltas.map(aggregateItemKey))).size

describe('packing writes into transactions', () => {
  it('keeps every write once, in order, in transactions of at most the item limit', () => {
    fc.assert(
      fc.property(batchArb, ([writes, limit]) => {
        const transactions = packTransactions(writes, limit)
        expect(transactions.flat()).toEqual(writes)
        for (const transaction of transactions) {
          expect(transaction.length).toBeGreaterThan(0)
          expect(itemsOf(transaction)).toBeLessThanOrEqual(limit)
        }
      }),
      { numRuns: 300 },
    )
  })
})

/** The users a write adds to, as the test names Scores items: `userId role`. */
const usersOf = (planned: Write): string[] =>
  planned.write.deltas.map((d) => `${d.key.userId} ${d.key.role}`)

/** The writes that add to each user. */
const writesByUser = (writes: ReadonlyArray<Write>): Map<string, Write[]> => {
  const byUser = new Map<string, Write[]>()
  for (const w of writes) for (const u of usersOf(w)) byUser.set(u, [...(byUser.get(u) ?? []), w])
  return byUser
}

/** The keys reached from `start`, walking from user to user (written out here). */
const groupFrom = (start: Write, byUser: ReadonlyMap<string, Write[]>): Set<string> => {
  const group = new Set([start.batch.key])
  const toVisit = usersOf(start)
  const visited = new Set<string>()
  for (let user = toVisit.pop(); user !== undefined; user = toVisit.pop()) {
    if (visited.has(user)) continue
    visited.add(user)
    for (const w of byUser.get(user) ?? []) {
      group.add(w.batch.key)
      toVisit.push(...usersOf(w))
    }
  }
  return group
}

/** Each key's group of keys linked through shared users. */
const linkedKeys = (writes: ReadonlyArray<Write>): Map<string, Set<string>> => {
  const byUser = writesByUser(writes)
  const groups = new Map<string, Set<string>>()
  for (const start of writes) {
    if (groups.has(start.batch.key)) continue
    const group = groupFrom(start, byUser)
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

const groupsOver = (writes: ReadonlyArray<Write>, limit: number) =>
  [...new Set(linkedKeys(writes).values())].filter((g) => itemCountOf(g, writes) > limit)

describe('packing writes by clusters, for transactions that commit at once', () => {
  it('keeps every write once, in transactions of at most the item limit', () => {
    fc.assert(
      fc.property(batchArb, ([writes, limit]) => {
        const transactions = packByClusters(writes, limit)
        const keys = transactions.flat().map((w) => w.batch.key)
        expect([...keys].sort()).toEqual(writes.map((w) => w.batch.key).sort())
        for (const transaction of transactions) {
          expect(transaction.length).toBeGreaterThan(0)
          expect(itemsOf(transaction)).toBeLessThanOrEqual(limit)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('puts a linked group of writes that fits the limit in one transaction', () => {
    let split = 0
    fc.assert(
      fc.property(batchArb, ([writes, limit]) => {
        const groups = linkedKeys(writes)
        const transactions = packByClusters(writes, limit)
        const home = new Map(transactions.flatMap((t, at) => t.map((w) => [w.batch.key, at])))
        if (groupsOver(writes, limit).length > 0) split += 1
        for (const group of new Set(groups.values())) {
          if (itemCountOf(group, writes) > limit) continue
          expect(new Set([...group].map((key) => home.get(key))).size).toBe(1)
        }
      }),
      { numRuns: 300 },
    )
    // The runs reach both kinds of group: some with one over the limit, some without.
    expect(split).toBeGreaterThan(30)
    expect(split).toBeLessThan(270)
  })

  it('lets two transactions share a Scores item only when both hold parts of one group over the limit', () => {
    let sharing = 0
    fc.assert(
      fc.property(batchArb, ([writes, limit]) => {
        const groups = linkedKeys(writes)
        const transactions = packByClusters(writes, limit)
        const pairs = transactions.flatMap((a, i) => transactions.slice(i + 1).map((b) => [a, b]))
        for (const [a = [], b = []] of pairs) {
          const user = sharedUser(a, b)
          if (user === undefined) continue
          sharing += 1
          const owner = a.find((w) => usersOf(w).includes(user))
          const group = groups.get(owner?.batch.key ?? '') ?? new Set<string>()
          expect(itemCountOf(group, writes)).toBeGreaterThan(limit)
        }
      }),
      { numRuns: 300 },
    )
    expect(sharing).toBeGreaterThan(30)
  })
})
