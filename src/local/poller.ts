import {
  type _Record,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis'
import type {
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda'
import { fnv1a } from '../domain/hash'
import { backoffDelay, defaultRetryPolicy, sleep } from '../runtime/backoff'
import { type FreshnessMark, markOfBatch } from '../runtime/marks'
import type { Checkpoint, CheckpointStore } from './checkpoints'
import { listShards } from './kinesis'
import type { ReadBudget } from './readBudget'

export type KinesisHandler = (
  event: KinesisStreamEvent,
) => Promise<KinesisStreamBatchResponse | undefined>

export interface PollerOptions {
  readonly kinesis: KinesisClient
  readonly streamName: string
  readonly handler: KinesisHandler
  readonly checkpoints: CheckpointStore
  readonly batchSize: number
  /** The wait before a failed batch comes again (default: capped exponential backoff). */
  readonly retryDelayMs?: (failures: number) => number
  /** Called after each batch with how many records the checkpoint moved past. */
  readonly onProgress?: (advanced: number) => void
  readonly signal?: AbortSignal
  /** Failed deliveries in a row that finish no record before the poller gives up (Lambda would keep going). */
  readonly maxFailures?: number
  /**
   * Batches of one shard in flight at once (1 to 10), as Lambda's ParallelizationFactor:
   * records split by partition key, each key's in order, the checkpoint at the earliest
   * record not finished.
   */
  readonly parallelizationFactor?: number
  /** The shard's read budget, shared with the stream's other readers; none: unlimited. */
  readonly readBudget?: ReadBudget
  /**
   * Stores the shard's freshness mark after each page, up to the earliest record any batch
   * left unfinished: given at a parallelization factor, where the handler marks nothing.
   */
  readonly markFolded?: (mark: FreshnessMark) => Promise<void>
}

export interface PollerStats {
  batches: number
  recordsDelivered: number
  recordsAdvanced: number
  redeliveries: number
}

interface ShardCursor {
  readonly shard: Shard
  checkpoint: Checkpoint
  iterator: string | undefined
  failures: number
}

/** The ARN the local stack's records name as their source. */
export const localStreamArn = (streamName: string): string =>
  `arn:aws:kinesis:us-east-1:000000000000:stream/${streamName}`

/** A Kinesis record in the shape Lambda's event source mapping hands it to a function. */
export const toLambdaRecord = (
  streamName: string,
  shardId: string,
  record: _Record,
): KinesisStreamRecord => ({
  eventSource: 'aws:kinesis',
  eventVersion: '1.0',
  eventID: `${shardId}:${record.SequenceNumber}`,
  eventName: 'aws:kinesis:record',
  invokeIdentityArn: 'arn:aws:iam::000000000000:role/winner-view-local',
  awsRegion: 'us-east-1',
  eventSourceARN: localStreamArn(streamName),
  kinesis: {
    kinesisSchemaVersion: '1.0',
    partitionKey: record.PartitionKey ?? '',
    sequenceNumber: record.SequenceNumber ?? '',
    data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
    approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
  },
})

const iteratorFor = async (
  options: PollerOptions,
  cursor: ShardCursor,
): Promise<string | undefined> => {
  const { sequenceNumber } = cursor.checkpoint
  const answer = await options.kinesis.send(
    new GetShardIteratorCommand({
      StreamName: options.streamName,
      ShardId: cursor.shard.ShardId,
      ...(sequenceNumber === undefined
        ? { ShardIteratorType: 'TRIM_HORIZON' }
        : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: sequenceNumber }),
    }),
  )
  return answer.ShardIterator
}

/** The index of the first record to deliver again, from the handler's answer. */
export const failedIndex = (
  records: ReadonlyArray<KinesisStreamRecord>,
  response: KinesisStreamBatchResponse | undefined,
): number | undefined => {
  const failed = response?.batchItemFailures?.[0]?.itemIdentifier
  if (failed === undefined) return undefined
  const at = records.findIndex((r) => r.kinesis.sequenceNumber === failed)
  return at === -1 ? 0 : at // an unknown identifier fails the whole batch, as in Lambda
}

/** A handler that throws fails the whole batch, as in Lambda. */
export const THROWN: KinesisStreamBatchResponse = { batchItemFailures: [{ itemIdentifier: '' }] }

/**
 * A page's records split into `factor` ordered sub-streams by partition key, as Lambda
 * splits a shard at a parallelization factor: each key's records stay in one, in order.
 * Each holds its records' indexes in the page.
 */
export const subStreamsOf = (records: ReadonlyArray<_Record>, factor: number): number[][] => {
  const streams = Array.from({ length: Math.max(1, factor) }, (): number[] => [])
  records.forEach((record, at) => {
    streams[fnv1a(record.PartitionKey ?? '') % streams.length]?.push(at)
  })
  return streams.filter((stream) => stream.length > 0)
}

/** Hands one sub-stream to the handler; the page index of its first unfinished record, if any. */
const deliverSubStream = async (
  options: PollerOptions,
  page: ReadonlyArray<KinesisStreamRecord>,
  indexes: ReadonlyArray<number>,
): Promise<number | undefined> => {
  const event = { Records: indexes.flatMap((at) => page[at] ?? []) }
  const response = await options.handler(event).catch(() => THROWN)
  const failedAt = failedIndex(event.Records, response)
  return failedAt === undefined ? undefined : indexes[failedAt]
}

/**
 * Hands a page to the handler, in one batch or, at a parallelization factor, in one
 * batch per sub-stream at once, and moves the checkpoint past the records before the
 * earliest one any batch left unfinished. Records after it that did finish come again
 * from there: the handler finds them folded.
 */
const deliver = async (
  options: PollerOptions,
  cursor: ShardCursor,
  records: _Record[],
  stats: PollerStats,
) => {
  const shardId = cursor.shard.ShardId ?? ''
  const page = records.map((r) => toLambdaRecord(options.streamName, shardId, r))
  const streams = subStreamsOf(records, options.parallelizationFactor ?? 1)
  stats.batches += streams.length
  stats.recordsDelivered += records.length
  const failed = await Promise.all(streams.map((s) => deliverSubStream(options, page, s)))
  const unfinished = failed.filter((at) => at !== undefined)
  const failedAt = unfinished.length === 0 ? undefined : Math.min(...unfinished)
  const done = failedAt ?? records.length
  const last = records[done - 1]?.SequenceNumber
  if (last !== undefined) {
    cursor.checkpoint = { shardId, sequenceNumber: last, finished: false }
    await options.checkpoints.save(cursor.checkpoint)
  }
  const mark = markOfBatch(
    page,
    failedAt === undefined ? null : (records[failedAt]?.SequenceNumber ?? null),
  )
  if (mark !== undefined) await options.markFolded?.(mark)
  stats.recordsAdvanced += done
  options.onProgress?.(done)
  return failedAt
}

/** What a page of records weighs against the shard's 2 MB a second: data and partition keys. */
const bytesOf = (records: ReadonlyArray<_Record>): number =>
  records.reduce((sum, r) => sum + (r.Data?.byteLength ?? 0) + (r.PartitionKey?.length ?? 0), 0)

/** One page of a shard; an expired iterator is renewed from the checkpoint. */
const readPage = async (options: PollerOptions, cursor: ShardCursor) => {
  cursor.iterator ??= await iteratorFor(options, cursor)
  const shardId = cursor.shard.ShardId ?? ''
  try {
    await options.readBudget?.beforeCall(shardId)
    const page = await options.kinesis.send(
      // A batch for each sub-stream: a page of batchSize × factor records.
      new GetRecordsCommand({
        ShardIterator: cursor.iterator,
        Limit: options.batchSize * (options.parallelizationFactor ?? 1),
      }),
    )
    options.readBudget?.charge(shardId, bytesOf(page.Records ?? []))
    return page
  } catch (error) {
    if (!(error instanceof ExpiredIteratorException)) throw error
    cursor.iterator = undefined
    return undefined
  }
}

/** After a failed batch: resume at the first unfinished record, as Lambda does. */
const retryFromCheckpoint = async (
  options: PollerOptions,
  cursor: ShardCursor,
  stats: PollerStats,
) => {
  stats.redeliveries += 1
  cursor.iterator = undefined
  cursor.failures += 1
  if (cursor.failures > (options.maxFailures ?? 20)) {
    throw new Error(
      `shard ${cursor.shard.ShardId}: a batch failed ${cursor.failures} times in a row`,
    )
  }
  const delay = options.retryDelayMs ?? ((n) => backoffDelay(defaultRetryPolicy, n))
  await sleep(delay(cursor.failures))
}

/** An empty page: the shard's tip, or its end when the shard is closed (no next iterator). */
const reachedTip = async (
  options: PollerOptions,
  cursor: ShardCursor,
  next: string | undefined,
) => {
  cursor.iterator = next
  if (next !== undefined) return
  cursor.checkpoint = { ...cursor.checkpoint, finished: true }
  await options.checkpoints.save(cursor.checkpoint)
}

/** Delivers one page; after a failure it resumes from the checkpoint, else moves on. */
const deliverPage = async (
  options: PollerOptions,
  cursor: ShardCursor,
  records: _Record[],
  next: string | undefined,
  stats: PollerStats,
): Promise<number> => {
  const failedAt = await deliver(options, cursor, records, stats)
  if (failedAt !== undefined) {
    // A failure after some records finished is a new batch's first: only failures that
    // move nothing count towards giving up (with several batches of a page at once, one
    // of them failing is common while the shard moves on).
    if (failedAt > 0) cursor.failures = 0
    await retryFromCheckpoint(options, cursor, stats)
    return failedAt
  }
  cursor.iterator = next
  cursor.failures = 0
  return records.length
}

/** Reads a shard one batch at a time until it is at its tip or closed and read to its end. */
const drainShard = async (
  options: PollerOptions,
  cursor: ShardCursor,
  stats: PollerStats,
): Promise<number> => {
  let advanced = 0
  while (!options.signal?.aborted) {
    const page = await readPage(options, cursor)
    if (page === undefined) continue
    const records = page.Records ?? []
    if (records.length === 0) {
      await reachedTip(options, cursor, page.NextShardIterator)
      return advanced
    }
    advanced += await deliverPage(options, cursor, records, page.NextShardIterator, stats)
  }
  return advanced
}

const isDone = (shardId: string | undefined, cursors: Map<string, ShardCursor>): boolean =>
  shardId === undefined || cursors.get(shardId)?.checkpoint.finished !== false

/** Shards whose parents are read to their end; a parent aged out of the stream is not waited for. */
const readyShards = (
  shards: ReadonlyArray<Shard>,
  cursors: Map<string, ShardCursor>,
): ShardCursor[] => {
  const known = new Set(shards.map((s) => s.ShardId))
  const parentDone = (parent: string | undefined) => !known.has(parent) || isDone(parent, cursors)
  return [...cursors.values()].filter(
    (c) =>
      !c.checkpoint.finished &&
      parentDone(c.shard.ParentShardId) &&
      parentDone(c.shard.AdjacentParentShardId),
  )
}

/** Starts a cursor for each shard seen for the first time, at its saved checkpoint. */
const track = (
  shards: ReadonlyArray<Shard>,
  cursors: Map<string, ShardCursor>,
  saved: Map<string, Checkpoint>,
) => {
  for (const shard of shards) {
    const shardId = shard.ShardId ?? ''
    const checkpoint = saved.get(shardId) ?? { shardId, finished: false }
    if (!cursors.has(shardId))
      cursors.set(shardId, { shard, checkpoint, iterator: undefined, failures: 0 })
  }
}

const finishedCount = (cursors: Map<string, ShardCursor>): number =>
  [...cursors.values()].filter((c) => c.checkpoint.finished).length

/**
 * Reads a stream like Lambda's event source mapping: from TRIM_HORIZON or the saved
 * checkpoints, one batch at a time per shard, shards in parallel, a parent shard to its
 * end before its children. Returns when every shard is at its tip or read to its end.
 */
export const drainStream = async (options: PollerOptions): Promise<PollerStats> => {
  const stats: PollerStats = {
    batches: 0,
    recordsDelivered: 0,
    recordsAdvanced: 0,
    redeliveries: 0,
  }
  const saved = await options.checkpoints.load()
  const cursors = new Map<string, ShardCursor>()
  for (;;) {
    const shards = await listShards(options.kinesis, options.streamName)
    track(shards, cursors, saved)
    const ready = readyShards(shards, cursors)
    const finishedBefore = finishedCount(cursors)
    const advanced = await Promise.all(ready.map((cursor) => drainShard(options, cursor, stats)))
    const idle = advanced.every((n) => n === 0) && finishedCount(cursors) === finishedBefore
    if (options.signal?.aborted || ready.length === 0 || idle) return stats
  }
}
