import type { KinesisStreamRecord } from 'aws-lambda'
import { compareSequenceNumbers } from '../domain/position'
import { shardIdOf } from './kinesisRecord'
import type { TableDefinition } from './tables'
import type { AnyView, ViewTable } from './view'

// The items' attribute names are a storage format: never rename one, version it.

/**
 * How far a view has folded one shard: the last record it finished (folded, skipped or
 * kept in Rejected) and when that record arrived in the stream. A version of a view is
 * caught up when its marks have reached the live version's (`laggingShards`).
 */
export interface FreshnessMark {
  readonly shardId: string
  readonly sequenceNumber: string
  /** The record's approximate arrival in the stream, in ms since the epoch. */
  readonly arrivedAtMs: number
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
  const unfinishedAt =
    failedFrom === null
      ? records.length
      : records.findIndex((r) => r.kinesis.sequenceNumber === failedFrom)
  const last = records[(unfinishedAt < 0 ? records.length : unfinishedAt) - 1]
  if (last === undefined) return undefined
  return {
    shardId: shardIdOf(last),
    sequenceNumber: last.kinesis.sequenceNumber,
    // Lambda gives the arrival in seconds, with a fraction.
    arrivedAtMs: Math.round(last.kinesis.approximateArrivalTimestamp * 1000),
  }
}

/** A shard where a candidate version trails the live one, and by how much. */
export interface Lag {
  readonly shardId: string
  readonly live: FreshnessMark
  readonly candidate: FreshnessMark | undefined
}

/**
 * The switch's rule: the shards the live version has folded from where the candidate
 * trails it, by position, by more than `maxLagMs` of arrival time. A shard the candidate
 * has not folded from at all trails it. A shard only the candidate has folded from never
 * holds it back (the live version may have stalled: switching away is the cure).
 */
export const laggingShards = (
  live: ReadonlyArray<FreshnessMark>,
  candidate: ReadonlyArray<FreshnessMark>,
  maxLagMs: number,
): Lag[] => {
  const candidateOf = new Map(candidate.map((mark) => [mark.shardId, mark]))
  return live
    .map((mark) => ({
      shardId: mark.shardId,
      live: mark,
      candidate: candidateOf.get(mark.shardId),
    }))
    .filter(
      ({ live: l, candidate: c }) =>
        c === undefined ||
        (compareSequenceNumbers(c.sequenceNumber, l.sequenceNumber) < 0 &&
          l.arrivedAtMs - c.arrivedAtMs > maxLagMs),
    )
}
