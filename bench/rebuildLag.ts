import { consume } from '../src/local/consume'
import { createStream, putRecords } from '../src/local/kinesis'
import { openStack, type Stack } from '../src/local/localStack'
import { type ReadBudget, sharedReadBudget } from '../src/local/readBudget'
import { toOutgoing } from '../src/local/replayLog'
import type { WorkloadRecord } from '../src/local/workload'
import type { Endpoints } from './scenarios'
import { round } from './scenarios'

/** What the live views meet while records arrive, with or without a rebuild reading the same shard. */
export interface RebuildLagRow {
  readonly scenario: string
  readonly historyRecords: number
  readonly liveRecords: number
  readonly ratePerSecond: number
  /** The live winner view's lag: each batch's newest record age when the batch ended. */
  readonly lagP50Ms: number
  readonly lagP99Ms: number
  readonly lagMaxMs: number
  /** GetRecords calls the shard's budget refused (AWS: ReadProvisionedThroughputExceeded). */
  readonly throttledCalls: number
  readonly calls: number
  /** How long the rebuild took to read the history and the live records, if there was one. */
  readonly rebuildSeconds: number | null
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The value at fraction `p` (0 to 1) of the sorted values; 0 for none. */
export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? 0
}

let runs = 0

/** Puts `records` at about `ratePerSecond`, a tenth of a second's worth at a time. */
const produce = async (
  stack: Stack,
  streamName: string,
  records: ReadonlyArray<WorkloadRecord>,
  ratePerSecond: number,
) => {
  const chunk = Math.max(1, Math.round(ratePerSecond / 10))
  for (let at = 0; at < records.length; at += chunk) {
    const started = performance.now()
    await putRecords(stack.kinesis, streamName, toOutgoing(records.slice(at, at + chunk)))
    await sleep(Math.max(0, 100 - (performance.now() - started)))
  }
}

/** The live views, as their mappings run them: to the tip, then again a second later, until the producer is done. */
const liveViews = async (
  stack: Stack,
  streamName: string,
  budget: ReadBudget,
  producing: () => boolean,
  lags: number[],
) => {
  for (let last = false; !last; ) {
    last = !producing()
    await consume(stack, {
      streamName,
      batchSize: 500,
      readBudget: budget,
      onBatch: (view, summary) => {
        if (view === 'winner-view' && summary.newestRecordAgeMs !== null)
          lags.push(summary.newestRecordAgeMs)
      },
    })
    if (!last) await sleep(1000)
  }
}

/** A rebuild from TRIM_HORIZON, started with the live records: the history, then what arrived meanwhile. */
const rebuildRun = async (
  rebuild: Stack,
  streamName: string,
  budget: ReadBudget,
  producer: Promise<void>,
): Promise<number> => {
  const started = performance.now()
  await consume(rebuild, { streamName, batchSize: 500, readBudget: budget })
  await producer
  await consume(rebuild, { streamName, batchSize: 500, readBudget: budget })
  return (performance.now() - started) / 1000
}

/** The stacks of a run: the live stage, and the rebuild's on the same endpoints. */
const stacksOf = async (endpoints: Endpoints, withRebuild: boolean) => {
  runs += 1
  const stage = `lag${runs}x${process.pid}`
  const stackOf = (name: string) =>
    openStack({
      stage: name,
      kinesisEndpoint: endpoints.kinesis,
      dynamodbEndpoint: endpoints.dynamodb,
      ownStack: true,
    })
  const live = await stackOf(stage)
  const rebuild = withRebuild ? await stackOf(`${stage}rb`) : undefined
  return { live, rebuild, streamName: `${stage}Stream` }
}

/**
 * One shard read by the two live views and, with `withRebuild`, by a rebuild's two views
 * from TRIM_HORIZON, all under Kinesis's shared read budget (5 calls and 2 MB a second per
 * shard), while `live` records arrive at `ratePerSecond`. On kinesalite and DynamoDB Local,
 * in real time: the lag is the time from a record's arrival to the end of its batch.
 */
export const measureRebuildLag = async (
  endpoints: Endpoints,
  history: ReadonlyArray<WorkloadRecord>,
  live: ReadonlyArray<WorkloadRecord>,
  ratePerSecond: number,
  withRebuild: boolean,
): Promise<RebuildLagRow> => {
  const { live: stack, rebuild, streamName } = await stacksOf(endpoints, withRebuild)
  try {
    await createStream(stack.kinesis, streamName, 1)
    await putRecords(stack.kinesis, streamName, toOutgoing([...history]))
    const budget = sharedReadBudget()
    // The live views catch up with the history first; only what follows is measured.
    await consume(stack, { streamName, batchSize: 500, readBudget: budget })
    const before = { ...budget.stats }
    const lags: number[] = []
    let producing = true
    const producer = produce(stack, streamName, live, ratePerSecond).finally(() => {
      producing = false
    })
    const [, , rebuildSeconds] = await Promise.all([
      producer,
      liveViews(stack, streamName, budget, () => producing, lags),
      rebuild === undefined ? null : rebuildRun(rebuild, streamName, budget, producer),
    ])
    return {
      scenario: withRebuild ? 'live views and a rebuild' : 'live views alone',
      historyRecords: history.length,
      liveRecords: live.length,
      ratePerSecond,
      lagP50Ms: percentile(lags, 0.5),
      lagP99Ms: percentile(lags, 0.99),
      lagMaxMs: Math.max(0, ...lags),
      throttledCalls: budget.stats.throttled - before.throttled,
      calls: budget.stats.calls - before.calls,
      rebuildSeconds: rebuildSeconds === null ? null : round(rebuildSeconds, 1),
    }
  } finally {
    await stack.stop()
    await rebuild?.stop()
  }
}
