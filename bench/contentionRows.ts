import { generateWorkload, type WorkloadRecord } from '../src/local/workload'
import type { AnyView } from '../src/runtime/view'
import { categorySalesView } from '../src/views/categorySales'
import { winnerView } from '../src/views/winner'
import { type ContentionCase, type ContentionRow, measureContention } from './contention'
import { percentile } from './rebuildLag'

/** Records a shard in every row: a catch-up's backlog, or 20 s of a saturated shard. */
const PER_SHARD = 20_000
/** A saturated shard: Kinesis takes at most 1,000 records a second a shard. */
const SATURATED = 1_000

type Aggregates = ContentionCase['aggregates']

/**
 * The rows, before (`shared`) and after (`per-writer`) side by side: catch-up at 1 to 16
 * shards; one shard at factors 4 and 10; the category view (every transaction touches a
 * handful of category items) at 1 and 16 shards; steady state at 16 saturated shards.
 */
const casesOf = (workload: ReadonlyArray<WorkloadRecord>) => {
  const both = (make: (aggregates: Aggregates) => Omit<ContentionCase, 'aggregates'>) =>
    (['shared', 'per-writer'] as const).map((aggregates) => ({ aggregates, ...make(aggregates) }))
  const catchUp = (view: AnyView, shards: number, factor = 1) =>
    both(() => ({
      view,
      shards,
      factor,
      phase: 'catch-up' as const,
      records: workload.slice(0, PER_SHARD * shards),
    }))
  const steady = (view: AnyView) =>
    both(() => ({
      view,
      shards: 16,
      factor: 1,
      phase: 'steady' as const,
      records: workload.slice(0, PER_SHARD * 16),
      recordsPerShardSecond: SATURATED,
    }))
  return [
    ...[1, 2, 4, 8, 16].flatMap((shards) => catchUp(winnerView, shards)),
    ...[4, 10].flatMap((factor) => catchUp(winnerView, 1, factor)),
    ...[1, 16].flatMap((shards) => catchUp(categorySalesView, shards)),
    ...steady(winnerView),
    ...steady(categorySalesView),
  ]
}

/** Every case `runs` times, one run of all cases after the other, so a slow minute touches all. */
export const measureContentionRows = async (
  seed: number,
  runs: number,
): Promise<ContentionRow[][]> => {
  const cases = casesOf(generateWorkload({ events: PER_SHARD * 16, seed }))
  const results: ContentionRow[][] = cases.map(() => [])
  for (let run = 1; run <= runs; run += 1)
    for (const [at, c] of cases.entries()) {
      process.stderr.write(
        `running (${run}/${runs}): ${c.view.name}, ${c.aggregates}, ${c.shards} shards, factor ${c.factor}, ${c.phase}\n`,
      )
      results[at]?.push(await measureContention({ ...c, seed: run }))
    }
  return results
}

/** A figure of the runs: the median, and its range when the runs differ. */
export const spread = <Row>(rows: ReadonlyArray<Row>, figure: (row: Row) => number): string => {
  const values = rows.map(figure)
  const [low, high] = [Math.min(...values), Math.max(...values)]
  const text = (n: number) => n.toLocaleString('en-US')
  return low === high ? text(low) : `${text(percentile(values, 0.5))} (${text(low)}–${text(high)})`
}

/** The rows as the README shows them: one line a case, figures as median (range). */
export const contentionTable = (results: ReadonlyArray<ReadonlyArray<ContentionRow>>) => [
  [
    'view',
    'aggregates',
    'phase',
    'shards',
    'factor',
    'records/s',
    'conflicts/100 tx',
    'retries',
    'redeliveries',
    'p99 batch ms',
    'iterator age ms, first third → last third',
    'totals lag p99 ms',
    'write units per million',
    'equals fold',
  ],
  ...results.map((rows) => {
    const [first] = rows
    if (first === undefined) return []
    return [
      first.view,
      first.aggregates,
      first.phase,
      first.shards,
      first.factor,
      spread(rows, (r) => r.recordsPerSecond),
      spread(rows, (r) => r.conflictsPer100),
      spread(rows, (r) => r.retries),
      spread(rows, (r) => r.redeliveries),
      spread(rows, (r) => r.p99BatchMs),
      `${spread(rows, (r) => r.iteratorAgeMs.firstThird)} → ${spread(rows, (r) => r.iteratorAgeMs.lastThird)}`,
      first.totalsLagMs === undefined ? '-' : spread(rows, (r) => r.totalsLagMs?.p99 ?? 0),
      spread(rows, (r) => r.writeUnitsPerMillion),
      rows.every((r) => r.matchesPureFold) ? `yes (${rows.length})` : 'NO',
    ]
  }),
]
