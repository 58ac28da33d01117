import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { TableNames } from '../src/adapters/tables'
import { readView, scanAll, withoutApplied } from '../src/local/viewReader'
import type { ViewTableNames } from '../src/runtime/view'
import { categorySalesView } from '../src/views/categorySales'
import { winnerView } from '../src/views/winner'
import { atLeastOnceLaws } from './support/atLeastOnce'
import { tablesOf, withoutPositions } from './support/normalize'
import { oracleCategoryTables, oracleRecordsOfKinesis, oracleTables } from './support/oracle'

jest.setTimeout(60_000)

const byText = (attribute: string) => (a: Record<string, unknown>, b: Record<string, unknown>) =>
  String(a[attribute]).localeCompare(String(b[attribute]), 'en')

/** The category sales view's tables as stored, in its oracle's terms. */
const storedCategoryTables = async (client: DynamoDBDocumentClient, names: ViewTableNames) => {
  const [products, sales, rejected] = await Promise.all(
    ['categoryProducts', 'categorySales', 'categoryRejected'].map((role) =>
      scanAll(client, names[role] ?? role),
    ),
  )
  return {
    categoryProducts: (products ?? []).map(withoutPositions).sort(byText('productId')),
    categorySales: (sales ?? []).map(withoutApplied).sort(byText('category')),
    rejected: rejected?.length,
  }
}

atLeastOnceLaws({
  view: winnerView,
  stored: async (client, names) => tablesOf(await readView(client, names as TableNames)),
  expected: (records) => oracleTables(oracleRecordsOfKinesis(records)),
})

atLeastOnceLaws({
  view: categorySalesView,
  stored: storedCategoryTables,
  expected: (records) => oracleCategoryTables(oracleRecordsOfKinesis(records)),
})
