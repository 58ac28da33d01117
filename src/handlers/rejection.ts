import type { KinesisStreamRecord } from 'aws-lambda'
import { shardIdOf } from '../adapters/kinesisRecord'
import type { ProductBatch } from './commitPlan'
import type { RejectedRecord } from './store'

/** A record of the batch, by its index, on its way to Rejected. */
export interface Rejection {
  readonly recordIndex: number
  readonly rejected: RejectedRecord
}

/** The Rejected item of a record: its raw data as received and the reason. */
export const rejectedRecord = (record: KinesisStreamRecord, reason: string): RejectedRecord => ({
  eventId: record.eventID,
  shardId: shardIdOf(record),
  sequenceNumber: record.kinesis.sequenceNumber,
  partitionKey: record.kinesis.partitionKey,
  data: record.kinesis.data,
  reason,
})

/**
 * The one place that sends a product's records of this batch to Rejected: when its
 * stored item cannot be read, or when DynamoDB refuses its commit for good. Retrying
 * cannot help either, so the records are kept with the reason and the shard goes on.
 */
export const rejectProduct = (
  records: ReadonlyArray<KinesisStreamRecord>,
  batch: ProductBatch,
  reason: string,
): Rejection[] =>
  batch.recordIndexes.flatMap((recordIndex) => {
    const record = records[recordIndex]
    return record === undefined ? [] : [{ recordIndex, rejected: rejectedRecord(record, reason) }]
  })
