import {
  ConditionalCheckFailedException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb'
import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { sortableSequence } from '../domain/position'
import { type FreshnessMark, MARK_SHARD } from './marks'

// Freshness marks on DynamoDB, apart from their table's definition (`marks.ts`), which
// every view's table list carries: a function that only names tables loads no SDK.

/** A stored mark, or undefined when the item is not one (written by another program). */
export const markFromItem = (item: Record<string, unknown>): FreshnessMark | undefined => {
  const { shardId, sequenceNumber, arrivedAtMs, firstSequenceNumber } = item
  return typeof shardId === 'string' &&
    typeof sequenceNumber === 'string' &&
    typeof arrivedAtMs === 'number' &&
    typeof firstSequenceNumber === 'string'
    ? { shardId, sequenceNumber, arrivedAtMs, firstSequenceNumber }
    : undefined
}

/**
 * Stores a shard's mark unless a later one is stored already: batches of a shard may end
 * out of order (a retry, a zombie invocation), and a mark never moves back. The first
 * record is kept from the first mark stored (if_not_exists): where the view's history of
 * the shard begins.
 */
export const putMark = async (
  client: DynamoDBDocumentClient,
  table: string,
  mark: FreshnessMark,
  markedAtMs = Date.now(),
): Promise<void> => {
  try {
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: { [MARK_SHARD]: mark.shardId },
        UpdateExpression:
          'SET sequenceNumber = :n, sortableSequence = :s, arrivedAtMs = :a, markedAtMs = :m, firstSequenceNumber = if_not_exists(firstSequenceNumber, :f)',
        ConditionExpression: 'attribute_not_exists(sortableSequence) OR sortableSequence <= :s',
        ExpressionAttributeValues: {
          ':n': mark.sequenceNumber,
          ':s': sortableSequence(mark.sequenceNumber),
          ':a': mark.arrivedAtMs,
          ':m': markedAtMs,
          ':f': mark.firstSequenceNumber,
        },
      }),
    )
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error
  }
}

/** Every shard's mark in a marks table, by a scan (one item per shard). */
const scanMarks = async (client: DynamoDBDocumentClient, table: string) => {
  const items: Record<string, unknown>[] = []
  let start: Record<string, unknown> | undefined
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
    )
    items.push(...(page.Items ?? []))
    start = page.LastEvaluatedKey
  } while (start !== undefined)
  return items
}

/**
 * Every shard's mark of a view's version, by shard; none when the version has no marks
 * table (deployed before marks were kept: it has marked nothing).
 */
export const readMarks = async (
  client: DynamoDBDocumentClient,
  table: string,
): Promise<FreshnessMark[]> => {
  const items = await scanMarks(client, table).catch((error: unknown) => {
    if (error instanceof ResourceNotFoundException) return []
    throw error
  })
  return items
    .map(markFromItem)
    .filter((mark) => mark !== undefined)
    .sort((a, b) => a.shardId.localeCompare(b.shardId))
}
