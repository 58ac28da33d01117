import { PutCommand } from '@aws-sdk/lib-dynamodb'
import type { KinesisStreamRecord } from 'aws-lambda'
import { readRejected } from '../src/local/rejectedReader'
import { type BatchSummary, makeViewHandler } from '../src/runtime/handler'
import { winnerView } from '../src/views/winner'
import { freshTables, quickRetry, readSettled, storeFor, testClient } from './support/dynamo'
import {
  createData,
  creatorOrigin,
  egress,
  ingress,
  kinesisRecord,
  purchaseData,
  sequenceNumber,
} from './support/fixtures'

// One test per way a shard used to stall or a record used to be misfiled (issue 10).
// Each batch must end with no batchItemFailures while DynamoDB answers.

jest.setTimeout(60_000)

const client = testClient()
afterAll(() => client.destroy())

const SHARD = 'shardId-000000000000'
const at = (n: number, partitionKey?: string) => ({
  shardId: SHARD,
  sequenceNumber: sequenceNumber(n),
  ...(partitionKey === undefined ? {} : { partitionKey }),
})

const handlerOn = async (summaries: BatchSummary[] = []) => {
  const names = await freshTables()
  const handler = makeViewHandler(winnerView, {
    store: storeFor(client, names),
    retry: quickRetry,
    log: (summary) => summaries.push(summary),
  })
  return { names, handler, summaries }
}

const deliver = async (
  handler: Awaited<ReturnType<typeof handlerOn>>['handler'],
  records: KinesisStreamRecord[],
) => expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] })

