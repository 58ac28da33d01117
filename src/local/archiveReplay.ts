import type { KinesisStreamRecord } from 'aws-lambda'
import { type ArchivedRecord, lambdaRecordOf, type ShardFacts } from '../runtime/archive'
import { type ArchiveSource, archivedShards, shardRecords } from '../runtime/archiveReader'
import { backoffDelay, defaultRetryPolicy, sleep } from '../runtime/backoff'
import type { CheckpointStore } from './checkpoints'
import { failedIndex, type KinesisHandler, THROWN } from './poller'

export interface ArchiveReplayOptions {
  readonly source: ArchiveSource
  /** The archive to replay, by its name (`archiveIdOf`: the stream's name and creation time). */
  readonly archiveId: string
  /** The ARN the records name as their source, as the live mapping's did. */
  readonly streamArn: string
  readonly handler: KinesisHandler
  /** Where each shard's replay stands, so that a second run resumes. */
  readonly checkpoints: CheckpointStore
  readonly batchSize: number
  readonly retryDelayMs?: (failures: number) => number
  /** Failed deliveries in a row that finish no record before the replay gives up. */
  readonly maxFailures?: number
  readonly onProgress?: (advanced: number) => void
  readonly signal?: AbortSignal
  /** Why the handler last left records unfinished, as its log line said, if it said. */
  readonly lastFailure?: () => string | undefined
}

export interface ArchiveReplayStats {
  shards: number
  batches: number
  records: number
  redeliveries: number
}

/** Where one shard's replay stands: the last record finished, and why a delivery last threw. */
interface ShardCursor {
  readonly shardId: string
  last: string | undefined
  thrown?: string | undefined
}

/** Hands records to the handler once; the index of the first it left unfinished, if any. */
const deliverOnce = async (
  options: ArchiveReplayOptions,
  cursor: ShardCursor,
  records: ReadonlyArray<KinesisStreamRecord>,
  stats: ArchiveReplayStats,
): Promise<number | undefined> => {
  stats.batches += 1
  cursor.thrown = undefined
  const answer = await options.handler({ Records: [...records] }).catch((error: unknown) => {
    cursor.thrown = error instanceof Error ? error.message : String(error)
    return THROWN
  })
  const failedAt = failedIndex(records, answer)
  const done = failedAt ?? records.length
  const last = records[done - 1]?.kinesis.sequenceNumber
  if (last !== undefined) {
    cursor.last = last
    await options.checkpoints.save({
      shardId: cursor.shardId,
      sequenceNumber: last,
      finished: false,
    })
    stats.records += done
    options.onProgress?.(done)
  }
  return failedAt
}

/**
 * The wait before a failed batch comes again; once `maxFailures` in a row moved nothing,
 * an error saying why the last one failed (a permission, a key), where anything said.
 */
const waitToRetry = async (
  options: ArchiveReplayOptions,
  cursor: ShardCursor,
  failures: number,
) => {
  if (failures > (options.maxFailures ?? 20)) {
    const why = cursor.thrown ?? options.lastFailure?.()
    throw new Error(
      `shard ${cursor.shardId}: a batch failed ${failures} times in a row${why === undefined ? '' : ` (the last: ${why})`}`,
    )
  }
  const delay = options.retryDelayMs ?? ((n: number) => backoffDelay(defaultRetryPolicy, n))
  await sleep(delay(failures))
}

/**
 * Hands one batch to the handler until every record is finished: after a failure, from
 * the first unfinished record, as Lambda does; gives up after `maxFailures` in a row
 * that finish nothing.
 */
const deliverBatch = async (
  options: ArchiveReplayOptions,
  cursor: ShardCursor,
  batch: ReadonlyArray<ArchivedRecord>,
  stats: ArchiveReplayStats,
) => {
  let rest = batch.map((r) => lambdaRecordOf(options.streamArn, cursor.shardId, r))
  let failures = 0
  while (rest.length > 0 && !options.signal?.aborted) {
    const failedAt = await deliverOnce(options, cursor, rest, stats)
    if (failedAt === undefined) return
    failures = failedAt > 0 ? 1 : failures + 1
    rest = rest.slice(failedAt)
    stats.redeliveries += 1
    await waitToRetry(options, cursor, failures)
  }
}

/** Replays a shard's archive from its cursor to the archive's end, batch by batch. */
const replayShard = async (
  options: ArchiveReplayOptions,
  cursor: ShardCursor,
  stats: ArchiveReplayStats,
) => {
  let pending: ArchivedRecord[] = []
  const records = shardRecords(options.source, options.archiveId, cursor.shardId, cursor.last)
  for await (const chunk of records) {
    pending.push(...chunk)
    while (pending.length >= options.batchSize) {
      await deliverBatch(options, cursor, pending.slice(0, options.batchSize), stats)
      pending = pending.slice(options.batchSize)
    }
    if (options.signal?.aborted) return
  }
  if (pending.length > 0) await deliverBatch(options, cursor, pending, stats)
}

/** A shard replayed to the archive's end; a closed shard (some shard's parent) is then finished. */
const replayToEnd = async (
  options: ArchiveReplayOptions,
  cursor: ShardCursor,
  parents: ReadonlySet<string | undefined>,
  stats: ArchiveReplayStats,
) => {
  await replayShard(options, cursor, stats)
  if (options.signal?.aborted || !parents.has(cursor.shardId)) return
  const at = cursor.last === undefined ? {} : { sequenceNumber: cursor.last }
  await options.checkpoints.save({ shardId: cursor.shardId, ...at, finished: true })
}

/** Shards not replayed yet whose parents the archive holds are replayed to their end. */
const readyShards = (shards: ReadonlyArray<ShardFacts>, done: ReadonlySet<string>) => {
  const archived = new Set(shards.map((s) => s.shardId))
  const parentDone = (parent: string | undefined) =>
    parent === undefined || !archived.has(parent) || done.has(parent)
  return shards.filter(
    (s) =>
      !done.has(s.shardId) && parentDone(s.parentShardId) && parentDone(s.adjacentParentShardId),
  )
}

/**
 * Folds a stream's archive through a view's handler as Lambda's mapping would have: each
 * shard in order, in batches, shards in parallel, a parent read to its end before its
 * children, from the saved checkpoints. A shard that is some shard's parent is closed:
 * once read to its end it is marked finished; the others resume after their last record.
 */
export const replayArchive = async (options: ArchiveReplayOptions): Promise<ArchiveReplayStats> => {
  const stats: ArchiveReplayStats = { shards: 0, batches: 0, records: 0, redeliveries: 0 }
  const shards = await archivedShards(options.source, options.archiveId)
  const parents = new Set(shards.flatMap((s) => [s.parentShardId, s.adjacentParentShardId]))
  const saved = await options.checkpoints.load()
  const done = new Set([...saved.values()].filter((c) => c.finished).map((c) => c.shardId))
  stats.shards = shards.length
  for (let ready = readyShards(shards, done); ready.length > 0; ready = readyShards(shards, done)) {
    await Promise.all(
      ready.map(async ({ shardId }) => {
        await replayToEnd(
          options,
          { shardId, last: saved.get(shardId)?.sequenceNumber },
          parents,
          stats,
        )
        if (!options.signal?.aborted) done.add(shardId)
      }),
    )
    if (options.signal?.aborted) break
  }
  const waiting = shards.filter((s) => !done.has(s.shardId))
  if (!options.signal?.aborted && waiting.length > 0) {
    // Parents that name one another: no order to read them in, so none is read.
    throw new Error(
      `the archive's shards ${waiting.map((s) => s.shardId).join(', ')} wait for one another's parents`,
    )
  }
  return stats
}
