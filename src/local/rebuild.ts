import { compareSequenceNumbers } from '../domain/position'
import type { ArchiveSource } from '../runtime/archiveReader'
import { makeDynamoStore } from '../runtime/dynamoStore'
import { makeViewHandler } from '../runtime/handler'
import { streamArchiveId } from '../runtime/kinesisShards'
import type { AnyView } from '../runtime/view'
import { type ArchiveReplayStats, replayArchive } from './archiveReplay'
import { type CheckpointStore, dynamoCheckpoints } from './checkpoints'
import { type ConsumeResult, consume, consumerOf, settleTotals } from './consume'
import { type FaultPlan, withFaults } from './faults'
import { listShards, oldestRecordOf } from './kinesis'
import { type LocalArchive, STACK_VIEWS, type Stack, type StackView } from './localStack'
import { localStreamArn } from './poller'

export interface RebuildOptions {
  readonly streamName: string
  readonly batchSize: number
  /** Faults injected into the views' handlers (tests), in the replay and after the hand-over. */
  readonly faults?: FaultPlan
  readonly onProgress?: (advanced: number) => void
  readonly signal?: AbortSignal
}

/** Where the archive's replay left a shard and where the stream now starts it. */
export interface HandOver {
  readonly shardId: string
  /** The last record folded from the archive; none: the archive holds none of this shard. */
  readonly archivedTo?: string
  /** The oldest record the stream still holds; none: it holds none of this shard (or gave none). */
  readonly streamFrom?: string
  /** Whether the replay read the shard to its end (a closed shard: a parent of another). */
  readonly finished: boolean
}

export interface RebuildResult {
  readonly archive: Readonly<Record<string, ArchiveReplayStats>>
  readonly handOver: ReadonlyArray<HandOver>
  readonly live: ConsumeResult
}

/** The name a view's replay of a stream's archive keeps its checkpoints under. */
export const rebuildConsumerOf = (view: AnyView, streamName: string): string =>
  `rebuild:${view.name}:${streamName}`

/**
 * The shards where handing over could leave a gap. Sequence numbers are not consecutive,
 * so only a record both hold proves none: the stream must still hold the last record the
 * archive gave (its oldest at or before it), unless the replay read the shard to its end.
 * A stream that holds none of the shard cannot prove it either. A shard the archive never
 * read is taken as whole (new since, or the archive stalled, which pages).
 */
export const gapsOf = (handOver: ReadonlyArray<HandOver>): HandOver[] =>
  handOver.filter(
    (h) =>
      h.archivedTo !== undefined &&
      !h.finished &&
      (h.streamFrom === undefined || compareSequenceNumbers(h.streamFrom, h.archivedTo) > 0),
  )

/** Each view's live consumer starts where its replay ended, unless it has started already. */
const seedLiveCheckpoints = async (from: CheckpointStore, to: CheckpointStore) => {
  const live = await to.load()
  for (const checkpoint of (await from.load()).values()) {
    if (!live.has(checkpoint.shardId)) await to.save(checkpoint)
  }
}

/** A view's replay checkpoints and its live consumer's, in the stage's checkpoints table. */
export const checkpointsOf = (stack: Stack, view: AnyView, streamName: string) => {
  const place = stack.views[view.name]
  if (place === undefined) throw new Error(`the stack has no tables for the view ${view.name}`)
  return {
    place,
    replay: dynamoCheckpoints(
      place.dynamo,
      stack.checkpointsTable,
      rebuildConsumerOf(view, streamName),
    ),
    live: dynamoCheckpoints(place.dynamo, stack.checkpointsTable, consumerOf(view, streamName)),
  }
}

/** What one view's replay of an archive reads, and where it keeps its place. */
export interface ViewReplay {
  readonly source: ArchiveSource
  readonly archiveId: string
  readonly streamArn: string
  readonly checkpoints: CheckpointStore
  readonly batchSize: number
  readonly faults?: FaultPlan | undefined
  readonly onProgress?: ((advanced: number) => void) | undefined
  readonly signal?: AbortSignal | undefined
}

