import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { TableNames } from '../adapters/tables'
import { leaderboard, scanPages } from './viewReader'

/** What the live page shows: the top of each role and the totals. */
export interface Board {
  readonly creators: Awaited<ReturnType<typeof leaderboard>>
  readonly photographers: Awaited<ReturnType<typeof leaderboard>>
  readonly totals: {
    readonly products: number
    readonly purchases: number
    readonly rejected: number
  }
}

/** Products and units sold, reading only `purchases`. */
const productTotals = async (client: DynamoDBDocumentClient, table: string) => {
  let products = 0
  let purchases = 0
  await scanPages(client, { TableName: table, ProjectionExpression: 'purchases' }, (page) => {
    products += page.Count ?? 0
    for (const item of page.Items ?? []) purchases += Number(item.purchases ?? 0)
  })
  return { products, purchases }
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
 * The board, read now: the leaderboards from the index, and totals scanned from the
 * tables (cheap on the local stack; on a large deployed table each refresh is a scan).
 */
export const readBoard = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
  limit: number,
): Promise<Board> => {
  const [creators, photographers, products, rejected] = await Promise.all([
    leaderboard(client, names, 'creator', limit),
    leaderboard(client, names, 'photographer', limit),
    productTotals(client, names.contributions),
    rejectedCount(client, names.rejected),
  ])
  return { creators, photographers, totals: { ...products, rejected } }
}
