import { DeleteTableCommand } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { type TableNames, tableNamesFor } from '../../src/adapters/tables'
import type { ProductState } from '../../src/domain/product'
import { createViewTables, LOCAL_AWS, localDynamoClient } from '../../src/local/dynamodbLocal'
import { makeTotalsPump } from '../../src/local/totalsPump'
import { readView, type ViewContents } from '../../src/local/viewReader'
import type { RetryPolicy } from '../../src/runtime/backoff'
import { makeDocumentClient, makeDynamoStore } from '../../src/runtime/dynamoStore'
import type { Store } from '../../src/runtime/store'
import type { AnyView, ViewTableNames } from '../../src/runtime/view'
import { winnerView } from '../../src/views/winner'

/** The DynamoDB Local that the test setup started. */
export const dynamoEndpoint = (): string => {
  const endpoint = process.env.WINNER_VIEW_TEST_DYNAMODB
  if (endpoint === undefined)
    throw new Error('WINNER_VIEW_TEST_DYNAMODB is not set: run through jest --selectProjects int')
  return endpoint
}

export const testClient = (): DynamoDBDocumentClient =>
  makeDocumentClient({ ...LOCAL_AWS, endpoint: dynamoEndpoint() })

let stages = 0

/** A new set of the view's tables under a stage of their own, so test files never share. */
export const freshTables = async (): Promise<TableNames> => {
  const names = tableNamesFor(freshStage())
  await createTablesOf(winnerView, names)
  return names
}

/** A stage no other test uses. */
export const freshStage = (): string => {
  stages += 1
  return `t${process.pid}x${stages}x${Date.now() % 100000}`
}

/** The tables this test file created (each file loads this module afresh). */
const created: string[] = []

/** Creates a view's tables under the given names on the test's DynamoDB Local. */
export const createTablesOf = async (view: AnyView, names: ViewTableNames): Promise<void> => {
  const client = localDynamoClient(dynamoEndpoint())
  await createViewTables(client, view, names)
  created.push(...Object.values(names))
  client.destroy()
}

/**
 * Deletes the tables this file created, once it is done: DynamoDB Local slows down as
 * tables with streams pile up over a run, so that files late in the run took twice as long.
 */
export const dropCreatedTables = async (): Promise<void> => {
  if (created.length === 0) return
  const client = localDynamoClient(dynamoEndpoint())
  for (const TableName of created.splice(0))
    await client.send(new DeleteTableCommand({ TableName })).catch(() => {})
  client.destroy()
}

/** Fast retries for tests: the behaviour is the same, the waits are shorter. */
export const quickRetry: RetryPolicy = { maxAttempts: 6, baseDelayMs: 2, maxDelayMs: 20 }

/** The winner view's store on the test's tables, with fast retries. */
export const storeFor = (client: DynamoDBDocumentClient, names: TableNames): Store<ProductState> =>
  makeDynamoStore(winnerView, { client, names, retry: quickRetry })

/**
 * Moves the view's totals as its totals stage does on AWS once the handler has written
 * (every change of the partials' stream, from the oldest: the stage is idempotent).
 */
export const settleTotals = async (
  client: DynamoDBDocumentClient,
  view: AnyView,
  names: ViewTableNames,
): Promise<void> => {
  await makeTotalsPump({ dynamo: client, view, names }).drain()
}

/** The winner view's tables once its totals stage has moved the totals. */
export const readSettled = async (
  client: DynamoDBDocumentClient,
  names: TableNames,
): Promise<ViewContents> => {
  await settleTotals(client, winnerView, names)
  return readView(client, names)
}
