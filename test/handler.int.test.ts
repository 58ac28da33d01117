import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda'
import type { TableNames } from '../src/adapters/tables'
import { initial, type ProductState } from '../src/domain/product'
import { LOCAL_AWS } from '../src/local/dynamodbLocal'
import { leaderboard, scanAll } from '../src/local/viewReader'
import { generateWorkload } from '../src/local/workload'
import { makeDynamoClient } from '../src/runtime/dynamoStore'
import { type BatchSummary, makeViewHandler } from '../src/runtime/handler'
import type { Store } from '../src/runtime/store'
import { winnerView } from '../src/views/winner'
import {
  dynamoEndpoint,
  freshTables,
  quickRetry,
  readSettled,
  settleTotals,
  storeFor,
  testClient,
} from './support/dynamo'
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
import { tablesOf } from './support/normalize'
import { oracleRecordsOfKinesis, oracleTables, oracleView } from './support/oracle'
import { batchesOf, shardName, toShards } from './support/stream'

jest.setTimeout(60_000)

const client = testClient()
afterAll(() => client.destroy())

const handlerFor = (store: Store<ProductState>, summaries: BatchSummary[] = []) =>
  makeViewHandler(winnerView, {
    store,
    retry: quickRetry,
    log: (summary) => summaries.push(summary),
  })

const alice = creatorOrigin('alice')
const bob = photographerOrigin('bob')

/** The tables as stored, in the oracle's terms. */
const stored = async (names: TableNames) => tablesOf(await readSettled(client, names))

/** The tables the oracle predicts for these records, delivered in this order. */
const expectedOf = (records: ReadonlyArray<KinesisStreamRecord>) =>
  oracleTables(oracleRecordsOfKinesis(records))

/** Record `n` of shard 5, an ingress envelope written at second `n`. */
const story = (n: number, origin: string, data: Record<string, unknown>) =>
  kinesisRecord(ingress(origin, data, `2026-11-26T10:00:0${n}.000Z`), {
    shardId: shardName(5),
    sequenceNumber: sequenceNumber(n),
  })

const deliverAll = async (
  handler: ReturnType<typeof handlerFor>,
  batches: KinesisStreamEvent[],
) => {
  for (const batch of batches) expect(await handler(batch)).toEqual({ batchItemFailures: [] })
}

