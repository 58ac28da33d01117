import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda'
import {
  archiveIdOf,
  archivePrefixes,
  batchesOf,
  batchKeyOf,
  encodeBatch,
  type ShardFacts,
  shardManifestOf,
} from './archive'

export type { ShardFacts } from './archive'

/** Where the archive writes: an object store (S3 on AWS and locally). */
export interface ArchiveStore {
  /** Writes an object whole; writing a key again with the same bytes changes nothing. */
  readonly put: (key: string, body: Uint8Array) => Promise<void>
}

/** One line a batch: what was archived where, never the records' data. */
export interface ArchiveLine {
  readonly stream: string
  readonly shardId: string
  readonly records: number
  readonly first: string | undefined
  readonly last: string | undefined
  readonly bytes: number
  readonly durationMs: number
  /** How old the batch's last record was when archived: how far the archive trails the stream. */
  readonly newestRecordAgeMs: number
}

export interface ArchiveDeps {
  readonly store: ArchiveStore
  /** The stream's shards (`ListShards`), parents included while the stream keeps them. */
  readonly shardsOf: (streamArn: string) => Promise<ReadonlyArray<ShardFacts>>
  /** When the stream was created (`DescribeStreamSummary`): its archive's name has it. */
  readonly createdOf: (streamArn: string) => Promise<Date>
  readonly log: (line: ArchiveLine) => void
  readonly now?: () => number
}

/** A stream's name from its ARN (`arn:aws:kinesis:…:stream/<name>`). */
export const streamNameOfArn = (arn: string): string => {
  const match = /:stream\/([^/]+)/.exec(arn)
  if (match?.[1] === undefined) throw new Error(`not a Kinesis stream ARN: ${arn}`)
  return match[1]
}

/**
 * The facts of each shard, listed once per container and again when a shard is missing
 * (a reshard since). A shard Kinesis does not list fails the batch: without its parents
 * a rebuild could fold a product's later events before its earlier ones.
 */
const shardFinder = (shardsOf: ArchiveDeps['shardsOf']) => {
  let known = new Map<string, ShardFacts>()
  return async (streamArn: string, shardId: string): Promise<ShardFacts> => {
    if (!known.has(shardId)) {
      known = new Map((await shardsOf(streamArn)).map((s) => [s.shardId, s]))
    }
    const shard = known.get(shardId)
    if (shard === undefined) throw new Error(`shard ${shardId} is not listed on ${streamArn}`)
    return shard
  }
}

/**
 * The archive's Lambda handler: each delivered batch becomes one object of its shard,
 * after the shard's manifest (once per container). A failure throws, so the mapping
 * delivers the batch again (or its halves): the archive skips nothing, and the reader
 * reads a record written twice once.
 */
export const makeArchiveHandler = (deps: ArchiveDeps) => {
  const findShard = shardFinder(deps.shardsOf)
  const manifested = new Set<string>()
  const archiveIds = new Map<string, string>()
  const archiveIdOfArn = async (arn: string): Promise<string> => {
    const known =
      archiveIds.get(arn) ?? archiveIdOf(streamNameOfArn(arn), await deps.createdOf(arn))
    archiveIds.set(arn, known)
    return known
  }
  const now = deps.now ?? Date.now
  return async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    const arn = event.Records[0]?.eventSourceARN
    if (arn === undefined) return { batchItemFailures: [] }
    const stream = streamNameOfArn(arn)
    const archiveId = await archiveIdOfArn(arn)
    for (const batch of batchesOf(event.Records)) {
      const started = now()
      const manifestKey = archivePrefixes(archiveId).shard(batch.shardId)
      if (!manifested.has(manifestKey)) {
        const shard = await findShard(arn, batch.shardId)
        await deps.store.put(manifestKey, Buffer.from(shardManifestOf(shard)))
        manifested.add(manifestKey)
      }
      const body = encodeBatch(batch)
      await deps.store.put(batchKeyOf(archiveId, batch), body)
      const newest = batch.records[batch.records.length - 1]
      deps.log({
        stream,
        shardId: batch.shardId,
        records: batch.records.length,
        first: batch.records[0]?.sequenceNumber,
        last: batch.records[batch.records.length - 1]?.sequenceNumber,
        bytes: body.length,
        durationMs: now() - started,
        newestRecordAgeMs: Math.max(0, now() - (newest?.approximateArrivalTimestamp ?? 0) * 1000),
      })
    }
    return { batchItemFailures: [] }
  }
}
