import { createHash } from 'node:crypto'
import { ResourceNotFoundException } from '@aws-sdk/client-kinesis'
import { dynamoCheckpoints } from './adapters/checkpoints'
import { makeDynamoStore } from './adapters/dynamoStore'
import { listShards, type OutgoingRecord } from './adapters/kinesis'
import type { Stack } from './adapters/localStack'
import { drainStream, type FaultPlan, type PollerStats } from './adapters/poller'
import { totalRequests } from './adapters/requestMeter'
import { makeHandler } from './handlers/processBatch'
import type { WorkloadRecord } from './workload'

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

/** Workload records as bytes to put. */
export const toOutgoing = (records: ReadonlyArray<WorkloadRecord>): OutgoingRecord[] =>
  records.map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data, 'utf8') }))

const dataIdOf = (line: string): unknown => {
  try {
    return (JSON.parse(line) as { data?: { id?: unknown } } | null)?.data?.id
  } catch {
    return undefined
  }
}

// Kinesis partition keys hold at most 256 characters; a longer product id is hashed, so
// that all of a product's records still share one key, one shard and one order.
const partitionKeyOf = (id: string): string =>
  id.length <= 256 ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`

/**
 * A JSON-lines file as records, in file order: an envelope goes under its data.id, any
 * other line as raw bytes under a key of its own (`line-N`). Blank lines are skipped.
 */
export const recordsOfLines = (text: string): OutgoingRecord[] =>
  text
    .split('\n')
    .map((line, at) => ({ line: line.replace(/\r$/, ''), at }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, at }) => {
      const id = dataIdOf(line)
      const partitionKey =
        typeof id === 'string' && id !== '' ? partitionKeyOf(id) : `line-${at + 1}`
      return { partitionKey, data: Buffer.from(line, 'utf8') }
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
  const handler = makeHandler({
    store: makeDynamoStore({ client: stack.dynamo, names: stack.names }),
    log: (summary) => {
      totals.folded += summary.folded
      totals.skipped += summary.skipped
      totals.rejected += summary.rejected
      totals.transactions += summary.transactions
      totals.retries += summary.retries
    },
  })
  const requestsBefore = totalRequests(stack.meter)
  const started = performance.now()
  const poller = await drainStream({
    kinesis: stack.kinesis,
    streamName: options.streamName,
    handler,
    checkpoints: dynamoCheckpoints(stack.dynamo, stack.checkpointsTable, options.streamName),
    batchSize: options.batchSize,
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  })
  return {
    totals,
    poller,
    dynamodbRequests: totalRequests(stack.meter) - requestsBefore,
    seconds: (performance.now() - started) / 1000,
  }
}
