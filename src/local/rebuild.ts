import type { ArchiveSource } from '../runtime/archiveReader'
import { makeDynamoStore } from '../runtime/dynamoStore'
import { makeViewHandler } from '../runtime/handler'
import { streamArchiveId } from '../runtime/kinesisShards'
import { type FreshnessMark, markOfBatch } from '../runtime/marks'
import type { AnyView } from '../runtime/view'
import { type ArchiveReplayStats, replayArchive } from './archiveReplay'
import { type CheckpointStore, dynamoCheckpoints } from './checkpoints'
import { type ConsumeResult, consume, consumerOf, settleTotals } from './consume'
import { type FaultPlan, withFaults } from './faults'
import { type Folded, type HandOver, refuseGaps } from './handOver'
import { listShards, oldestRecordOf } from './kinesis'
import { type LocalArchive, placeOf, STACK_VIEWS, type Stack, type StackView } from './localStack'
import { type KinesisHandler, localStreamArn } from './poller'

export interface RebuildOptions {
  readonly streamName: string
  readonly batchSize: number
  /** Faults injected into the views' handlers (tests), in the replay and after the hand-over. */
  readonly faults?: FaultPlan
  readonly onProgress?: (advanced: number) => void
  readonly signal?: AbortSignal
}

export interface RebuildResult {
  readonly archive: Readonly<Record<string, ArchiveReplayStats>>
  readonly handOver: ReadonlyArray<HandOver>
  readonly live: ConsumeResult
}

/** The name a view's replay of a stream's archive keeps its checkpoints under. */
export const rebuildConsumerOf = (view: AnyView, streamName: string): string =>
  `rebuild:${view.name}:${streamName}`

/** Each view's live consumer starts where its replay ended, unless it has started already. */
const seedLiveCheckpoints = async (from: CheckpointStore, to: CheckpointStore) => {
  const live = await to.load()
  for (const checkpoint of (await from.load()).values()) {
    if (!live.has(checkpoint.shardId)) await to.save(checkpoint)
  }
}

/** A view's replay checkpoints and its live consumer's, in the stage's checkpoints table. */
export const checkpointsOf = (stack: Stack, view: AnyView, streamName: string) => {
  const place = placeOf(stack, view)
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
  /**
   * The replay marks each batch itself (`strictlyMarked`), every mark beginning at this
   * record of its shard (the archive's first); otherwise the handler marks, as on Lambda.
   */
  readonly marksBeginAt?: ((shardId: string) => string | undefined) | undefined
}

/**
 * A handler whose batches the replay marks itself, each mark beginning at `firstOf` its
 * shard: a mark that cannot be stored fails the batch, which comes again (folding nothing
 * twice), so that the marks trail what was folded only until it does, and a resume from
 * them folds again at most the batch in flight.
 */
const strictlyMarked =
  (
    handler: KinesisHandler,
    markFolded: (mark: FreshnessMark) => Promise<void>,
    firstOf: (shardId: string) => string | undefined,
  ): KinesisHandler =>
  async (event) => {
    const answer = await handler(event)
    const failedFrom = answer?.batchItemFailures?.[0]?.itemIdentifier ?? null
    const mark = markOfBatch(event.Records, failedFrom)
    if (mark !== undefined)
      await markFolded({
        ...mark,
        firstSequenceNumber: firstOf(mark.shardId) ?? mark.firstSequenceNumber,
      })
    return answer
  }

/** A view's archive replayed through its own handler into its tables in the stack. */
export const replayIntoView = (
  place: StackView,
  view: AnyView,
  replay: ViewReplay,
): Promise<ArchiveReplayStats> => {
  const store = makeDynamoStore(view, { client: place.dynamo, names: place.names })
  const { faults, onProgress, signal, marksBeginAt, ...rest } = replay
  let lastFailure: string | undefined
  const viewHandler = makeViewHandler(view, {
    store,
    // The log line's failure is kept, to say why a batch that keeps failing does.
    log: (summary) => {
      if (summary.failure !== null) lastFailure = summary.failure
    },
    markBatches: marksBeginAt === undefined,
  })
  const handler =
    marksBeginAt === undefined
      ? viewHandler
      : strictlyMarked(viewHandler, store.markFolded, marksBeginAt)
  return replayArchive({
    ...rest,
    handler: faults === undefined ? handler : withFaults(handler, faults).handler,
    ...(faults === undefined ? {} : { retryDelayMs: () => 0 }),
    ...(onProgress === undefined ? {} : { onProgress }),
    ...(signal === undefined ? {} : { signal }),
    lastFailure: () => lastFailure,
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
