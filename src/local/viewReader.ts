import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb'
import { type DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb'
import type { TableNames } from '../adapters/tables'
import { leaderboardKeysOf, type Role } from '../domain/scores'
import { markFromItem } from '../runtime/dynamoMarks'
import type { FreshnessMark } from '../runtime/marks'
import { withoutApplied } from '../runtime/totals'
import { assembleRejected, type RejectedView } from './rejectedReader'

type Item = Record<string, unknown>

/** A page of a scan: how many items matched, and those it returned. */
export interface ScanPage {
  readonly Count?: number | undefined
  readonly Items?: Item[] | undefined
}

/** Scans a table page by page, handing each page over. */
export const scanPages = async (
  client: DynamoDBDocumentClient,
  input: ScanCommand['input'],
  onPage: (page: ScanPage) => void,
): Promise<void> => {
  let start: Item | undefined
  do {
    const page = await client.send(new ScanCommand({ ...input, ExclusiveStartKey: start }))
    onPage(page)
    start = page.LastEvaluatedKey
  } while (start !== undefined)
}

/** Every item of a table (consistent reads: right after the last batch). */
export const scanAll = async (client: DynamoDBDocumentClient, table: string): Promise<Item[]> => {
  const items: Item[] = []
  await scanPages(client, { TableName: table, ConsistentRead: true }, (page) => {
    items.push(...(page.Items ?? []))
  })
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
  const items = await scanAll(client, table).catch((error: unknown) => {
    if (error instanceof ResourceNotFoundException) return []
    throw error
  })
  return items
    .map(markFromItem)
    .filter((mark) => mark !== undefined)
    .sort((a, b) => a.shardId.localeCompare(b.shardId))
}

const byKeys =
  (...keys: string[]) =>
  (a: Item, b: Item): number => {
    for (const key of keys) {
      const order = String(a[key]).localeCompare(String(b[key]), 'en')
      if (order !== 0) return order
    }
    return 0
  }

/** Rejected records from a whole scan of a Rejected table, by eventId. */
const rejectedRecordsOf = (items: ReadonlyArray<Item>): RejectedView[] =>
  assembleRejected(items).sort((a, b) => a.eventId.localeCompare(b.eventId, 'en'))

/** Every rejected record of a Rejected table, its parts joined, by eventId. */
export const readRejectedRecords = async (
  client: DynamoDBDocumentClient,
  table: string,
): Promise<RejectedView[]> => rejectedRecordsOf(await scanAll(client, table))

/** The whole view as stored: contributions by productId, scores by userId then role, rejected by eventId. */
export interface ViewContents {
  readonly contributions: Item[]
  readonly scores: Item[]
  readonly rejected: RejectedView[]
}

export { withoutApplied } from '../runtime/totals'

/** Reads the three tables whole, each sorted as ViewContents says. */
export const readView = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
): Promise<ViewContents> => {
  const [contributions, scores, rejected] = await Promise.all([
    scanAll(client, names.contributions),
    scanAll(client, names.scores),
    scanAll(client, names.rejected),
  ])
  return {
    contributions: contributions.sort(byKeys('productId')),
    // The leaderboard partition is where the index files a score, not part of the view.
    scores: scores
      .map(({ leaderboardKey, ...score }) => withoutApplied(score))
      .sort(byKeys('userId', 'role')),
    rejected: rejectedRecordsOf(rejected),
  }
}

/** The category sales view as stored: products by productId, categories by key, rejected by eventId. */
export interface CategoryContents {
  readonly categoryProducts: Item[]
  readonly categorySales: Item[]
  readonly rejected: RejectedView[]
}

