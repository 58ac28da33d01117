import { type DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb'
import type { TableNames } from '../adapters/tables'
import type { Role } from '../domain/scores'
import { queryAll, withoutApplied } from './viewReader'

type Item = Record<string, unknown>

/** A product's Contributions item, read consistently; undefined when the view has none. */
export const productItem = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
  productId: string,
): Promise<Item | undefined> =>
  (
    await client.send(
      new GetCommand({ TableName: names.contributions, Key: { productId }, ConsistentRead: true }),
    )
  ).Item

const INDEX_OF_ROLE: Record<Role, string> = {
  creator: 'ProductsByCreator',
  photographer: 'ProductsByPhotographer',
}

/** A user's products in one role, through that role's index (eventually consistent). */
const productsOf = (
  client: DynamoDBDocumentClient,
  names: TableNames,
  userId: string,
  role: Role,
) =>
  queryAll(client, {
    TableName: names.contributions,
    IndexName: INDEX_OF_ROLE[role],
    KeyConditionExpression: '#user = :user',
    ExpressionAttributeNames: { '#user': role },
    ExpressionAttributeValues: { ':user': userId },
  })

export interface UserView {
  readonly scores: Item[]
  readonly products: Record<Role, Item[]>
}

/** A user's Scores items and, through the indexes, their products; undefined if none. */
export const userView = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
  userId: string,
): Promise<UserView | undefined> => {
  const [scores, creator, photographer] = await Promise.all([
    queryAll(client, {
      TableName: names.scores,
      KeyConditionExpression: 'userId = :user',
      ExpressionAttributeValues: { ':user': userId },
      ConsistentRead: true,
    }),
    productsOf(client, names, userId, 'creator'),
    productsOf(client, names, userId, 'photographer'),
  ])
  const byId = (a: Item, b: Item) => String(a.productId).localeCompare(String(b.productId), 'en')
  if (scores.length === 0 && creator.length === 0 && photographer.length === 0) return undefined
  return {
    scores: scores.map(withoutApplied),
    products: { creator: creator.sort(byId), photographer: photographer.sort(byId) },
  }
}

/** The last part of a user id, as the page shows it (`…/Photographer/+1206…/ada-0` → `ada-0`). */
export const shortNameOf = (userId: string): string => userId.slice(userId.lastIndexOf('/') + 1)

/**
 * The user ids the view knows whose whole id or short name is `name`, from the Scores
 * table (one item per user and role; scanned, as the local stack's tables are small).
 */
export const usersNamed = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
  name: string,
): Promise<string[]> =>
  (await userIds(client, names)).filter((id) => id === name || shortNameOf(id) === name)

/** Every user id the Scores table holds, sorted (scanned: the local stack's tables are small). */
export const userIds = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
): Promise<string[]> => {
  const ids = new Set<string>()
  let start: Item | undefined
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: names.scores,
        ProjectionExpression: 'userId',
        ExclusiveStartKey: start,
      }),
    )
    for (const item of page.Items ?? []) ids.add(String(item.userId))
    start = page.LastEvaluatedKey
  } while (start !== undefined)
  return [...ids].sort()
}