describe('the handler on DynamoDB Local', () => {
  const workload = generateWorkload({ events: 1200, seed: 7, edgeCases: true })
  const shards = toShards(workload, 2)

  it('leaves the tables equal, item by item, to what the oracle predicts for a realistic log', async () => {
    const names = await freshTables()
    const summaries: BatchSummary[] = []
    const handler = handlerFor(storeFor(client, names), summaries)
    for (const shard of shards) await deliverAll(handler, batchesOf(shard, 50))
    const { skipped, ...expected } = oracleView(oracleRecordsOfKinesis(shards.flat()))
    expect(expected.contributions.length).toBeGreaterThan(50)
    expect(expected.rejected).toBeGreaterThan(0)
    expect(await stored(names)).toEqual(expected)
    expect(summaries.reduce((n, s) => n + s.rejected, 0)).toBe(expected.rejected)
    expect(summaries.reduce((n, s) => n + s.skipped, 0)).toBe(skipped)
  })

  it.each([
    ['absent', 0],
    ['already stored', 1],
  ])(
    're-folds when another writer commits a product %s at our read between the read and the write',
    async (_, storedFirst) => {
      const names = await freshTables()
      const store = storeFor(client, names)
      const shard = shardName(0)
      const record = (payload: Record<string, unknown>, n: number) =>
        kinesisRecord(payload, { shardId: shard, sequenceNumber: sequenceNumber(n) })
      const records = [
        record(ingress(alice, createData('p1')), 1),
        record(ingress(bob, imageData('p1')), 2),
        record(ingress('buyer', purchaseData('p1')), 3),
        record(ingress('buyer', purchaseData('p1')), 4),
      ]
      await handlerFor(store)({ Records: records.slice(0, storedFirst) })
      let raced = false
      const racing: Store<ProductState> = {
        ...store,
        readStates: async (ids) => {
          const seen = await store.readStates(ids)
          if (!raced) {
            raced = true
            // The other invocation folds the first three records after our read.
            await handlerFor(store)({ Records: records.slice(0, 3) })
          }
          return seen
        },
      }
      const summaries: BatchSummary[] = []
      expect(await handlerFor(racing, summaries)({ Records: records })).toEqual({
        batchItemFailures: [],
      })
      expect(summaries[0]?.retries).toBeGreaterThan(0)
      expect(await stored(names)).toEqual(expectedOf(records))
    },
  )

  it('folds a real-shaped product: empty catalog fields and an image without a scheme', async () => {
    const names = await freshTables()
    const shard = shardName(2)
    const at = (n: number) => ({ shardId: shard, sequenceNumber: sequenceNumber(n) })
    const records = [
      kinesisRecord(
        ingress(
          alice,
          createData('4579874', { brand: '', name: '', description: '', category: '' }),
        ),
        at(1),
      ),
      kinesisRecord(ingress(bob, imageData('4579874'), '2026-11-26T10:00:01.000Z'), at(2)),
      kinesisRecord(ingress('buyer', purchaseData('4579874'), '2026-11-26T10:00:02.000Z'), at(3)),
    ]
    expect(await handlerFor(storeFor(client, names))({ Records: records })).toEqual({
      batchItemFailures: [],
    })
    expect(await readSettled(client, names)).toEqual({
      contributions: [
        {
          productId: '4579874',
          creator: alice,
          photographer: bob,
          brand: '',
          name: '',
          category: '',
          purchases: 1,
          creatorScore: 1,
          photographerScore: 1,
          lastSequenceNumber: sequenceNumber(3),
          lastEventId: `${shard}:${sequenceNumber(3)}`,
          created: '2026-11-26T10:00:00.000Z',
          updated: '2026-11-26T10:00:02.000Z',
        },
      ],
      scores: [
        { userId: alice, role: 'creator', score: 1, products: 1 },
        { userId: bob, role: 'photographer', score: 1, products: 1 },
      ],
      rejected: [],
    })
  })

  it('keeps each bad record in Rejected with a reason naming the field, and folds the rest', async () => {
    const names = await freshTables()
    const shard = shardName(3)
    const good = ingress(alice, createData('p9'))
    const bad: Array<
      [
        string,
        KinesisStreamRecord['kinesis']['data'] | Record<string, unknown> | Uint8Array,
        RegExp,
      ]
    > = [
      ['not base64', '', /^data: not base64$/],
      ['not JSON', 'not json {', /^data: not JSON/],
      ['not UTF-8', new Uint8Array([0xff, 0xfe, 0x7b]), /^data: not UTF-8 text$/],
      [
        'wrong field type',
        ingress('u', { ...purchaseData('p9'), id: 7 }),
        /^data\.id: expected a non-empty string/,
      ],
      ['extra envelope field', { ...good, extra: 1 }, /^extra: unexpected property$/],
      [
        'missing id',
        ingress('u', { schema: purchaseData('x').schema }),
        /^data\.id: .*got nothing$/,
      ],
      [
        '3,000-byte origin',
        ingress('o'.repeat(3000), purchaseData('p9')),
        /^origin: .*at most 2,048 bytes, got 3,000 bytes$/,
      ],
      [
        '__proto__ key',
        '{"__proto__":{"admin":true},"schema":"com.nordstrom/retail-stream-ingress/1-0-0"}',
        /^__proto__: unexpected property$/,
      ],
    ]
    const records = [
      kinesisRecord(good, { shardId: shard, sequenceNumber: sequenceNumber(1) }),
      ...bad.map(([, payload], at) =>
        kinesisRecord(payload, {
          shardId: shard,
          sequenceNumber: sequenceNumber(2 + at),
          partitionKey: 'p9',
        }),
      ),
      kinesisRecord(ingress('buyer', purchaseData('p9')), {
        shardId: shard,
        sequenceNumber: sequenceNumber(20),
      }),
    ]
    const notBase64 = records[1]
    if (notBase64) notBase64.kinesis.data = '%%% not base64 %%%'
    expect(await handlerFor(storeFor(client, names))({ Records: records })).toEqual({
      batchItemFailures: [],
    })
    const view = await readSettled(client, names)
    expect(view.contributions).toEqual([
      expect.objectContaining({ productId: 'p9', purchases: 1, creatorScore: 1 }),
    ])
    expect(view.rejected).toHaveLength(bad.length)
    for (const [at, [what, , reason]] of bad.entries()) {
      const record = records[1 + at]
      const kept = view.rejected.find((item) => item.eventId === record?.eventID)
      expect({ what, reason: kept?.reason }).toEqual({
        what,
        reason: expect.stringMatching(reason),
      })
      expect(kept).toMatchObject({ data: record?.kinesis.data, shardId: shard, partitionKey: 'p9' })
    }
  })

  it('rejects a product that DynamoDB refuses for good, commits the others, and goes on', async () => {
    const names = await freshTables()
    const base = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamoEndpoint() })
    // Makes the Put of product "refused" invalid for DynamoDB itself: an empty index key.
    base.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as {
          TransactItems?: Array<{
            Put?: {
              Item?: Record<string, unknown>
            }
          }>
        }
        for (const item of input.TransactItems ?? []) {
          if (item.Put?.Item?.productId === 'refused') {
            item.Put.Item = { ...item.Put.Item, creator: '' }
          }
        }
        return next(args)
      },
      { step: 'initialize', name: 'refuseOneProduct' },
    )
    const doc = DynamoDBDocumentClient.from(base, {
      marshallOptions: { removeUndefinedValues: true },
    })
    const shard = shardName(0)
    const records = ['ok-1', 'refused', 'ok-2'].map((id, at) =>
      kinesisRecord(ingress(alice, createData(id)), {
        shardId: shard,
        sequenceNumber: sequenceNumber(at),
      }),
    )
    expect(await handlerFor(storeFor(doc, names))({ Records: records })).toEqual({
      batchItemFailures: [],
    })
    const view = await readSettled(client, names)
    expect(view.contributions.map((item) => item.productId)).toEqual(['ok-1', 'ok-2'])
    expect(view.rejected).toEqual([
      expect.objectContaining({
        eventId: records[1]?.eventID,
        reason: expect.stringMatching(/^commit: ValidationException/),
      }),
    ])
    expect(view.scores).toEqual([{ userId: alice, role: 'creator', score: 0, products: 2 }])
    base.destroy()
  })

  it('lets the SDK retry a single failed call, and commits the batch without reporting a failure', async () => {
    const names = await freshTables()
    const base = makeDynamoClient({ ...LOCAL_AWS, endpoint: dynamoEndpoint() })
    let calls = 0
    // Below the SDK's retry middleware: the SDK, not the view, retries a failed call.
    base.middlewareStack.add(
      (next) => async (args) => {
        calls += 1
        if (calls === 2)
          throw Object.assign(new Error('injected blip'), {
            name: 'ServiceUnavailable',
            $fault: 'server',
            $metadata: { httpStatusCode: 503 },
          })
        return next(args)
      },
      { step: 'finalizeRequest', priority: 'low', name: 'blip' },
    )
    const doc = DynamoDBDocumentClient.from(base, {
      marshallOptions: { removeUndefinedValues: true },
    })
    const shard = shards[1] ?? []
    await deliverAll(handlerFor(storeFor(doc, names)), batchesOf(shard, 100))
    expect(calls).toBeGreaterThan(2)
    expect(await stored(names)).toEqual(expectedOf(shard))
    base.destroy()
  })
})

