import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'

/**
 * Delays every request the client sends (each attempt, retries included) by about `ms`
 * milliseconds, uniformly between 0.75 and 1.25 times it, so that a run on DynamoDB
 * Local pays the round trips a run on AWS pays (25 to 32 ms at the median for a
 * TransactWriteItems) and the ratios reflect them. 0 adds nothing.
 */
export const addLatency = (client: DynamoDBClient, ms: number, random = Math.random): void => {
  if (ms <= 0) return
  client.middlewareStack.add(
    (next) => async (args) => {
      await new Promise((resolve) => setTimeout(resolve, ms * (0.75 + 0.5 * random())))
      return next(args)
    },
    { step: 'finalizeRequest', name: 'awsLikeLatency', priority: 'low' },
  )
}
