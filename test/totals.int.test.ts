import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { makeTotalsPump } from '../src/local/totalsPump'
import { makeViewHandler } from '../src/runtime/handler'
import { aggregateItemKey } from '../src/runtime/plan'
import { dynamoTotals } from '../src/runtime/totalsStage'
import { winnerView } from '../src/views/winner'
import { freshTables, quickRetry, storeFor, testClient } from './support/dynamo'
import {
  createData,
  creatorOrigin,
  ingress,
  kinesisRecord,
  purchaseData,
  sequenceNumber,
} from './support/fixtures'

// The totals stage on DynamoDB Local: its conditional update and its stream, as deployed.

jest.setTimeout(60_000)

const client = testClient()
afterAll(() => client.destroy())

const annKey = { userId: creatorOrigin('ann'), role: 'creator' }
const scoresOf = async (table: string) =>
  (await client.send(new GetCommand({ TableName: table, Key: annKey, ConsistentRead: true }))).Item

describe('the totals stage on DynamoDB Local', () => {
  it('applies an update from the version the item includes, and answers that version when refused', async () => {
    const names = await freshTables()
    const { update } = dynamoTotals(client, names)
    const first = {
      table: 'scores',
      key: annKey,
      set: { leaderboardKey: 'creator#1' },
      add: { score: 2, products: 1 },
      writer: 'shardId-000000000004',
      fromVersion: 0,
      toVersion: 3,
    }
    expect(await update(first)).toEqual({ kind: 'applied' })
    expect(await update(first)).toEqual({ kind: 'includes', applied: 3 })
    expect(await update({ ...first, fromVersion: 3, toVersion: 4, add: { score: 1 } })).toEqual({
      kind: 'applied',
    })
    expect(await scoresOf(names.scores)).toEqual({
      ...annKey,
      leaderboardKey: 'creator#1',
      score: 3,
      products: 1,
      'applied#shardId-000000000004': 4,
      'applied#*': 2,
    })
  })

  it('moves Scores from two shards’ partials, and a second pump over the whole stream changes nothing', async () => {
    const names = await freshTables()
    const handler = makeViewHandler(winnerView, {
      store: storeFor(client, names),
      retry: quickRetry,
      log: () => {},
    })
    const ann = creatorOrigin('ann')
    for (const [shardId, product] of [
      ['shardId-000000000000', 'p1'],
      ['shardId-000000000001', 'p2'],
    ] as const) {
      const records = [createData(product), purchaseData(product), purchaseData(product)].map(
        (data, at) =>
          kinesisRecord(ingress(ann, data), { shardId, sequenceNumber: sequenceNumber(at + 1) }),
      )
      expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] })
    }
    expect(await scoresOf(names.scores)).toBe(undefined)
    const drained = await makeTotalsPump({ dynamo: client, view: winnerView, names }).drain()
    expect(drained.records).toBe(2)
    const moved = await scoresOf(names.scores)
    expect(moved).toEqual({
      ...annKey,
      leaderboardKey: expect.stringMatching(/^creator#[0-7]$/),
      score: 4,
      products: 2,
      'applied#shardId-000000000000': 1,
      'applied#shardId-000000000001': 1,
      'applied#*': 2,
    })
    await makeTotalsPump({ dynamo: client, view: winnerView, names }).drain()
    expect(await scoresOf(names.scores)).toEqual(moved)
  })

  it('resyncs a totals item from every partial stored for it, whatever the item held', async () => {
    const names = await freshTables()
    const handler = makeViewHandler(winnerView, {
      store: storeFor(client, names),
      retry: quickRetry,
      log: () => {},
    })
    const ann = creatorOrigin('ann')
    for (const shardId of ['shardId-000000000000', 'shardId-000000000001']) {
      const product = `p-${shardId.slice(-1)}`
      const records = [createData(product), purchaseData(product)].map((data, at) =>
        kinesisRecord(ingress(ann, data), { shardId, sequenceNumber: sequenceNumber(at + 1) }),
      )
      expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] })
    }
    // A totals item restored from an old backup: wrong sums, an old version, its revision 5.
    await client.send(
      new PutCommand({
        TableName: names.scores,
        Item: {
          ...annKey,
          score: 99,
          products: 7,
          'applied#shardId-000000000000': 0,
          'applied#*': 5,
        },
      }),
    )
    await dynamoTotals(client, names).resync(aggregateItemKey({ table: 'scores', key: annKey }))
    expect(await scoresOf(names.scores)).toEqual({
      ...annKey,
      leaderboardKey: expect.stringMatching(/^creator#[0-7]$/),
      score: 2,
      products: 2,
      'applied#shardId-000000000000': 1,
      'applied#shardId-000000000001': 1,
      'applied#*': 6,
    })
  })
})
