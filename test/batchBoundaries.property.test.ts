import fc from 'fast-check'
import { makeViewHandler } from '../src/runtime/handler'
import { memoryStore, totalsIn } from '../src/runtime/memoryStore'
import type { AnyView } from '../src/runtime/view'
import { categorySalesView } from '../src/views/categorySales'
import { winnerView } from '../src/views/winner'
import {
  createData,
  creatorOrigin,
  imageData,
  ingress,
  kinesisRecord,
  photographerOrigin,
  purchaseData,
  sequenceNumber,
} from './support/fixtures'
import { batchesOf } from './support/stream'

// A view's tables depend on its log, never on how Lambda cut the log into batches: every
// limit a table imposes is checked where a record is decoded, not when a write is refused.
// The memory store refuses a key over 2,048 bytes, as DynamoDB does.

const SHARD = 'shardId-000000000003'
const PRODUCTS = ['p1', 'p2', 'p3']

/** Categories at and past what a CategorySales key (`#` and the category) can hold. */
const categoryArb = fc.constantFrom(
  'Shoes',
  '',
  'x'.repeat(2047),
  'x'.repeat(2048),
  'x'.repeat(3000),
  `${'é'.repeat(1023)}a`,
  'é'.repeat(1024),
)

const payloadArb = fc.oneof(
  fc
    .tuple(fc.constantFrom(...PRODUCTS), categoryArb, fc.constantFrom('ann', 'cy'))
    .map(([id, category, user]) => ingress(creatorOrigin(user), createData(id, { category }))),
  fc
    .tuple(fc.constantFrom(...PRODUCTS), fc.constantFrom('bob', 'dee'))
    .map(([id, user]) => ingress(photographerOrigin(user), imageData(id))),
  fc.constantFrom(...PRODUCTS).map((id) => ingress(creatorOrigin('buyer'), purchaseData(id))),
)

const logArb = fc
  .array(payloadArb, { minLength: 1, maxLength: 30 })
  .map((payloads) =>
    payloads.map((payload, at) =>
      kinesisRecord(payload, { shardId: SHARD, sequenceNumber: sequenceNumber(at + 1) }),
    ),
  )

/** What a view's tables hold after its handler took the log in batches of `size`. */
const tablesAfter = async (
  view: AnyView,
  log: ReturnType<typeof kinesisRecord>[],
  size: number,
) => {
  const store = memoryStore(view)
  const handler = makeViewHandler(view, { store, log: () => {} })
  for (const batch of batchesOf(log, size)) {
    expect(await handler(batch)).toEqual({ batchItemFailures: [] })
  }
  const { states, rejected } = store.tables
  return {
    states: Object.fromEntries(states),
    aggregates: Object.fromEntries(
      [...totalsIn(store.tables)].map(([t, items]) => [t, Object.fromEntries(items)]),
    ),
    rejected: Object.fromEntries(rejected),
  }
}

describe.each([winnerView, categorySalesView])('the $name view', (view) => {
  it('keeps the same tables and the same Rejected whatever the size of the batches', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, fc.integer({ min: 1, max: 7 }), async (log, size) => {
        const whole = await tablesAfter(view, log, log.length)
        expect(await tablesAfter(view, log, size)).toEqual(whole)
      }),
      { numRuns: 300 },
    )
  })
})

describe('the category sales view', () => {
  it('rejects a create whose category its CategorySales key cannot hold, and folds the product’s sales', async () => {
    const long = 'é'.repeat(1024)
    const log = [
      ingress(creatorOrigin('ann'), createData('p1', { category: long })),
      ingress(creatorOrigin('buyer'), purchaseData('p1')),
    ].map((payload, at) =>
      kinesisRecord(payload, { shardId: SHARD, sequenceNumber: sequenceNumber(at + 1) }),
    )
    const tables = await tablesAfter(categorySalesView, log, 1)
    expect(tables.rejected[`${SHARD}:${sequenceNumber(1)}`]?.reason).toBe(
      'data.category: expected at most 2,047 bytes (a CategorySales key), got 2,048 bytes',
    )
    expect(tables.states.p1).toMatchObject({ category: undefined, unitsSold: 1 })
    expect(tables.aggregates).toEqual({})
  })
})
