import {
  ConditionalCheckFailedException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb'
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { type TableDefinition, tableNameFor } from './tables'

// The items' attribute names are a storage format: never rename one, version it.

/**
 * Versions of a stage's views. Version 1 is the stage's own tables; version n after it
 * is a stage of its own, `${stage}-v${n}`, with its own tables, consumers and (on AWS) its
 * own deployment, reading the same stream. Readers follow the stage's pointer to its live
 * version; `winner-view switch` moves the pointer once the new version has caught up.
 */
export const MAX_VERSION = 999

/** The stage whose tables hold a version of a stage: the stage itself for 1. */
export const versionStageOf = (stage: string, version: number): string =>
  version === 1 ? stage : `${stage}-v${version}`

/** The pointer's table of a stage, one item: `winner-view-${stage}-Live`. */
export const liveTableFor = (stage: string): string => tableNameFor(stage, 'Live')

export const liveTable: TableDefinition = {
  AttributeDefinitions: [{ AttributeName: 'stage', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'stage', KeyType: 'HASH' }],
}

/** Which version of a stage readers see, and since when; version 1 until a first switch. */
export interface LivePointer {
  readonly version: number
  readonly switchedAtMs?: number
  readonly previous?: number
}

/** Whether a number is a version: a whole number from 1 to MAX_VERSION. */
export const isVersion = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_VERSION

/**
 * The stage's pointer: version 1 when there is no pointer (no table, or no item), the
 * stored one otherwise. An item that names no version fails loudly: readers never guess.
 */
export const readLivePointer = async (
  client: DynamoDBDocumentClient,
  stage: string,
): Promise<LivePointer> => {
  const table = liveTableFor(stage)
  try {
    const { Item } = await client.send(
      new GetCommand({ TableName: table, Key: { stage }, ConsistentRead: true }),
    )
    if (Item === undefined) return { version: 1 }
    const { version, switchedAtMs, previous } = Item
    if (!isVersion(version))
      throw new Error(
        `${table}: the pointer of stage ${stage} names no version (${JSON.stringify(version)})`,
      )
    return {
      version,
      ...(typeof switchedAtMs === 'number' ? { switchedAtMs } : {}),
      ...(isVersion(previous) ? { previous } : {}),
    }
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return { version: 1 }
    throw error
  }
}

/**
 * Moves the stage's pointer from version `from` to `to`, on the condition that it is still
 * at `from`: two switches at once cannot both think they moved it from the same place.
 */
export const moveLivePointer = async (
  client: DynamoDBDocumentClient,
  stage: string,
  from: number,
  to: number,
  now = Date.now(),
): Promise<LivePointer> => {
  const pointer = { version: to, switchedAtMs: now, previous: from }
  try {
    await client.send(
      new PutCommand({
        TableName: liveTableFor(stage),
        Item: { stage, ...pointer },
        // No item is version 1: the first switch finds none.
        ConditionExpression:
          from === 1 ? 'attribute_not_exists(stage) OR version = :from' : 'version = :from',
        ExpressionAttributeValues: { ':from': from },
      }),
    )
    return pointer
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException)
      throw new Error(
        `the live version of stage ${stage} is no longer ${from}: another switch moved it; run switch again`,
      )
    throw error
  }
}
