import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDynamoDbLocal } from '../../src/local/dynamodbLocal'

/**
 * Starts one in-memory DynamoDB Local for the integration tests; each test file uses its
 * own tables. The CLI's local stack home is a folder of the run's own, so that a stack a
 * developer left up (`winner-view up`) is never read or written by a test.
 */
export default async (): Promise<void> => {
  process.env.WINNER_VIEW_HOME = mkdtempSync(join(tmpdir(), 'winner-view-home-'))
  const dynamo = await startDynamoDbLocal()
  process.env.WINNER_VIEW_TEST_DYNAMODB = dynamo.endpoint
  ;(globalThis as { stopDynamo?: () => Promise<void> }).stopDynamo = dynamo.stop
}
