import type { KinesisStreamRecord } from 'aws-lambda'
import { keptReason } from '../domain/codecs'
import { shardIdOf } from './kinesisRecord'
import type { Duplicate, KeyBatch } from './plan'
import type { RejectedRecord } from './store'

/** A record of the batch, by its index, on its way to Rejected. */
export interface Rejection {
  readonly recordIndex: number
  readonly rejected: RejectedRecord
}

/** The Rejected item of a record: its raw data as received and the reason, kept short. */
export const rejectedRecord = (record: KinesisStreamRecord, reason: string): RejectedRecord => ({
  eventId: record.eventID,
  shardId: shardIdOf(record),
  sequenceNumber: record.kinesis.sequenceNumber,
  // Kinesis keeps keys as UTF-8, so this changes nothing but a test's lone surrogate.
  partitionKey: record.kinesis.partitionKey.toWellFormed(),
  data: record.kinesis.data,
  reason: keptReason(reason),
})

/** The Rejected entry of the batch event at `at`, with its reason; none for an unknown index. */
const rejectionOf = (
  records: ReadonlyArray<KinesisStreamRecord>,
  batch: KeyBatch<unknown>,
  at: number,
  reason: string,
): Rejection[] => {
  const recordIndex = batch.recordIndexes[at]
  const record = recordIndex === undefined ? undefined : records[recordIndex]
  return record === undefined || recordIndex === undefined
    ? []
    : [{ recordIndex, rejected: rejectedRecord(record, reason) }]
}

/**
 * Duplicates of events already folded go to Rejected with the view's reason (naming the
 * event they repeat): nothing is lost, and a producer that repeats itself shows up there.
 */
export const rejectDuplicates = (
  records: ReadonlyArray<KinesisStreamRecord>,
  batch: KeyBatch<unknown>,
  duplicates: ReadonlyArray<Duplicate>,
): Rejection[] => duplicates.flatMap(({ at, reason }) => rejectionOf(records, batch, at, reason))

/**
 * The one place that sends a key's records of this batch to Rejected: when its stored
 * item cannot be read (all its records), or when DynamoDB refuses its commit for good
 * (the records that commit would have folded, none it folded before). Retrying cannot
 * help either, so the records are kept with the reason and the shard goes on.
 */
export const rejectKey = (
  records: ReadonlyArray<KinesisStreamRecord>,
  batch: KeyBatch<unknown>,
  reason: string,
  eventIndexes: ReadonlyArray<number> = batch.events.map((_, at) => at),
): Rejection[] => eventIndexes.flatMap((at) => rejectionOf(records, batch, at, reason))