/** A view's archive replayed through its own handler into its tables in the stack. */
export const replayIntoView = (
  place: StackView,
  view: AnyView,
  replay: ViewReplay,
): Promise<ArchiveReplayStats> => {
  const handler = makeViewHandler(view, {
    store: makeDynamoStore(view, { client: place.dynamo, names: place.names }),
    log: () => {},
  })
  const { faults, onProgress, signal, ...rest } = replay
  return replayArchive({
    ...rest,
    handler: faults === undefined ? handler : withFaults(handler, faults).handler,
    ...(faults === undefined ? {} : { retryDelayMs: () => 0 }),
    ...(onProgress === undefined ? {} : { onProgress }),
    ...(signal === undefined ? {} : { signal }),
  })
}

const replayView = async (
  stack: Stack & { readonly archive: LocalArchive },
  view: AnyView,
  options: RebuildOptions & { readonly archiveId: string },
): Promise<ArchiveReplayStats> => {
  const { place, replay } = checkpointsOf(stack, view, options.streamName)
  const stats = await replayIntoView(place, view, {
    source: stack.archive,
    archiveId: options.archiveId,
    streamArn: localStreamArn(options.streamName),
    checkpoints: replay,
    batchSize: options.batchSize,
    faults: options.faults,
    onProgress: options.onProgress,
    signal: options.signal,
  })
  // Its totals follow, so that the tables stand whole even if the hand-over is refused.
  if (!options.signal?.aborted) await settleTotals(stack, view, place)
  return stats
}

/** Where a view's fold of the archive stands on a shard: its last record, and whether it read the shard to its end. */
export type Folded = ReadonlyMap<
  string,
  { readonly sequenceNumber?: string | undefined; readonly finished: boolean }
>

/** Where each of the stream's shards stands between the archive's replay and the stream. */
export const handOverOf = async (
  kinesis: Stack['kinesis'],
  streamName: string,
  folded: Folded,
): Promise<HandOver[]> => {
  const shards = await listShards(kinesis, streamName)
  return Promise.all(
    shards.map(async ({ ShardId = '' }) => {
      const archivedTo = folded.get(ShardId)?.sequenceNumber
      const streamFrom = (await oldestRecordOf(kinesis, streamName, ShardId))?.SequenceNumber
      return {
        shardId: ShardId,
        finished: folded.get(ShardId)?.finished === true,
        ...(archivedTo === undefined ? {} : { archivedTo }),
        ...(streamFrom === undefined ? {} : { streamFrom }),
      }
    }),
  )
}

/** An error naming each shard where handing over would skip records (`gapsOf`), if any. */
export const refuseGaps = (handOver: ReadonlyArray<HandOver>): void => {
  const gaps = gapsOf(handOver)
  if (gaps.length === 0) return
  const named = gaps.map(
    (g) =>
      `${g.shardId} (archived to ${g.archivedTo}, the stream ${g.streamFrom === undefined ? 'holds none of it' : `starts at ${g.streamFrom}`})`,
  )
  throw new Error(
    `the stream no longer holds what follows the archive on ${named.join(', ')}: handing over would skip records`,
  )
}

/**
 * Rebuilds a stage's views from the stream's archive, then hands over to the stream: each
 * view's archive replayed through its handler (resumable), then its live consumer started
 * after the last record replayed, shard by shard. A shard the stream has trimmed past
 * the archive's end refuses the hand-over, naming it, before anything is read from the
 * stream: nothing is skipped silently. The overlap folds nothing twice.
 */
export const rebuild = async (
  stack: Stack & { readonly archive: LocalArchive },
  options: RebuildOptions,
): Promise<RebuildResult> => {
  const withId = { ...options, archiveId: await streamArchiveId(stack.kinesis, options.streamName) }
  const { onProgress, ...quiet } = withId
  const replays = await Promise.all(
    STACK_VIEWS.map(
      async (view, at) =>
        [view.name, await replayView(stack, view, at === 0 ? withId : quiet)] as const,
    ),
  )
  if (options.signal?.aborted)
    throw new Error('interrupted: run the same rebuild again to go on from there')
  const [first] = STACK_VIEWS
  const replayed =
    first === undefined
      ? new Map()
      : await checkpointsOf(stack, first, options.streamName).replay.load()
  const handOver = await handOverOf(stack.kinesis, options.streamName, replayed)
  refuseGaps(handOver)
  for (const view of STACK_VIEWS) {
    const { replay, live } = checkpointsOf(stack, view, options.streamName)
    await seedLiveCheckpoints(replay, live)
  }
  const live = await consume(stack, { ...quiet, streamName: options.streamName })
  return { archive: Object.fromEntries(replays), handOver, live }
}