describe('the leaderboard over its index partitions', () => {
  it('files every Scores item under role#k, uses many partitions, and reads the top of a role as the oracle ranks it', async () => {
    const names = await freshTables()
    const [shard = []] = toShards(generateWorkload({ events: 1500, seed: 9 }), 1)
    await deliverAll(handlerFor(storeFor(client, names)), batchesOf(shard, 100))
    await settleTotals(client, winnerView, names)
    const raw = await scanAll(client, names.scores)
    const partitions = new Set(raw.map((item) => String(item.leaderboardKey)))
    expect(
      raw.every(
        (item) =>
          item.leaderboardKey === `${item.role}#${String(item.leaderboardKey).split('#')[1]}`,
      ),
    ).toBe(true)
    expect([...partitions].every((key) => /^(creator|photographer)#[0-7]$/.test(key))).toBe(true)
    expect(partitions.size).toBeGreaterThan(8)
    for (const role of ['creator', 'photographer'] as const) {
      const ranked = expectedOf(shard)
        .scores.filter((s) => s.role === role)
        .map(({ userId, score, products }) => ({ userId, score, products }))
        .sort(
          (a, b) =>
            Number(b.score) - Number(a.score) ||
            String(a.userId).localeCompare(String(b.userId), 'en'),
        )
      expect(await leaderboard(client, names, role, 7)).toEqual(ranked.slice(0, 7))
    }
  })
})

/** The ClientRequestToken a request carries in its JSON body. */
const tokenOf = (request: unknown): string => {
  const sent = (request as { body?: string | Uint8Array }).body ?? ''
  const body = typeof sent === 'string' ? sent : Buffer.from(sent).toString('utf8')
  return String(JSON.parse(body).ClientRequestToken)
}

describe('the DynamoDB store', () => {
  it('commits once when the answer to a transaction is lost and the SDK sends it again', async () => {
    const names = await freshTables()
    const base = makeDynamoClient({ ...LOCAL_AWS, endpoint: dynamoEndpoint() })
    const tokens: string[] = []
    let lost = 0
    // Below the SDK's retries: DynamoDB does the transaction, then its answer is lost.
    base.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args)
        if (context.commandName !== 'TransactWriteItemsCommand') return result
        tokens.push(tokenOf(args.request))
        if (lost > 0) return result
        lost += 1
        throw Object.assign(new Error('connection reset after the request'), {
          name: 'ServiceUnavailable',
          $fault: 'server',
          $metadata: { httpStatusCode: 503 },
        })
      },
      { step: 'finalizeRequest', priority: 'low', name: 'lostAnswer' },
    )
    const doc = DynamoDBDocumentClient.from(base, {
      marshallOptions: { removeUndefinedValues: true },
    })
    const store = storeFor(doc, names)
    const write = {
      key: 'p1',
      state: { ...initial('p1'), creator: alice, lastSequenceNumber: sequenceNumber(1) },
      expectedPosition: undefined,
      deltas: winnerView.deltas(initial('p1'), { ...initial('p1'), creator: alice }),
    }
    expect(await store.writeStates([write])).toEqual({ kind: 'committed' })
    // The same token twice: DynamoDB answered the repeat as done, without a failed condition.
    expect(tokens).toHaveLength(2)
    expect(tokens[1]).toBe(tokens[0])
    expect((await readSettled(client, names)).scores).toEqual([
      { userId: alice, role: 'creator', score: 0, products: 1 },
    ])
    base.destroy()
  })
})