describe('liveness: a shard never stalls on data', () => {
  it('keeps a record with a 200,000-character property name, and the other bad records with it', async () => {
    const { names, handler } = await handlerOn()
    const huge = { ...ingress('u', purchaseData('p1')), ['k'.repeat(200_000)]: 1 }
    const records = [
      kinesisRecord(huge, at(1, 'p1')),
      kinesisRecord('not json', at(2, 'x')),
      kinesisRecord(ingress('buyer', purchaseData('p2')), at(3)),
    ]
    await deliver(handler, records)
    const view = await readSettled(client, names)
    expect(view.rejected.map((r) => [r.eventId, r.data])).toEqual([
      [records[0]?.eventID, records[0]?.kinesis.data],
      [records[1]?.eventID, records[1]?.kinesis.data],
    ])
    expect(view.rejected[0]?.reason).toBe(
      'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk… (a name of 200,000 characters): unexpected property',
    )
    expect(view.contributions.map((c) => [c.productId, c.purchases])).toEqual([['p2', 1]])
  })

  it('rejects ids with a lone surrogate instead of storing them changed, and goes on', async () => {
    const { names, handler } = await handlerOn()
    await deliver(handler, [kinesisRecord(ingress('carol?', createData('a?')), at(1))])
    await deliver(handler, [
      kinesisRecord(ingress('carol\udc00', createData('b')), at(2)),
      kinesisRecord(ingress('buyer', purchaseData('a\ud800')), at(3)),
      kinesisRecord(ingress('buyer', purchaseData('a?')), at(4)),
    ])
    const view = await readSettled(client, names)
    expect(view.rejected.map((r) => r.reason)).toEqual([
      'origin: expected well-formed Unicode, got a lone surrogate',
      'data.id: expected well-formed Unicode, got a lone surrogate',
    ])
    expect(view.contributions.map((c) => [c.productId, c.purchases])).toEqual([['a?', 1]])
    expect(view.scores).toEqual([{ userId: 'carol?', role: 'creator', score: 1, products: 1 }])
  })

  it('rejects the records of a product whose stored item has no position, naming the item', async () => {
    const { names, handler } = await handlerOn()
    await client.send(
      new PutCommand({ TableName: names.contributions, Item: { productId: 'p1', purchases: 3 } }),
    )
    await deliver(handler, [
      kinesisRecord(ingress('buyer', purchaseData('p1')), at(1)),
      kinesisRecord(ingress(creatorOrigin('ann'), createData('p2')), at(2)),
    ])
    const view = await readSettled(client, names)
    expect(view.rejected.map((r) => r.reason)).toEqual([
      'stored item "p1": creatorScore: expected a whole number of at least 0, got nothing',
    ])
    expect(view.contributions.map((c) => [c.productId, c.purchases])).toEqual([
      ['p1', 3],
      ['p2', 0],
    ])
  })

  it('fails a batch on a misnamed table, rejects nothing, and folds all once the name is right', async () => {
    const summaries: BatchSummary[] = []
    const { names } = await handlerOn()
    const records = [
      kinesisRecord(ingress(creatorOrigin('ann'), createData('p1')), at(1)),
      kinesisRecord('not json', at(2, 'x')),
    ]
    const wrong = makeViewHandler(winnerView, {
      store: storeFor(client, { ...names, scores: `${names.scores}-typo` }),
      log: (summary) => summaries.push(summary),
    })
    expect(await wrong({ Records: records })).toEqual({
      batchItemFailures: [{ itemIdentifier: sequenceNumber(1) }],
    })
    expect(summaries[0]?.failure).toBe(`configuration: table ${names.scores}-typo does not exist`)
    expect((await readSettled(client, names)).rejected).toEqual([])
    const right = makeViewHandler(winnerView, { store: storeFor(client, names), log: () => {} })
    await deliver(right, records)
    const view = await readSettled(client, names)
    expect([view.contributions.length, view.scores.length, view.rejected.length]).toEqual([1, 1, 1])
  })

  it('keeps a 1 MB record whole in Rejected, split over items, and gives its bytes back', async () => {
    const { names, handler } = await handlerOn()
    const bytes = Buffer.alloc(1_000_000, 0xfe)
    bytes.write('{"not": "utf-8 after this"', 'utf8')
    const record = kinesisRecord(new Uint8Array(bytes), at(1, 'big'))
    await deliver(handler, [record])
    const kept = await readRejected(client, names.rejected, record.eventID)
    expect(kept?.reason).toBe('data: not UTF-8 text')
    expect(Buffer.from(kept?.data ?? '', 'base64').equals(bytes)).toBe(true)
    expect((await readSettled(client, names)).rejected.map((r) => r.eventId)).toEqual([
      record.eventID,
    ])
  })

  it('rejects a product event whose partition key is not its product id, naming both', async () => {
    const { names, handler } = await handlerOn()
    await deliver(handler, [
      kinesisRecord(ingress(creatorOrigin('ann'), createData('p1')), at(10)),
      kinesisRecord(ingress('buyer', purchaseData('p1')), at(5, 'other')),
    ])
    const view = await readSettled(client, names)
    expect(view.rejected.map((r) => [r.partitionKey, r.reason])).toEqual([
      ['other', 'partitionKey: expected the product id "p1", got "other"'],
    ])
  })

  it('counts a purchase the fan-out wrote twice once, and keeps the copy in Rejected', async () => {
    const summaries: BatchSummary[] = []
    const { names, handler } = await handlerOn(summaries)
    const ingressId = `shardId-000000000003:${sequenceNumber(77)}`
    const sale = { ...egress('buyer', purchaseData('p1')), eventId: ingressId }
    await deliver(handler, [
      kinesisRecord(egress(creatorOrigin('ann'), createData('p1')), at(1)),
      kinesisRecord(sale, at(2)),
      kinesisRecord(sale, at(3)),
    ])
    const view = await readSettled(client, names)
    expect(view.contributions.map((c) => [c.productId, c.purchases, c.creatorScore])).toEqual([
      ['p1', 1, 1],
    ])
    expect(view.rejected.map((r) => [r.sequenceNumber, r.reason])).toEqual([
      [sequenceNumber(3), `fan-out duplicate of ${ingressId}: that event is already folded`],
    ])
    expect(summaries[0]).toMatchObject({ duplicates: 1, rejected: 1, folded: 2 })
  })
})
