import type { DynamoDBRecord } from 'aws-lambda'
import fc from 'fast-check'
import { emptyTables, memoryTotals, totalsIn } from '../src/runtime/memoryStore'
import { aggregateOfItem, partialItemOf } from '../src/runtime/partials'
import { aggregateItemKey } from '../src/runtime/plan'
import {
  appliedAttributeOf,
  applyRun,
  isAppliedAttribute,
  type PartialChange,
  type PartialImage,
  runsOf,
  TOTALS_REVISION,
  type TotalsStore,
} from '../src/runtime/totals'
import { makeTotalsHandler } from '../src/runtime/totalsStage'
import { winnerView } from '../src/views/winner'

/**
 * A history of additions to partial sums, as the view's transactions make them: each
 * change adds some numbers to one writer's partial of one aggregate item.
 */
const ITEMS = ['ann', 'bob', 'cleo'].map((userId) =>
  aggregateItemKey({ table: 'scores', key: { userId, role: 'creator' } }),
)
const WRITERS = ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']

const additionArb = fc.record({
  item: fc.constantFrom(...ITEMS),
  writer: fc.constantFrom(...WRITERS),
  score: fc.integer({ min: -5, max: 20 }),
  products: fc.integer({ min: 0, max: 2 }),
  /** A transaction merges several keys' deltas: the version moves by as many. */
  versions: fc.integer({ min: 1, max: 3 }),
})
type Addition = typeof additionArb extends fc.Arbitrary<infer A> ? A : never

/** The partials' stream for a history: every change with its images before and after. */
const streamOf = (additions: ReadonlyArray<Addition>): PartialChange[] => {
  const partials = new Map<string, PartialImage>()
  return additions.map((addition, at) => {
    const id = `${addition.item}|${addition.writer}`
    const before = partials.get(id)
    const after: PartialImage = {
      aggregate: addition.item,
      version: (before?.version ?? 0) + addition.versions,
      sums: {
        score: (before?.sums.score ?? 0) + addition.score,
        products: (before?.sums.products ?? 0) + addition.products,
      },
      set: { leaderboardKey: 'creator#0' },
    }
    partials.set(id, after)
    return {
      sequenceNumber: String(at + 1).padStart(21, '0'),
      item: partialItemOf(addition.item),
      writer: addition.writer,
      ...(before === undefined ? {} : { before }),
      after,
    }
  })
}

/** What the totals must hold: per aggregate item, every addition of every writer, once. */
const oracleTotals = (additions: ReadonlyArray<Addition>) => {
  const totals = new Map<string, { score: number; products: number }>()
  for (const { item, score, products } of additions) {
    const total = totals.get(item) ?? { score: 0, products: 0 }
    totals.set(item, { score: total.score + score, products: total.products + products })
  }
  return Object.fromEntries(totals)
}

/**
 * An event source mapping's deliveries of a stream: batches in order, a failed or lost
 * batch delivered again from an earlier record (never from a later one).
 */
const deliveriesArb = () =>
  fc.array(
    fc.record({ size: fc.integer({ min: 1, max: 7 }), backBy: fc.integer({ min: 0, max: 6 }) }),
    { minLength: 1, maxLength: 40 },
  )
const deliver = (length: number, plan: ReadonlyArray<{ size: number; backBy: number }>) => {
  const batches: Array<[number, number]> = []
  let at = 0
  for (let step = 0; at < length; step += 1) {
    const { size, backBy } = plan[step % plan.length] ?? { size: 1, backBy: 0 }
    const from = Math.max(0, at - backBy)
    const to = Math.min(length, Math.max(from + size, at + 1))
    batches.push([from, to])
    at = to
  }
  return batches
}

/**
 * Tables holding the partials as the view's transactions left them at the end of the
 * history (what a resync reads), and no totals yet.
 */
const tablesWithPartials = (changes: ReadonlyArray<PartialChange>) => {
  const tables = emptyTables()
  const partials = new Map<string, Record<string, string | number>>()
  for (const { item, writer, after } of changes)
    if (after !== undefined)
      partials.set(`${item}|${writer}`, {
        item,
        writer,
        aggregate: after.aggregate,
        version: after.version,
        ...after.sums,
        ...after.set,
      })
  tables.aggregates.set('partials', partials)
  return tables
}

/** The memory totals, each call yielding first so that concurrent deliveries interleave. */
const interleaved = (tables: ReturnType<typeof emptyTables>): TotalsStore => {
  const store = memoryTotals(tables)
  return {
    update: async (u) => {
      await Promise.resolve()
      return store.update(u)
    },
    resync: async (aggregate) => {
      await Promise.resolve()
      return store.resync(aggregate)
    },
  }
}

const totalsAfter = async (
  changes: ReadonlyArray<PartialChange>,
  batches: ReadonlyArray<[number, number]>,
) => {
  const tables = tablesWithPartials(changes)
  const store = memoryTotals(tables)
  for (const [from, to] of batches)
    for (const run of runsOf(changes.slice(from, to))) await applyRun(store, run)
  return tables
}

