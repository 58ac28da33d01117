import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { SERVICE, type TableDefinition } from '../runtime/tables'

/** Where a shard's consumer stands: the last record handed over, and whether the shard is done. */
export interface Checkpoint {
  readonly shardId: string
  readonly sequenceNumber?: string
  readonly finished: boolean
}

export interface CheckpointStore {
  readonly load: () => Promise<Map<string, Checkpoint>>
  readonly save: (checkpoint: Checkpoint) => Promise<void>
}

const checkpointOf = (item: Record<string, unknown>): Checkpoint => ({
  shardId: String(item.shardId),
  ...(typeof item.sequenceNumber === 'string' ? { sequenceNumber: item.sequenceNumber } : {}),
  finished: item.finished === true,
})

/** Checkpoints of one stream in a DynamoDB table, so that a second run resumes. */
export const dynamoCheckpoints = (
  client: DynamoDBDocumentClient,
  table: string,
  streamName: string,
): CheckpointStore => ({
  load: async () => {
    const found = new Map<string, Checkpoint>()
    let start: Record<string, unknown> | undefined
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'streamName = :stream',
          ExpressionAttributeValues: { ':stream': streamName },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      )
      for (const checkpoint of (page.Items ?? []).map(checkpointOf)) {
        found.set(checkpoint.shardId, checkpoint)
      }
      start = page.LastEvaluatedKey
    } while (start !== undefined)
    return found
  },
  save: async (checkpoint) => {
    await client.send(new PutCommand({ TableName: table, Item: { streamName, ...checkpoint } }))
  },
})

/**
 * The local poller's checkpoints: per stream and shard, the last sequence number handed
 * over, and whether the shard is closed and read to its end. Lambda keeps these itself,
 * so the deployment has no such table.
 */
export const checkpointsTable: TableDefinition = {
  AttributeDefinitions: [
    { AttributeName: 'streamName', AttributeType: 'S' },
    { AttributeName: 'shardId', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'streamName', KeyType: 'HASH' },
    { AttributeName: 'shardId', KeyType: 'RANGE' },
  ],
}

/** The checkpoints table of a stage. */
export const checkpointsTableFor = (stage: string): string => `${SERVICE}-${stage}-Checkpoints`
