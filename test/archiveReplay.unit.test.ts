import { replayArchive } from '../src/local/archiveReplay'
import type { Checkpoint, CheckpointStore } from '../src/local/checkpoints'
import type { KinesisHandler } from '../src/local/poller'
import { archivePrefixes, batchKeyOf, encodeBatch, shardManifestOf } from '../src/runtime/archive'
import { memoryArchive } from '../src/runtime/memoryArchive'

// A batch that keeps failing stops the replay, saying why the last delivery failed: a
// missing permission must not surface as a bare count.

const ARCHIVE_ID = 'devStream/1793491200000'
const SHARD = 'shardId-000000000000'

const archiveOfOneBatch = async () => {
  const store = memoryArchive()
  await store.put(
    archivePrefixes(ARCHIVE_ID).shard(SHARD),
    Buffer.from(shardManifestOf({ shardId: SHARD })),
  )
  const batch = {
    shardId: SHARD,
    records: ['101', '102'].map((sequenceNumber) => ({
      sequenceNumber,
      partitionKey: 'p1',
      approximateArrivalTimestamp: 1764151200,
      data: 'e30=',
    })),
  }
  await store.put(batchKeyOf(ARCHIVE_ID, batch), encodeBatch(batch))
  return store
}

const noCheckpoints = (): CheckpointStore => ({
  load: async () => new Map<string, Checkpoint>(),
  save: async () => {},
})

const replayWith = async (handler: KinesisHandler, lastFailure?: () => string | undefined) =>
  replayArchive({
    source: await archiveOfOneBatch(),
    archiveId: ARCHIVE_ID,
    streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/devStream',
    handler,
    checkpoints: noCheckpoints(),
    batchSize: 10,
    retryDelayMs: () => 0,
    maxFailures: 2,
    ...(lastFailure === undefined ? {} : { lastFailure }),
  })

describe('a replay whose batch keeps failing', () => {
  it('stops after maxFailures in a row, with the last thrown error', async () => {
    let calls = 0
    const throwing: KinesisHandler = async () => {
      calls += 1
      throw new Error(
        `AccessDeniedException: not authorized to perform dynamodb:UpdateItem (${calls})`,
      )
    }
    await expect(replayWith(throwing)).rejects.toThrow(
      new Error(
        'shard shardId-000000000000: a batch failed 3 times in a row (the last: AccessDeniedException: not authorized to perform dynamodb:UpdateItem (3))',
      ),
    )
  })

  it('stops with the reason the handler’s log line gave, when it reported records unfinished', async () => {
    const unfinished: KinesisHandler = async () => ({
      batchItemFailures: [{ itemIdentifier: '101' }],
    })
    await expect(
      replayWith(unfinished, () => 'KMSAccessDeniedException: key disabled'),
    ).rejects.toThrow(
      new Error(
        'shard shardId-000000000000: a batch failed 3 times in a row (the last: KMSAccessDeniedException: key disabled)',
      ),
    )
    await expect(replayWith(unfinished)).rejects.toThrow(
      new Error('shard shardId-000000000000: a batch failed 3 times in a row'),
    )
  })
})
