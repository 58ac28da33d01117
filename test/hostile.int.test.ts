import type { KinesisStreamRecord } from 'aws-lambda'
import fc from 'fast-check'
import { makeViewHandler } from '../src/runtime/handler'
import { winnerView } from '../src/views/winner'
import { freshTables, quickRetry, readSettled, storeFor, testClient } from './support/dynamo'
import { egress, ingress, kinesisRecord, sequenceNumber } from './support/fixtures'
import { tablesOf } from './support/normalize'
import { oracleRecordsOfKinesis, oracleTables } from './support/oracle'

// Liveness as a property, on DynamoDB Local: whatever a hostile producer writes, while
// DynamoDB answers, a batch's second delivery reports nothing unfinished, every record
// is folded, skipped or in Rejected with its bytes intact, and the tables are what the
// independent oracle folds from the valid events.

jest.setTimeout(240_000)

const client = testClient()
afterAll(() => client.destroy())

const SHARD = 'shardId-000000000005'
const PRODUCTS = ['p1', 'p2', 'p3', '4579874']
const USERS = ['hello-retail/web-client-create-product/a/ann', 'product-photos/P/+1/bob', 'u']

/** A record before it has a position: its payload (JSON or bytes) and its partition key. */
interface Draft {
  readonly payload: Record<string, unknown> | Uint8Array | string
  readonly partitionKey: string
}

const productData = fc.oneof(
  fc.record({
    schema: fc.constant('com.nordstrom/product/create/1-0-0'),
    id: fc.constantFrom(...PRODUCTS),
    brand: fc.string({ maxLength: 8 }),
    name: fc.string({ maxLength: 8 }),
    description: fc.string({ maxLength: 8 }),
    category: fc.constantFrom('Shoes', '', 'Bags'),
  }),
  fc.record({
    schema: fc.constant('com.nordstrom/product/image/1-0-0'),
    id: fc.constantFrom(...PRODUCTS),
    image: fc.constantFrom('erik.hello-retail.biz/i/p/1', 'https://x.biz/2.jpg', ''),
  }),
  fc.record({
    schema: fc.constant('com.nordstrom/product/purchase/1-0-0'),
    id: fc.constantFrom(...PRODUCTS),
  }),
  fc.record({ schema: fc.constant('com.nordstrom/user-info/login/1-0-0'), id: fc.string() }),
)

/** Valid events, ingress or egress; an egress one names an ingress record, sometimes again. */
const validDraft: fc.Arbitrary<Draft> = fc
  .tuple(productData, fc.constantFrom(...USERS), fc.boolean(), fc.integer({ min: 1, max: 6 }))
  .map(([data, user, isEgress, ingressAt]) => ({
    payload: isEgress
      ? { ...egress(user, data), eventId: `shardId-000000000001:${sequenceNumber(ingressAt)}` }
      : ingress(user, data),
    partitionKey: String(data.id),
  }))

const bigText = fc.integer({ min: 5_000, max: 250_000 }).map((n) => 'k'.repeat(n))
const loneSurrogate = fc.constantFrom('a\ud800', '\udc00', 'p1\udfff')

/** What a hostile producer writes. */
const hostileDraft: fc.Arbitrary<Draft> = fc.oneof(
  fc
    .string({ unit: 'binary', maxLength: 60 })
    .map((text) => ({ payload: text, partitionKey: 'x' })),
  fc.jsonValue().map((value) => ({ payload: JSON.stringify(value), partitionKey: 'json' })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ payload: bytes, partitionKey: 'bytes' })),
  fc.tuple(productData, loneSurrogate).map(([data, id]) => ({
    payload: ingress('u', { ...data, id }),
    partitionKey: id,
  })),
  fc.tuple(productData, loneSurrogate).map(([data, user]) => ({
    payload: ingress(user, data),
    partitionKey: String(data.id),
  })),
  fc.tuple(productData, bigText).map(([data, key]) => ({
    payload: { ...ingress('u', data), [key]: 1 },
    partitionKey: String(data.id),
  })),
  fc.tuple(productData, bigText).map(([data, brand]) => ({
    payload: ingress('u', { ...data, brand }),
    partitionKey: String(data.id),
  })),
  fc.integer({ min: 100, max: 3_000 }).map((depth) => ({
    payload: `${'['.repeat(depth)}${']'.repeat(depth)}`,
    partitionKey: 'deep',
  })),
  fc.tuple(productData, fc.constantFrom('other', 'p9', '')).map(([data, key]) => ({
    payload: ingress('u', data),
    partitionKey: key,
  })),
  fc.constant({ payload: ingress('u', { schema: 'x', id: 'p'.repeat(257) }), partitionKey: 'p' }),
  // a producer's upgrade: a product event at a version the view cannot read
  fc.tuple(productData, fc.constantFrom('2-0-0', '1-0-1', '', '1-0-0 ')).map(([data, version]) => ({
    payload: ingress('u', { ...data, schema: String(data.schema).replace(/1-0-0$/, version) }),
    partitionKey: String(data.id),
  })),
)

/** Now and then a record near Kinesis's 1 MB limit (Lambda delivers up to 6 MB a batch). */
const nearLimit: fc.Arbitrary<Draft> = fc
  .integer({ min: 700_000, max: 1_000_000 })
  .map((size) => ({ payload: new Uint8Array(size).fill(0xc3), partitionKey: 'huge' }))

const batchArb = fc.array(
  fc.oneof(
    { arbitrary: validDraft, weight: 6 },
    { arbitrary: hostileDraft, weight: 4 },
    { arbitrary: nearLimit, weight: 1 },
  ),
  { minLength: 1, maxLength: 30 },
)

const recordsOf = (drafts: ReadonlyArray<Draft>): KinesisStreamRecord[] =>
  drafts.map(({ payload, partitionKey }, at) =>
    kinesisRecord(payload, {
      shardId: SHARD,
      sequenceNumber: sequenceNumber(at + 1),
      partitionKey,
    }),
  )

describe('liveness under hostile input', () => {
  it('finishes every record within two deliveries and keeps the tables equal to the oracle', async () => {
    await fc.assert(
      fc.asyncProperty(batchArb, async (drafts) => {
        const names = await freshTables()
        const handler = makeViewHandler(winnerView, {
          store: storeFor(client, names),
          retry: quickRetry,
          log: () => {},
        })
        const records = recordsOf(drafts)
        await handler({ Records: records })
        expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] })
        const view = await readSettled(client, names)
        expect(tablesOf(view)).toEqual(oracleTables(oracleRecordsOfKinesis(records)))
        const sent = new Map(records.map((r) => [r.eventID, r.kinesis.data]))
        for (const kept of view.rejected) expect(kept.data).toBe(sent.get(kept.eventId))
      }),
      { numRuns: 40 },
    )
  })
})
