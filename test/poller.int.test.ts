import type { KinesisStreamEvent } from 'aws-lambda'
import { makeDynamoStore } from '../src/adapters/dynamoStore'
import { makeHandler } from '../src/handlers/processBatch'
import { dynamoCheckpoints } from '../src/local/checkpoints'
import { createStream, listShards, putRecords, splitShardInHalf } from '../src/local/kinesis'
import { openStack, type Stack } from '../src/local/localStack'
import { drainStream, type PollerOptions } from '../src/local/poller'
import { toOutgoing } from '../src/local/replayLog'
import { readView } from '../src/local/viewReader'
import { generateWorkload } from '../src/local/workload'
import { dynamoEndpoint } from './support/dynamo'
import { comparable, foldLines } from './support/normalize'

jest.setTimeout(120_000)

let stack: Stack
beforeAll(async () => {
  stack = await openStack({ stage: `poller${process.pid}`, dynamodbEndpoint: dynamoEndpoint() })
})
afterAll(() => stack.stop())

const workload = generateWorkload({ events: 1200, seed: 5, edgeCases: true })
const records = toOutgoing(workload)
const lines = workload.map((r) => r.data)

/** A poller over the handler, recording which shard each batch came from. */
const pollerOn = (
  streamName: string,
  batches: string[],
  extra: Partial<PollerOptions> = {},
): PollerOptions => {
  const handler = makeHandler({
    store: makeDynamoStore({ client: stack.dynamo, names: stack.names }),
    log: () => {},
  })
  return {
    kinesis: stack.kinesis,
    streamName,
    batchSize: 50,
    checkpoints: dynamoCheckpoints(stack.dynamo, stack.checkpointsTable, streamName),
    handler: (event: KinesisStreamEvent) => {
      batches.push(event.Records[0]?.eventID.split(':')[0] ?? '')
      return handler(event)
    },
    ...extra,
  }
}

const clearTables = async () => {
  const view = await readView(stack.dynamo, stack.names)
  const { DeleteCommand } = await import('@aws-sdk/lib-dynamodb')
  const deletes = [
    ...view.contributions.map((i) => ({
      TableName: stack.names.contributions,
      Key: { productId: i.productId },
    })),
    ...view.scores.map((i) => ({
      TableName: stack.names.scores,
      Key: { userId: i.userId, role: i.role },
    })),
    ...view.rejected.map((i) => ({ TableName: stack.names.rejected, Key: { eventId: i.eventId } })),
  ]
  for (const input of deletes) await stack.dynamo.send(new DeleteCommand(input))
}

describe('the local event source poller', () => {
  beforeEach(clearTables)

  it('drains a parent shard before its children when the stream is resharded while records flow', async () => {
    const stream = 'resharded'
    await createStream(stack.kinesis, stream, 2)
    await putRecords(stack.kinesis, stream, records.slice(0, 600))
    const batches: string[] = []
    const flowing = drainStream(pollerOn(stream, batches))
    const [parent] = await listShards(stack.kinesis, stream)
    if (parent === undefined) throw new Error('no shard')
    await splitShardInHalf(stack.kinesis, stream, parent)
    await putRecords(stack.kinesis, stream, records.slice(600))
    await flowing
    await drainStream(pollerOn(stream, batches))
    const shards = await listShards(stack.kinesis, stream)
    const children = shards.filter((s) => s.ParentShardId === parent.ShardId).map((s) => s.ShardId)
    expect(children).toHaveLength(2)
    const lastOfParent = batches.lastIndexOf(parent.ShardId ?? '')
    const firstOfChildren = Math.min(
      ...children.map((id) => batches.indexOf(id ?? '')).filter((i) => i >= 0),
    )
    expect(firstOfChildren).toBeGreaterThan(lastOfParent)
    const view = comparable(await readView(stack.dynamo, stack.names))
    const expected = foldLines(lines)
    expect(view.contributions).toEqual(expected.contributions)
    expect(view.scores).toEqual(expected.scores)
  })

  it('resumes from its checkpoints after an interrupted run and ends with correct tables', async () => {
    const stream = 'interrupted'
    await createStream(stack.kinesis, stream, 3)
    await putRecords(stack.kinesis, stream, records)
    const abort = new AbortController()
    let batchesSeen = 0
    const first = await drainStream(
      pollerOn(stream, [], {
        signal: abort.signal,
        onProgress: () => {
          batchesSeen += 1
          if (batchesSeen === 6) abort.abort()
        },
      }),
    )
    expect(first.recordsAdvanced).toBeGreaterThan(0)
    expect(first.recordsAdvanced).toBeLessThan(records.length)
    const second = await drainStream(pollerOn(stream, []))
    expect(second.recordsDelivered).toBe(records.length - first.recordsAdvanced)
    const view = comparable(await readView(stack.dynamo, stack.names))
    const expected = foldLines(lines)
    expect(view.contributions).toEqual(expected.contributions)
    expect(view.scores).toEqual(expected.scores)
  })
})
