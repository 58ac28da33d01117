import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { RetryPolicy } from '../../src/adapters/backoff'
import { makeDocumentClient, makeDynamoStore } from '../../src/adapters/dynamoStore'
import { type TableNames, tableNamesFor } from '../../src/adapters/tables'
import type { Store } from '../../src/handlers/store'
import { createViewTables, LOCAL_AWS, localDynamoClient } from '../../src/local/dynamodbLocal'

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
  stages += 1
  const names = tableNamesFor(`t${process.pid}x${stages}x${Date.now() % 100000}`)
  const client = localDynamoClient(dynamoEndpoint())
  await createViewTables(client, names)
  client.destroy()
  return names
}

/** Fast retries for tests: the behaviour is the same, the waits are shorter. */
export const quickRetry: RetryPolicy = { maxAttempts: 6, baseDelayMs: 2, maxDelayMs: 20 }

export const storeFor = (client: DynamoDBDocumentClient, names: TableNames): Store =>
  makeDynamoStore({ client, names, retry: quickRetry })
