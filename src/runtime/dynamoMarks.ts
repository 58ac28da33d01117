import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb'
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { sortableSequence } from '../domain/position'
import { type FreshnessMark, MARK_SHARD } from './marks'

// Freshness marks on DynamoDB, apart from their table's definition (`marks.ts`), which
// every view's table list carries: a function that only names tables loads no SDK. Their
// reader, which only the CLI needs, is `readMarks` in src/local/viewReader.ts.

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