describe('the handler, given the story of one product', () => {
  it('credits both roles for each of two sales of a created and photographed product, and a second delivery changes nothing', async () => {
    const names = await freshTables()
    const records = [
      story(1, alice, createData('p-story')),
      story(2, bob, imageData('p-story')),
      story(3, 'buyer-1', purchaseData('p-story')),
      story(4, 'buyer-2', purchaseData('p-story')),
    ]
    await deliverAll(handlerFor(storeFor(client, names)), [
      { Records: records },
      { Records: records },
    ])
    expect(await readSettled(client, names)).toEqual({
      contributions: [
        {
          productId: 'p-story',
          creator: alice,
          photographer: bob,
          brand: 'Nordstrom',
          name: 'Product p-story',
          category: 'Shoes',
          purchases: 2,
          creatorScore: 2,
          photographerScore: 2,
          lastSequenceNumber: sequenceNumber(4),
          lastEventId: `${shardName(5)}:${sequenceNumber(4)}`,
          created: '2026-11-26T10:00:01.000Z',
          updated: '2026-11-26T10:00:04.000Z',
        },
      ],
      scores: [
        { userId: alice, role: 'creator', score: 2, products: 1 },
        { userId: bob, role: 'photographer', score: 2, products: 1 },
      ],
      rejected: [],
    })
  })

  it('counts a purchase folded before the create as a sale with no point, and keeps the first creator of two', async () => {
    const names = await freshTables()
    const carol = creatorOrigin('carol')
    const records = [
      story(1, 'buyer-1', purchaseData('p-early')),
      story(2, alice, createData('p-early')),
      story(3, carol, createData('p-early', { brand: 'Zella', name: 'Late', category: 'Hats' })),
      story(4, 'buyer-2', purchaseData('p-early')),
    ]
    await deliverAll(
      handlerFor(storeFor(client, names)),
      records.map((record) => ({ Records: [record] })),
    )
    expect(await readSettled(client, names)).toEqual({
      contributions: [
        {
          productId: 'p-early',
          creator: alice,
          brand: 'Nordstrom',
          name: 'Product p-early',
          category: 'Shoes',
          purchases: 2,
          creatorScore: 1,
          photographerScore: 0,
          lastSequenceNumber: sequenceNumber(4),
          lastEventId: `${shardName(5)}:${sequenceNumber(4)}`,
          created: '2026-11-26T10:00:01.000Z',
          updated: '2026-11-26T10:00:04.000Z',
        },
      ],
      scores: [{ userId: alice, role: 'creator', score: 1, products: 1 }],
      rejected: [],
    })
  })

  it('credits the first photographer of two for every sale after the photo, even the sales before the create', async () => {
    const names = await freshTables()
    const records = [
      story(1, bob, imageData('p-photo')),
      story(2, 'buyer-1', purchaseData('p-photo')),
      story(3, photographerOrigin('dave'), imageData('p-photo')),
      story(4, alice, createData('p-photo')),
      story(5, 'buyer-2', purchaseData('p-photo')),
    ]
    await deliverAll(handlerFor(storeFor(client, names)), batchesOf(records, 2))
    expect(await readSettled(client, names)).toEqual({
      contributions: [
        {
          productId: 'p-photo',
          creator: alice,
          photographer: bob,
          brand: 'Nordstrom',
          name: 'Product p-photo',
          category: 'Shoes',
          purchases: 2,
          creatorScore: 1,
          photographerScore: 2,
          lastSequenceNumber: sequenceNumber(5),
          lastEventId: `${shardName(5)}:${sequenceNumber(5)}`,
          created: '2026-11-26T10:00:01.000Z',
          updated: '2026-11-26T10:00:05.000Z',
        },
      ],
      scores: [
        { userId: alice, role: 'creator', score: 1, products: 1 },
        { userId: bob, role: 'photographer', score: 2, products: 1 },
      ],
      rejected: [],
    })
  })
})