/** Reads the category sales view's three tables whole, each sorted as CategoryContents says. */
export const readCategoryView = async (
  client: DynamoDBDocumentClient,
  names: Readonly<Record<string, string>>,
): Promise<CategoryContents> => {
  const [categoryProducts, categorySales, rejected] = await Promise.all([
    scanAll(client, names.categoryProducts ?? ''),
    scanAll(client, names.categorySales ?? ''),
    scanAll(client, names.categoryRejected ?? ''),
  ])
  return {
    categoryProducts: categoryProducts.sort(byKeys('productId')),
    categorySales: categorySales.map(withoutApplied).sort(byKeys('categoryKey')),
    rejected: rejectedRecordsOf(rejected),
  }
}

/** A user's entry in a role's leaderboard. */
export interface LeaderboardEntry {
  readonly userId: string
  readonly score: number
  readonly products: number
}

/** Highest score first; equal scores by user id, so that the order never depends on a partition. */
const byScore = (a: LeaderboardEntry, b: LeaderboardEntry): number =>
  b.score - a.score || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0)

/** Every item a query matches, page by page. */
export const queryAll = async (
  client: DynamoDBDocumentClient,
  input: QueryCommand['input'],
): Promise<Item[]> => {
  const items: Item[] = []
  let start: Item | undefined
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }))
    items.push(...(page.Items ?? []))
    start = page.LastEvaluatedKey
  } while (start !== undefined)
  return items
}

/**
 * One leaderboard partition's top `limit` by score, and every user tied with the last of
 * them: the index orders equal scores in no set way, so a cut at `limit` alone could drop
 * a user who comes first among them by user id.
 */
export const topOfPartition = async (
  client: DynamoDBDocumentClient,
  table: string,
  key: string,
  limit: number,
): Promise<Item[]> => {
  const query = {
    TableName: table,
    IndexName: 'Leaderboard',
    KeyConditionExpression: 'leaderboardKey = :key',
    ExpressionAttributeValues: { ':key': key },
    ScanIndexForward: false,
  }
  const first = await client.send(new QueryCommand({ ...query, Limit: limit }))
  const items = first.Items ?? []
  const cut = items[limit - 1]
  if (cut === undefined || first.LastEvaluatedKey === undefined) return items
  return queryAll(client, {
    ...query,
    KeyConditionExpression: 'leaderboardKey = :key AND score >= :cut',
    ExpressionAttributeValues: { ':key': key, ':cut': cut.score },
  })
}

/**
 * The leaderboard of one role: the top users by score, ties by user id. The Leaderboard
 * index spreads a role over LEADERBOARD_PARTITIONS partitions (`role#k`); the top `limit`
 * of each (with those tied at its cut), read at once, merged, hold the top `limit` of the role.
 */
export const leaderboard = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
  role: Role,
  limit: number,
): Promise<LeaderboardEntry[]> => {
  const partitions = await Promise.all(
    leaderboardKeysOf(role).map((key) => topOfPartition(client, names.scores, key, limit)),
  )
  return partitions
    .flat()
    .map((item) => ({
      userId: String(item.userId),
      score: Number(item.score),
      products: Number(item.products),
    }))
    .sort(byScore)
    .slice(0, limit)
}

/** A category's totals as the category sales view keeps them. */
export interface CategoryTotals {
  readonly category: string
  readonly unitsSold: number
  readonly products: number
}

/** Every category's totals from the CategorySales table, by category (the table is small: one item a category). */
export const readCategorySales = async (
  client: DynamoDBDocumentClient,
  table: string,
): Promise<CategoryTotals[]> =>
  (await scanAll(client, table))
    .map((item) => ({
      category: String(item.category),
      unitsSold: Number(item.unitsSold),
      products: Number(item.products),
    }))
    .sort((a, b) => a.category.localeCompare(b.category, 'en'))

/** The categories that sold the most units, most first (ties by category). */
export const topCategories = (
  totals: ReadonlyArray<CategoryTotals>,
  limit: number,
): CategoryTotals[] =>
  [...totals]
    .sort(
      (a, b) =>
        b.unitsSold - a.unitsSold ||
        (a.category < b.category ? -1 : a.category > b.category ? 1 : 0),
    )
    .slice(0, limit)
