import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { TableNames } from '../adapters/tables'
import {
  type CategoryTotals,
  leaderboard,
  readCategorySales,
  scanPages,
  topCategories,
} from './viewReader'

/** What the live page shows: the top of each role, the top categories and the totals. */
export interface Board {
  readonly creators: Awaited<ReturnType<typeof leaderboard>>
  readonly photographers: Awaited<ReturnType<typeof leaderboard>>
  /** From the category sales view: the categories with the most units sold. */
  readonly categories: ReadonlyArray<CategoryTotals>
  readonly totals: {
    readonly products: number
    readonly purchases: number
    readonly rejected: number
    /** The origin time of the newest event the view folded: how fresh the board is. */
    readonly newestFolded: string | null
  }
}

/**
 * Products, units sold and the newest folded event (the latest `updated`: the origin time
 * of each product's last folded event), reading only those attributes.
 */
const productTotals = async (client: DynamoDBDocumentClient, table: string) => {
  let products = 0
  let purchases = 0
  const times: string[] = []
  const input = { TableName: table, ProjectionExpression: 'purchases, updated' }
  await scanPages(client, input, (page) => {
    products += page.Count ?? 0
    for (const item of page.Items ?? []) {
      purchases += Number(item.purchases ?? 0)
      times.push(String(item.updated ?? ''))
    }
  })
  // By the instant, not the text: the codec allows offsets and fractions of a second.
  const instants = times.map((time) => Date.parse(time)).filter((ms) => !Number.isNaN(ms))
  const newest = instants.length === 0 ? null : new Date(Math.max(...instants)).toISOString()
  return { products, purchases, newestFolded: newest }
}

/** Rejected records; the parts of a split record are not records of their own. */
const rejectedCount = async (client: DynamoDBDocumentClient, table: string) => {
  let records = 0
  const input = {
    TableName: table,
    Select: 'COUNT' as const,
    FilterExpression: 'attribute_not_exists(partOf)',
  }
  await scanPages(client, input, (page) => {
    records += page.Count ?? 0
  })
  return records
}

/**
 * The board, read now: the leaderboards from the index, the categories and totals
 * scanned from the tables (cheap on the local stack; on a large deployed table each
 * refresh is a scan of Contributions).
 */
export const readBoard = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
  categorySalesTable: string,
  limit: number,
): Promise<Board> => {
  const [creators, photographers, categories, products, rejected] = await Promise.all([
    leaderboard(client, names, 'creator', limit),
    leaderboard(client, names, 'photographer', limit),
    readCategorySales(client, categorySalesTable),
    productTotals(client, names.contributions),
    rejectedCount(client, names.rejected),
  ])
  const top = topCategories(categories, limit)
  return { creators, photographers, categories: top, totals: { ...products, rejected } }
}
