import { ResourceNotFoundException } from '@aws-sdk/client-kinesis'
import { makeDynamoStore } from '../adapters/dynamoStore'
import { makeHandler } from '../handlers/processBatch'
import { dynamoCheckpoints } from './checkpoints'
import { type FaultPlan, withFaults } from './faults'
import { listShards } from './kinesis'
import type { Stack } from './localStack'
import { drainStream, type PollerStats } from './poller'
import { totalRequests } from './requestMeter'

/** What the handler reported over a whole run, summed from its batch log lines. */
export interface RunTotals {
  folded: number
  skipped: number
  rejected: number
  transactions: number
  retries: number
}

export interface ConsumeOptions {
  readonly streamName: string
  readonly batchSize: number
  readonly faults?: FaultPlan
  readonly onProgress?: (advanced: number) => void
  readonly signal?: AbortSignal
}

export interface ConsumeResult {
  readonly totals: RunTotals
  readonly poller: PollerStats
  /** Faults injected by the fault plan, if any. */
  readonly faults: number
  readonly dynamodbRequests: number
  readonly seconds: number
}

const emptyTotals = (): RunTotals => ({
  folded: 0,
  skipped: 0,
  rejected: 0,
  transactions: 0,
  retries: 0,
})

/** Fails with one clear line when the stream does not exist at the endpoint. */
export const requireStream = async (stack: Stack, streamName: string): Promise<void> => {
  try {
    await listShards(stack.kinesis, streamName)
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      throw new Error(`stream ${streamName} not found: create it, or name another with --stream`)
    }
    throw error
  }
}

/**
 * Consumes a stream to its end with the Lambda handler, under the local poller, and sums
 * what the handler reported. The handler module is the one Lambda runs.
 */
export const consume = async (stack: Stack, options: ConsumeOptions): Promise<ConsumeResult> => {
  const totals = emptyTotals()
  const viewHandler = makeHandler({
    store: makeDynamoStore({ client: stack.dynamo, names: stack.names }),
    log: (summary) => {
      totals.folded += summary.folded
      totals.skipped += summary.skipped
      totals.rejected += summary.rejected
      totals.transactions += summary.transactions
      totals.retries += summary.retries
    },
  })
  const faulty = options.faults === undefined ? undefined : withFaults(viewHandler, options.faults)
  const requestsBefore = totalRequests(stack.meter)
  const started = performance.now()
  const poller = await drainStream({
    kinesis: stack.kinesis,
    streamName: options.streamName,
    handler: faulty?.handler ?? viewHandler,
    checkpoints: dynamoCheckpoints(stack.dynamo, stack.checkpointsTable, options.streamName),
    batchSize: options.batchSize,
    // Injected faults come again at once: the test is of the outcome, not of the wait.
    ...(faulty === undefined ? {} : { retryDelayMs: () => 0 }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  })
  return {
    totals,
    poller,
    faults: faulty?.faults() ?? 0,
    dynamodbRequests: totalRequests(stack.meter) - requestsBefore,
    seconds: (performance.now() - started) / 1000,
  }
}
