import type { KinesisStreamRecord } from 'aws-lambda'
import * as E from 'fp-ts/Either'
import { KINESIS_READ_LIMITS, type ReadBudget, sharedReadBudget } from '../src/local/readBudget'
import type { WorkloadRecord } from '../src/local/workload'
import { batchesOf, decodeBatch, encodeBatch, lambdaRecordOf } from '../src/runtime/archive'
import { makeViewHandler } from '../src/runtime/handler'
import { memoryStore } from '../src/runtime/memoryStore'
import { winnerView } from '../src/views/winner'
import { spread } from './contentionRows'
import { lambdaRecordsOf, storedView, withRoundTrips } from './models'
import { type PureFold, sameView } from './pureFold'

/**
 * A rebuild from the archive against the live catch-up, per shard: the same handler, on
 * the in-memory store behind a round trip of `latencyMs` on every call, folds one shard's
 * records in batches of 500, one after the other as the event source mapping delivers a
 * shard; only where the records come from differs.
 *
 * - The live catch-up reads the stream: GetRecords pages of at most 10,000 records, each a
 *   round trip, within the shard's read budget of 5 calls and 2 MB a second (Kinesis
 *   Developer Guide, "Quotas and limits"; AWS-LIMITS.md), alone on the shard or beside the
 *   stage's three other standard readers (its two live views and its archive), whose
 *   share of the budget it gets.
 * - The rebuild reads the archive: objects of up to 10,000 records (the archive's batch),
 *   each a GET round trip, gunzipped and checked (`decodeBatch`). S3 serves thousands of
 *   GETs a second per prefix (S3 User Guide, "Best practices design patterns: optimizing
 *   Amazon S3 performance"), so no budget binds one shard's reader.
 *
 * Both read a page, then fold it, as the mapping does with a parallelization factor of 1.
 */
export interface RebuildSpeedRow {
  readonly source: 'archive' | 'stream, alone' | 'stream, 1 of 4 readers'
  readonly latencyMs: number
  readonly records: number
  readonly recordsPerSecond: number
  readonly readCalls: number
  readonly throttledCalls: number
  readonly matchesPureFold: boolean
}

const PAGE_RECORDS = 10_000
const BATCH_SIZE = 500
const SHARD = 'shardId-000000000000'
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/bench'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const pagesOf = <A>(items: ReadonlyArray<A>, size: number): A[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, at) =>
    items.slice(at * size, at * size + size),
  )

/** The stream's pages, each a GetRecords call the shard's budget admits, then a round trip. */
async function* streamPages(
  records: ReadonlyArray<KinesisStreamRecord>,
  latencyMs: number,
  budget: ReadBudget,
): AsyncGenerator<KinesisStreamRecord[]> {
  for (const page of pagesOf(records, PAGE_RECORDS)) {
    await budget.beforeCall(SHARD)
    await sleep(latencyMs)
    budget.charge(
      SHARD,
      page.reduce((n, r) => n + Buffer.byteLength(r.kinesis.data, 'base64'), 0),
    )
    yield page
  }
}

/** The archive's objects, written beforehand, each a GET round trip, then read back. */
async function* archivePages(
  objects: ReadonlyArray<Uint8Array>,
  latencyMs: number,
): AsyncGenerator<KinesisStreamRecord[]> {
  for (const bytes of objects) {
    await sleep(latencyMs)
    const batch = decodeBatch(bytes)
    if (E.isLeft(batch)) throw new Error(`bench archive: ${batch.left}`)
    yield batch.right.records.map((r) => lambdaRecordOf(STREAM_ARN, batch.right.shardId, r))
  }
}

/** Folds every page in batches of 500 through the handler; the records a second and the fold. */
const foldPages = async (
  pages: AsyncIterable<KinesisStreamRecord[]>,
  latencyMs: number,
  expected: PureFold,
) => {
  const memory = memoryStore(winnerView)
  const handler = makeViewHandler(winnerView, {
    store: withRoundTrips(memory, latencyMs),
    log: () => {},
  })
  let records = 0
  const started = performance.now()
  for await (const page of pages) {
    for (const batch of pagesOf(page, BATCH_SIZE)) await handler({ Records: batch })
    records += page.length
  }
  const seconds = (performance.now() - started) / 1000
  return {
    records,
    recordsPerSecond: Math.round(records / seconds),
    matches: sameView(storedView(memory.tables), expected).equal,
  }
}

/** One row: one shard's records folded from one source at one latency. */
const measureSource = async (
  source: RebuildSpeedRow['source'],
  records: ReadonlyArray<KinesisStreamRecord>,
  latencyMs: number,
  expected: PureFold,
): Promise<RebuildSpeedRow> => {
  const share = source === 'stream, 1 of 4 readers' ? 4 : 1
  const budget = sharedReadBudget({
    callsPerSecond: KINESIS_READ_LIMITS.callsPerSecond / share,
    bytesPerSecond: KINESIS_READ_LIMITS.bytesPerSecond / share,
  })
  const objects = pagesOf(records, PAGE_RECORDS).flatMap((page) => batchesOf(page).map(encodeBatch))
  const pages =
    source === 'archive'
      ? archivePages(objects, latencyMs)
      : streamPages(records, latencyMs, budget)
  const folded = await foldPages(pages, latencyMs, expected)
  return {
    source,
    latencyMs,
    records: folded.records,
    recordsPerSecond: folded.recordsPerSecond,
    readCalls: source === 'archive' ? objects.length : budget.stats.calls,
    throttledCalls: budget.stats.throttled,
    matchesPureFold: folded.matches,
  }
}

const SOURCES: ReadonlyArray<RebuildSpeedRow['source']> = [
  'archive',
  'stream, alone',
  'stream, 1 of 4 readers',
]

/** Every source at each latency, `runs` times side by side (one run of each, then again). */
export const measureRebuildSpeed = async (
  workload: ReadonlyArray<WorkloadRecord>,
  expected: PureFold,
  latencies: ReadonlyArray<number>,
  runs: number,
): Promise<RebuildSpeedRow[][]> => {
  const records = lambdaRecordsOf(workload)
  const cases = latencies.flatMap((latencyMs) => SOURCES.map((source) => ({ source, latencyMs })))
  const results: RebuildSpeedRow[][] = cases.map(() => [])
  for (let run = 0; run < runs; run += 1)
    for (const [at, c] of cases.entries())
      results[at]?.push(await measureSource(c.source, records, c.latencyMs, expected))
  return results
}

/** The rows as the README shows them: median (range) of the runs, and the ratio to the archive's. */
export const rebuildSpeedTable = (results: ReadonlyArray<ReadonlyArray<RebuildSpeedRow>>) => [
  [
    'source',
    'latency ms',
    'records',
    'records/s per shard',
    'read calls',
    'throttled',
    'equals fold',
  ],
  ...results.map((rows) => {
    const first = rows[0]
    return [
      first?.source ?? '',
      first?.latencyMs ?? 0,
      first?.records ?? 0,
      spread(rows, (r) => r.recordsPerSecond),
      spread(rows, (r) => r.readCalls),
      spread(rows, (r) => r.throttledCalls),
      rows.every((r) => r.matchesPureFold) ? 'equal' : 'NOT EQUAL',
    ]
  }),
]
