import {
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import type { KinesisStreamEvent } from 'aws-lambda'
import type { TableNames } from '../src/adapters/tables'
import { leaderboardKeyOf, type Role } from '../src/domain/scores'

// The original workshop algorithm, rewritten with SDK v3 for a side-by-side measurement:
// per event a conditional update of the product keyed by the eventId *string*; on a
// purchase, a query of both role indexes and a rewrite of both score items from the sums
// (eventually consistent in DynamoDB); a bad record is logged and dropped.

interface Envelope {
  readonly origin: string
  readonly data: { readonly schema: string; readonly id: string }
}

const ROLE_OF_SCHEMA: Record<string, Role> = {
  'com.nordstrom/product/create/1-0-0': 'creator',
  'com.nordstrom/product/image/1-0-0': 'photographer',
}
const PURCHASE = 'com.nordstrom/product/purchase/1-0-0'
const INDEX_OF_ROLE: Record<Role, string> = {
  creator: 'ProductsByCreator',
  photographer: 'ProductsByPhotographer',
}

const isConditionFailure = (error: unknown): boolean =>
  (error as { name?: string }).name === 'ConditionalCheckFailedException'

/** Sets a role on the product unless an event with a larger eventId string was applied. */
const registerRole = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
  role: Role,
  envelope: Envelope,
  eventId: string,
) => {
  await client
    .send(
      new UpdateCommand({
        TableName: names.contributions,
        Key: { productId: envelope.data.id },
        UpdateExpression: 'SET #role = if_not_exists(#role, :user), lastEventId = :eventId',
        ConditionExpression: 'attribute_not_exists(lastEventId) OR lastEventId < :eventId',
        ExpressionAttributeNames: { '#role': role },
        ExpressionAttributeValues: { ':user': envelope.origin, ':eventId': eventId },
      }),
    )
    .catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error
    })
}

/** Recomputes a user's score in a role from the role's index: the sum of their products' purchases. */
const rewriteScore = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
  role: Role,
  userId: string,
) => {
  const page = await client.send(
    new QueryCommand({
      TableName: names.contributions,
      IndexName: INDEX_OF_ROLE[role],
      KeyConditionExpression: '#role = :user',
      ExpressionAttributeNames: { '#role': role },
      ExpressionAttributeValues: { ':user': userId },
    }),
  )
  const products = page.Items ?? []
  const score = products.reduce((sum, item) => sum + Number(item.purchases ?? 0), 0)
  await client.send(
    new PutCommand({
      TableName: names.scores,
      // The same item as the view's, leaderboard partition included, so that both pay
      // for the same index on Scores.
      Item: {
        userId,
        role,
        score,
        products: products.length,
        leaderboardKey: leaderboardKeyOf(role, userId),
      },
    }),
  )
}

const purchase = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
  envelope: Envelope,
  eventId: string,
) => {
  const updated = await client
    .send(
      new UpdateCommand({
        TableName: names.contributions,
        Key: { productId: envelope.data.id },
        UpdateExpression: 'ADD purchases :one SET lastEventId = :eventId',
        ConditionExpression: 'attribute_not_exists(lastEventId) OR lastEventId < :eventId',
        ExpressionAttributeValues: { ':one': 1, ':eventId': eventId },
        ReturnValues: 'ALL_NEW',
      }),
    )
    .catch((error: unknown) => {
      if (isConditionFailure(error)) return undefined
      throw error
    })
  const item = updated?.Attributes ?? {}
  for (const role of ['creator', 'photographer'] as const) {
    if (typeof item[role] === 'string') await rewriteScore(client, names, role, item[role])
  }
}

const parseEnvelope = (data: string): Envelope | undefined => {
  try {
    return JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as Envelope
  } catch {
    return undefined // the original logged and dropped such a record
  }
}

const applyEvent = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
  envelope: Envelope,
  eventId: string,
) => {
  const role = ROLE_OF_SCHEMA[envelope.data?.schema]
  if (role !== undefined) await registerRole(client, names, role, envelope, eventId)
  else if (envelope.data?.schema === PURCHASE) await purchase(client, names, envelope, eventId)
}

/** A Lambda handler with the original algorithm: the events of a batch one after another. */
export const makeBaselineHandler =
  (client: DynamoDBDocumentClient, names: TableNames) => async (event: KinesisStreamEvent) => {
    for (const record of event.Records) {
      const envelope = parseEnvelope(record.kinesis.data)
      if (envelope !== undefined) await applyEvent(client, names, envelope, record.eventID)
    }
    return undefined
  }
