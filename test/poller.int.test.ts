import type { KinesisStreamEvent } from 'aws-lambda'
import { dynamoCheckpoints } from '../src/local/checkpoints'
import { createStream, listShards, putRecords, splitShardInHalf } from '../src/local/kinesis'
import { openStack, type Stack } from '../src/local/localStack'
import { drainStream, type PollerOptions } from '../src/local/poller'
import { toOutgoing } from '../src/local/replayLog'
import { generateWorkload } from '../src/local/workload'
import { dynamoEndpoint } from './support/dynamo'

// The tables after a reshard or a resumed run are checked end to end in consume.int.test.ts;
// here, only what the CLI cannot show: the order in which the poller hands over the shards.

jest.setTimeout(120_000)

let stack: Stack
beforeAll(async () => {
  stack = await openStack({ stage: `poller${process.pid}`, dynamodbEndpoint: dynamoEndpoint() })
})
afterAll(() => stack.stop())

const records = toOutgoing(generateWorkload({ events: 1200, seed: 5 }))

/** A poller whose handler finishes every record and notes, per record, the shard it came from. */
const pollerOn = (streamName: string, shardOfRecords: string[]): PollerOptions => ({
  kinesis: stack.kinesis,
  streamName,
  batchSize: 50,
  checkpoints: dynamoCheckpoints(stack.dynamo, stack.checkpointsTable, streamName),
  handler: async (event: KinesisStreamEvent) => {
    shardOfRecords.push(...event.Records.map((r) => r.eventID.split(':')[0] ?? ''))
    return { batchItemFailures: [] }
  },
})

describe('the local event source poller', () => {
  it('drains a parent shard before its children, each record once, when the stream is resharded while records flow', async () => {
    const stream = 'resharded'
    await createStream(stack.kinesis, stream, 2)
    await putRecords(stack.kinesis, stream, records.slice(0, 600))
    const delivered: string[] = []
    const flowing = drainStream(pollerOn(stream, delivered))
    const [parent] = await listShards(stack.kinesis, stream)
    if (parent === undefined) throw new Error('no shard')
    await splitShardInHalf(stack.kinesis, stream, parent)
    await putRecords(stack.kinesis, stream, records.slice(600))
    await flowing
    await drainStream(pollerOn(stream, delivered))
    const shards = await listShards(stack.kinesis, stream)
    const children = shards.filter((s) => s.ParentShardId === parent.ShardId).map((s) => s.ShardId)
    expect(children).toHaveLength(2)
    const firstOfChildren = delivered.findIndex((shard) => children.includes(shard))
    expect(firstOfChildren).toBeGreaterThan(delivered.lastIndexOf(parent.ShardId ?? ''))
    expect(delivered).toHaveLength(records.length)
  })

  it('goes on through failures that each finish some records, and gives up only on those that finish none', async () => {
    const stream = 'alwaysPartial'
    await createStream(stack.kinesis, stream, 1)
    await putRecords(stack.kinesis, stream, records.slice(0, 60))
    let deliveries = 0
    // Every delivery of more than one record fails from its second: one record a time.
    const partial = async (event: KinesisStreamEvent) => {
      deliveries += 1
      const second = event.Records[1]?.kinesis.sequenceNumber
      return { batchItemFailures: second === undefined ? [] : [{ itemIdentifier: second }] }
    }
    const stats = await drainStream({
      ...pollerOn(stream, []),
      handler: partial,
      retryDelayMs: () => 0,
      maxFailures: 5,
    })
    expect(stats.recordsAdvanced).toBe(60)
    expect(deliveries).toBeGreaterThan(50)
    const stuck = drainStream({
      ...pollerOn('alwaysPartial', []),
      checkpoints: dynamoCheckpoints(stack.dynamo, stack.checkpointsTable, 'fresh-consumer'),
      handler: async (event: KinesisStreamEvent) => ({
        batchItemFailures: [{ itemIdentifier: event.Records[0]?.kinesis.sequenceNumber ?? '' }],
      }),
      retryDelayMs: () => 0,
      maxFailures: 5,
    })
    await expect(stuck).rejects.toThrow(/a batch failed 6 times in a row/)
  })
})
