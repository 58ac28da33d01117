import type { KinesisStreamRecord } from 'aws-lambda'
import { compareSequenceNumbers } from '../domain/position'
import { shardIdOf } from './kinesisRecord'
import type { TableDefinition } from './tables'
import type { AnyView, ViewTable } from './view'

// The items' attribute names are a storage format: never rename one, version it.

/**
 * How far a view has folded one shard: the last record it finished (folded, skipped or
 * kept in Rejected) and when that record arrived in the stream, and the first record it
 * folded from the shard. A version of a view is caught up when its marks have reached the
 * live version's, from no later a start (`laggingShards`).
 */
export interface FreshnessMark {
  readonly shardId: string
  readonly sequenceNumber: string
  /** The record's approximate arrival in the stream, in ms since the epoch. */
  readonly arrivedAtMs: number
  /** The first record the view folded from the shard: where its history of it begins. */
  readonly firstSequenceNumber: string
}

/** The role of a view's freshness marks, one item per shard. */
export const MARKS_ROLE = 'marks'
export const MARK_SHARD = 'shardId'

/** One item per shard the view has folded from. */
export const marksTable: TableDefinition = {
  AttributeDefinitions: [{ AttributeName: MARK_SHARD, AttributeType: 'S' }],
  KeySchema: [{ AttributeName: MARK_SHARD, KeyType: 'HASH' }],
}

/** A view's marks table, named after its state table: every view has one. */
export const marksTableOf = (view: AnyView): ViewTable => ({
  role: MARKS_ROLE,
  suffix: `${view.tables.state.suffix}Marks`,
  definition: marksTable,
})

/**
 * A batch's mark: its last record before the first unfinished one (Lambda delivers that
 * one again, and every record after it); none when the first record is unfinished.
 */
export const markOfBatch = (
  records: ReadonlyArray<KinesisStreamRecord>,
  failedFrom: string | null,
): FreshnessMark | undefined => {
  // A failure that names no record of the batch leaves all of it to come again.
  const unfinishedAt =
    failedFrom === null
      ? records.length
      : records.findIndex((r) => r.kinesis.sequenceNumber === failedFrom)
  const first = records[0]
  const last = records[unfinishedAt - 1]
  if (first === undefined || last === undefined) return undefined
  return {
    shardId: shardIdOf(last),
    sequenceNumber: last.kinesis.sequenceNumber,
    // Lambda gives the arrival in seconds, with a fraction.
    arrivedAtMs: Math.round(last.kinesis.approximateArrivalTimestamp * 1000),
    firstSequenceNumber: first.kinesis.sequenceNumber,
  }
}

/** A shard where a candidate version trails the live one, and how. */
export interface Lag {
  readonly shardId: string
  /** Never folded from it; began later in it (it misses history the live one has); behind. */
  readonly how: 'not folded' | 'starts later' | 'behind'
  readonly live: FreshnessMark
  readonly candidate: FreshnessMark | undefined
}

/** How a candidate's mark of a shard trails the live one's, if it does. */
const lagOf = (
  live: FreshnessMark,
  candidate: FreshnessMark | undefined,
  maxLagMs: number,
): Lag['how'] | undefined => {
  if (candidate === undefined) return 'not folded'
  if (compareSequenceNumbers(candidate.firstSequenceNumber, live.firstSequenceNumber) > 0)
    return 'starts later'
  const behind = compareSequenceNumbers(candidate.sequenceNumber, live.sequenceNumber) < 0
  return behind && live.arrivedAtMs - candidate.arrivedAtMs > maxLagMs ? 'behind' : undefined
}

/**
 * The switch's rule: the shards the live version has folded from where the candidate
 * trails it: it has not folded from the shard, or began later in it (a version deployed
 * from TRIM_HORIZON after records expired misses them), or is behind by position and by
 * more than `maxLagMs` of arrival time. A shard only the candidate has folded from never
 * holds it back (the live version may have stalled: switching away is the cure).
 */
export const laggingShards = (
  live: ReadonlyArray<FreshnessMark>,
  candidate: ReadonlyArray<FreshnessMark>,
  maxLagMs: number,
): Lag[] => {
  const candidateOf = new Map(candidate.map((mark) => [mark.shardId, mark]))
  return live.flatMap((l) => {
    const c = candidateOf.get(l.shardId)
    const how = lagOf(l, c, maxLagMs)
    return how === undefined ? [] : [{ shardId: l.shardId, how, live: l, candidate: c }]
  })
}
