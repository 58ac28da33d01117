import { makeDynamoStore } from '../runtime/dynamoStore'
import { type BatchSummary, makeViewHandler } from '../runtime/handler'
import type { AnyView } from '../runtime/view'
import { archiveStream } from './archiveConsumer'
import { dynamoCheckpoints } from './checkpoints'
import { type FaultPlan, withFaults } from './faults'
import { placeOf, requireStreamOn, STACK_VIEWS, type Stack, type StackView } from './localStack'
import { drainStream, type PollerStats } from './poller'
import type { ReadBudget } from './readBudget'
import { totalRequests } from './requestMeter'
import { makeTotalsPump } from './totalsPump'

/** What the handler reported over a whole run, summed from its batch log lines. */
export interface RunTotals {
  folded: number
  skipped: number
  rejected: number
  transactions: number
  retries: number
}

export interface ConsumeOptions {
  readonly streamName: string
  readonly batchSize: number
  /** Batches of one shard in flight at once, split by partition key (default 1). */
  readonly parallelizationFactor?: number
  readonly faults?: FaultPlan
  readonly onProgress?: (advanced: number) => void
  readonly signal?: AbortSignal
  /** The stream's shared read budget (5 calls and 2 MB a second per shard); none: unlimited. */
  readonly readBudget?: ReadBudget
  /** Each batch's log line, with the view it belongs to. */
  readonly onBatch?: (view: string, summary: BatchSummary) => void
}

/** What one view's consumer did over a run. */
export interface ViewRun {
  readonly totals: RunTotals
  readonly poller: PollerStats
  /** Faults injected by the fault plan, if any. */
  readonly faults: number
  /** The view's own DynamoDB requests: its handler's and its poller's checkpoints. */
  readonly dynamodbRequests: number
}

/** The winner view's run at the top, and every view's by name. */
export interface ConsumeResult extends ViewRun {
  readonly views: Readonly<Record<string, ViewRun>>
  readonly seconds: number
  /** What the archive's consumer did, when the stack archives (locally it always does). */
  readonly archive?: PollerStats
}

const emptyTotals = (): RunTotals => ({
  folded: 0,
  skipped: 0,
  rejected: 0,
  transactions: 0,
  retries: 0,
})

/** Fails with one clear line when the stream does not exist at the stack's endpoint. */
export const requireStream = (stack: Stack, streamName: string): Promise<void> =>
  requireStreamOn(stack.kinesis, streamName, stack.kinesisEndpoint)

/** The name a view's consumer keeps its checkpoints under: the view and the stream. */
export const consumerOf = (view: AnyView, streamName: string): string =>
  `${view.name}:${streamName}`

/** The poller's options a consumer passes on only when it was given them. */
const optionalPollerOptions = ({ onProgress, signal, readBudget }: ConsumeOptions) => ({
  ...(onProgress ? { onProgress } : {}),
  ...(signal ? { signal } : {}),
  ...(readBudget ? { readBudget } : {}),
})

/** Moves a view's totals until they include every change of its partials (its totals stage, locally). */
export const settleTotals = (stack: Stack, view: AnyView, place: StackView): Promise<unknown> =>
  makeTotalsPump({
    dynamo: place.dynamo,
    view,
    names: place.names,
    checkpoints: (arn) => dynamoCheckpoints(place.dynamo, stack.checkpointsTable, `totals:${arn}`),
  }).drain()

/** Consumes the stream to its end with one view's Lambda handler, under the local poller. */
const consumeView = async (
  stack: Stack,
  view: AnyView,
  options: ConsumeOptions,
): Promise<ViewRun> => {
  const place = placeOf(stack, view)
  const totals = emptyTotals()
  const requestsBefore = totalRequests(place.meter)
  const store = makeDynamoStore(view, { client: place.dynamo, names: place.names })
  // Sub-streams of a shard in flight at once: the poller marks the shard, page by page.
  const split = (options.parallelizationFactor ?? 1) > 1
  const viewHandler = makeViewHandler(view, {
    store,
    markBatches: !split,
    log: (summary) => {
      options.onBatch?.(view.name, summary)
      totals.folded += summary.folded
      totals.skipped += summary.skipped
      totals.rejected += summary.rejected
      totals.transactions += summary.transactions
      totals.retries += summary.retries
    },
  })
  const faulty = options.faults === undefined ? undefined : withFaults(viewHandler, options.faults)
  const poller = await drainStream({
    kinesis: stack.kinesis,
    streamName: options.streamName,
    handler: faulty?.handler ?? viewHandler,
    // On the view's client: its checkpoints are its requests too, as they always were counted.
    checkpoints: dynamoCheckpoints(
      place.dynamo,
      stack.checkpointsTable,
      consumerOf(view, options.streamName),
    ),
    batchSize: options.batchSize,
    parallelizationFactor: options.parallelizationFactor ?? 1,
    ...(split ? { markFolded: store.markFolded } : {}),
    // Injected faults come again at once: the test is of the outcome, not of the wait.
    ...(faulty === undefined ? {} : { retryDelayMs: () => 0 }),
    ...optionalPollerOptions(options),
  })
  // The totals stage follows the view, as its own mapping does on AWS: once the stream
  // is read to its end, the totals are moved until they include every partial's change.
  await settleTotals(stack, view, place)
  const dynamodbRequests = totalRequests(place.meter) - requestsBefore
  return { totals, poller, faults: faulty?.faults() ?? 0, dynamodbRequests }
}

/**
 * Consumes a stream to its end with every view's Lambda handler at once, each under its
 * own poller and checkpoints, as each view's event source mapping does on AWS. Progress
 * is the winner view's. The handler modules are the ones Lambda runs.
 */
export const consume = async (stack: Stack, options: ConsumeOptions): Promise<ConsumeResult> => {
  const started = performance.now()
  const { onProgress, ...quiet } = options
  const { archive } = stack
  const [runs, archived] = await Promise.all([
    Promise.all(
      STACK_VIEWS.map(async (view, at) => {
        const run = await consumeView(stack, view, at === 0 ? options : quiet)
        return [view.name, run] as const
      }),
    ),
    // The archive reads the stream beside the views, as its own mapping does on AWS.
    archive === undefined
      ? undefined
      : archiveStream({ ...stack, archive }, options.streamName, quiet),
  ])
  const views = Object.fromEntries(runs)
  const winner = runs[0]?.[1]
  if (winner === undefined) throw new Error('the local stack runs no view')
  const seconds = (performance.now() - started) / 1000
  return { ...winner, views, seconds, ...(archived === undefined ? {} : { archive: archived }) }
}
