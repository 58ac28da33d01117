import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda'
import type { KinesisHandler } from './poller'

/** Injected faults: with probability `rate` per batch, a crash before the checkpoint or a partial failure. */
export interface FaultPlan {
  readonly rate: number
  readonly random: () => number
}

const failingFrom = (sequenceNumber: string | undefined): KinesisStreamBatchResponse => ({
  batchItemFailures: [{ itemIdentifier: sequenceNumber ?? '' }],
})

/**
 * Wraps a handler so that, when a fault is drawn, it fails on purpose the way Lambda can:
 * either the function commits the batch and then crashes before Lambda records it (the
 * whole batch comes again), or it stops part way (a failure reported from a random
 * record). The handler itself never knows. `faults()` says how many were drawn.
 */
export const withFaults = (
  handler: KinesisHandler,
  plan: FaultPlan,
): { readonly handler: KinesisHandler; readonly faults: () => number } => {
  let faults = 0
  const faulty: KinesisHandler = async (event: KinesisStreamEvent) => {
    if (plan.random() >= plan.rate) return handler(event)
    faults += 1
    const records = event.Records
    if (plan.random() < 0.5) {
      await handler(event)
      return failingFrom(records[0]?.kinesis.sequenceNumber)
    }
    const cut = Math.floor(plan.random() * records.length)
    const response = await handler({ Records: records.slice(0, cut) })
    return response?.batchItemFailures?.length
      ? response
      : failingFrom(records[cut]?.kinesis.sequenceNumber)
  }
  return { handler: faulty, faults: () => faults }
}
