import { startDynamoDbLocal } from '../../src/local/dynamodbLocal'

/** Starts one in-memory DynamoDB Local for the integration tests; each test file uses its own tables. */
export default async (): Promise<void> => {
  const dynamo = await startDynamoDbLocal()
  process.env.WINNER_VIEW_TEST_DYNAMODB = dynamo.endpoint
  ;(globalThis as { stopDynamo?: () => Promise<void> }).stopDynamo = dynamo.stop
}