/** Per writer of an aggregate item, the last version of its partial the stream shows. */
const lastVersions = (changes: ReadonlyArray<PartialChange>, aggregate: string) =>
  Object.fromEntries(
    changes
      .filter((c) => c.after?.aggregate === aggregate)
      .map((c) => [appliedAttributeOf(c.writer), c.after?.version]),
  )

const viewOf = (tables: ReturnType<typeof emptyTables>) =>
  Object.fromEntries(
    [...(totalsIn(tables).get('scores') ?? new Map())].map(([id, item]) => [
      id,
      { score: item.score, products: item.products },
    ]),
  )

/** A stream record of a change, in DynamoDB's typed JSON, as Lambda hands it over. */
const streamRecordOf = (change: PartialChange): DynamoDBRecord => {
  const typed = (image: PartialImage) => ({
    item: { S: change.item },
    writer: { S: change.writer },
    aggregate: { S: image.aggregate },
    version: { N: String(image.version) },
    ...Object.fromEntries(Object.entries(image.sums).map(([n, v]) => [n, { N: String(v) }])),
    ...Object.fromEntries(Object.entries(image.set).map(([n, v]) => [n, { S: v }])),
  })
  return {
    dynamodb: {
      SequenceNumber: change.sequenceNumber,
      Keys: { item: { S: change.item }, writer: { S: change.writer } },
      ...(change.before === undefined ? {} : { OldImage: typed(change.before) }),
      ...(change.after === undefined ? {} : { NewImage: typed(change.after) }),
    } as DynamoDBRecord['dynamodb'],
  }
}

describe('the totals stage', () => {
  it('sums every change of every writer exactly once, whatever the batches and the deliveries again', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(additionArb, { minLength: 1, maxLength: 40 }),
        deliveriesArb(),
        async (additions, plan) => {
          const changes = streamOf(additions)
          const tables = await totalsAfter(changes, deliver(changes.length, plan))
          expect(viewOf(tables)).toEqual(oracleTotals(additions))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('ends exact when changes were lost (a trimmed stream) but a later one of the same partial comes, by resyncing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(additionArb, { minLength: 2, maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        async (additions, lost) => {
          const changes = streamOf(additions)
          // A change lost for good is seen only once a later change of its partial comes.
          const isLast = (at: number) =>
            !changes.some(
              (c, later) =>
                later > at && c.item === changes[at]?.item && c.writer === changes[at]?.writer,
            )
          const delivered = changes.filter((_, at) => lost[at] !== true || isLast(at))
          const tables = await totalsAfter(delivered, [[0, delivered.length]])
          expect(viewOf(tables)).toEqual(oracleTotals(additions))
        },
      ),
      { numRuns: 200 },
    )
  })

  it('notes in each totals item the last version of each writer’s partial it includes, and nothing else of its own', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(additionArb, { minLength: 1, maxLength: 30 }),
        async (additions) => {
          const changes = streamOf(additions)
          const tables = await totalsAfter(changes, [[0, changes.length]])
          for (const [id, item] of tables.aggregates.get('scores') ?? new Map()) {
            const noted = Object.fromEntries(
              Object.entries(item).filter(
                ([name]) => isAppliedAttribute(name) && name !== TOTALS_REVISION,
              ),
            )
            expect(noted).toEqual(lastVersions(changes, id))
            expect(aggregateOfItem(id).key).toEqual({ userId: item.userId, role: item.role })
          }
        },
      ),
      { numRuns: 100 },
    )
  })

  it('stays exact when two invocations deliver batches from the same record at once, one longer than the other', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(additionArb, { minLength: 2, maxLength: 30 }),
        fc.integer({ min: 1, max: 30 }),
        async (additions, cut) => {
          const changes = streamOf(additions)
          const tables = tablesWithPartials(changes)
          const store = interleaved(tables)
          const applyAll = (slice: ReadonlyArray<PartialChange>) =>
            Promise.all(runsOf(slice).map((run) => applyRun(store, run)))
          await Promise.all([applyAll(changes.slice(0, cut)), applyAll(changes)])
          expect(viewOf(tables)).toEqual(oracleTotals(additions))
        },
      ),
      { numRuns: 200 },
    )
  })

  it('ends exact through its handler when updates fail at random and each batch comes again from the record it reports', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(additionArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }),
        fc.integer({ min: 1, max: 9 }),
        async (additions, failures, batchSize) => {
          const records = streamOf(additions).map(streamRecordOf)
          const tables = tablesWithPartials(streamOf(additions))
          const store = memoryTotals(tables)
          let calls = 0
          const failing: TotalsStore = {
            update: async (u) => {
              calls += 1
              if (failures[calls % failures.length] === true) throw new Error('throttled')
              return store.update(u)
            },
            resync: store.resync,
          }
          const handler = makeTotalsHandler(winnerView, failing, () => {})
          for (let at = 0, rounds = 0; at < records.length && rounds < 1_000; rounds += 1) {
            const batch = records.slice(at, at + batchSize)
            const [failed] = (await handler({ Records: batch })).batchItemFailures
            at +=
              failed === undefined
                ? batch.length
                : batch.findIndex((r) => r.dynamodb?.SequenceNumber === failed.itemIdentifier)
          }
          expect(viewOf(tables)).toEqual(oracleTotals(additions))
        },
      ),
      { numRuns: 200 },
    )
  })
})
