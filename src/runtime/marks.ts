import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb'
import { type DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb'
import type { KinesisStreamRecord } from 'aws-lambda'
import { compareSequenceNumbers, sortableSequence } from '../domain/position'
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

/** A mark as stored: the shard, its sequence number and, for the condition, its sortable form. */
export const markToItem = (mark: FreshnessMark, markedAtMs: number) => ({
  [MARK_SHARD]: mark.shardId,
  sequenceNumber: mark.sequenceNumber,
  sortableSequence: sortableSequence(mark.sequenceNumber),
  arrivedAtMs: mark.arrivedAtMs,
  markedAtMs,
})

/** A stored mark, or undefined when the item is not one (written by another program). */
export const markFromItem = (item: Record<string, unknown>): FreshnessMark | undefined => {
  const { shardId, sequenceNumber, arrivedAtMs } = item
  return typeof shardId === 'string' &&
    typeof sequenceNumber === 'string' &&
    typeof arrivedAtMs === 'number'
    ? { shardId, sequenceNumber, arrivedAtMs }
    : undefined
}

/**
 * Stores a shard's mark unless a later one is stored already: batches of a shard may end
 * out of order (a retry, a zombie invocation), and a mark never moves back.
 */
export const putMark = async (
  client: DynamoDBDocumentClient,
  table: string,
  mark: FreshnessMark,
  markedAtMs = Date.now(),
): Promise<void> => {
  try {
    await client.send(
      new PutCommand({
        TableName: table,
        Item: markToItem(mark, markedAtMs),
        ConditionExpression: 'attribute_not_exists(sortableSequence) OR sortableSequence <= :s',
        ExpressionAttributeValues: { ':s': sortableSequence(mark.sequenceNumber) },
      }),
    )
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error
  }
}

/** Every shard's mark of a view's version, by a scan (one item per shard). */
export const readMarks = async (
  client: DynamoDBDocumentClient,
  table: string,
): Promise<FreshnessMark[]> => {
  const marks: FreshnessMark[] = []
  let start: Record<string, unknown> | undefined
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
    )
    for (const item of page.Items ?? []) {
      const mark = markFromItem(item)
      if (mark !== undefined) marks.push(mark)
    }
    start = page.LastEvaluatedKey
  } while (start !== undefined)
  return marks.sort((a, b) => a.shardId.localeCompare(b.shardId))
}
