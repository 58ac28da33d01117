import type {
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import { defaultRetryPolicy, type RetryPolicy } from '../adapters/backoff'
import type { RejectedRecord, Store } from '../adapters/dynamoStore'
import { parseKinesisRecord, shardIdOf } from '../adapters/kinesisRecord'
import { type DecodedRecord, decodeEvent, type ProductEvent } from '../domain/events'
import type { ProductState } from '../domain/product'
import { commitBatch } from './commitBatch'
import { groupByProduct, planWrite } from './commitPlan'

/** The one log line of a batch: counts only, never a payload. */
export interface BatchSummary {
  readonly level: 'info' | 'warn'
  readonly message: 'batch'
  readonly records: number
  readonly folded: number
  readonly skipped: number
  readonly rejected: number
  readonly products: number
  readonly writes: number
  readonly transactions: number
  readonly retries: number
  readonly failedFrom: string | null
  readonly failure: string | null
  readonly durationMs: number
}

export interface HandlerDeps {
  readonly store: Store
  readonly log?: (summary: BatchSummary) => void
  readonly retry?: RetryPolicy
}

/** Writes a batch summary as one JSON line (CloudWatch Logs in Lambda). */
export const logJsonLine = (summary: BatchSummary): void => {
  console.log(JSON.stringify(summary))
}

type Classified =
  | { readonly kind: 'event'; readonly event: ProductEvent; readonly recordIndex: number }
  | { readonly kind: 'foreign'; readonly recordIndex: number }
  | { readonly kind: 'rejected'; readonly rejected: RejectedRecord; readonly recordIndex: number }

/** The Rejected item of a record: its raw data as received and the reason. */
export const rejectedRecord = (record: KinesisStreamRecord, reason: string): RejectedRecord => {
  return {
    eventId: record.eventID,
    shardId: shardIdOf(record),
    sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
    data: record.kinesis.data,
    reason,
  }
}

/** Decodes one record once, where it enters: an event, another view's event, or rejected. */
const classify = (record: KinesisStreamRecord, recordIndex: number): Classified =>
  pipe(
    parseKinesisRecord(record),
    E.chain(({ payload, position }) => decodeEvent(payload, position)),
    E.match(
      (reason): Classified => ({
        kind: 'rejected',
        rejected: rejectedRecord(record, reason),
        recordIndex,
      }),
      (decoded: DecodedRecord): Classified =>
        decoded.kind === 'event'
          ? { kind: 'event', event: decoded.event, recordIndex }
          : { kind: 'foreign', recordIndex },
    ),
  )

type Rejected = Classified & { kind: 'rejected' }
type Folded = Classified & { kind: 'event' }

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error)

/** Keeps rejected records; if even that fails, they stay unfinished for Lambda to retry. */
const keepAll = async (store: Store, rejected: ReadonlyArray<Rejected>) => {
  try {
    if (rejected.length > 0) await store.keepRejected(rejected.map((r) => r.rejected))
    return { unfinished: [] }
  } catch (error) {
    const failure = `keeping rejected records: ${describeError(error)}`
    return { unfinished: rejected.map((r) => r.recordIndex), failure }
  }
}

interface FoldOutcome {
  readonly unfinished: ReadonlyArray<number>
  readonly invalid: ReadonlyArray<Rejected>
  readonly writes: number
  readonly transactions: number
  readonly retries: number
  readonly failure?: string
}

/** Reads the batch's products, folds their events and commits; a read failure leaves all unfinished. */
const foldAndCommit = async (
  { store, retry = defaultRetryPolicy }: HandlerDeps,
  records: ReadonlyArray<KinesisStreamRecord>,
  events: ReadonlyArray<Folded>,
): Promise<FoldOutcome> => {
  if (events.length === 0)
    return { unfinished: [], invalid: [], writes: 0, transactions: 0, retries: 0 }
  const batches = groupByProduct(events)
  let stored: Map<string, ProductState>
  try {
    stored = await store.readProducts(batches.map((b) => b.productId))
  } catch (error) {
    const failure = `reading products: ${describeError(error)}`
    return {
      unfinished: events.map((e) => e.recordIndex),
      invalid: [],
      writes: 0,
      transactions: 0,
      retries: 0,
      failure,
    }
  }
  const writes = batches.flatMap((b) => planWrite(b, stored.get(b.productId)) ?? [])
  const result = await commitBatch(store, retry, writes)
  const invalid = result.invalid.flatMap(({ planned, reason }) =>
    planned.batch.recordIndexes.flatMap((recordIndex): Rejected[] => {
      const record = records[recordIndex]
      return record === undefined
        ? []
        : [{ kind: 'rejected', recordIndex, rejected: rejectedRecord(record, `commit: ${reason}`) }]
    }),
  )
  return {
    unfinished: result.unfinished.flatMap((planned) => planned.batch.recordIndexes),
    invalid,
    writes: writes.length,
    transactions: result.transactions,
    retries: result.retries,
    ...(result.failure === undefined ? {} : { failure: result.failure }),
  }
}

/** The sequence number of the earliest unfinished record, where Lambda must resume. */
const firstUnfinished = (
  records: ReadonlyArray<KinesisStreamRecord>,
  unfinished: ReadonlyArray<number>,
): string | null => {
  if (unfinished.length === 0) return null
  return records[Math.min(...unfinished)]?.kinesis.sequenceNumber ?? null
}

/**
 * Handles one Kinesis batch: decode, group by product, read, fold, commit. A repeat of
 * any batch changes nothing. Returns the first unfinished record as the batch item
 * failure, so that Lambda resumes there and shard order holds.
 */
export const makeHandler =
  (deps: HandlerDeps) =>
  async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    const started = Date.now()
    const records = event.Records
    const classified = records.map(classify)
    const events = classified.filter((c): c is Folded => c.kind === 'event')
    const rejected = classified.filter((c): c is Rejected => c.kind === 'rejected')
    const kept = await keepAll(deps.store, rejected)
    const folded = await foldAndCommit(deps, records, events)
    const keptInvalid = await keepAll(deps.store, folded.invalid)
    const failedFrom = firstUnfinished(records, [
      ...kept.unfinished,
      ...folded.unfinished,
      ...keptInvalid.unfinished,
    ])
    const log = deps.log ?? logJsonLine
    log({
      level: failedFrom === null ? 'info' : 'warn',
      message: 'batch',
      records: records.length,
      folded: events.length - folded.unfinished.length - folded.invalid.length,
      skipped: classified.filter((c) => c.kind === 'foreign').length,
      rejected: rejected.length + folded.invalid.length,
      products: new Set(events.map((e) => e.event.productId)).size,
      writes: folded.writes,
      transactions: folded.transactions,
      retries: folded.retries,
      failedFrom,
      failure: folded.failure ?? kept.failure ?? keptInvalid.failure ?? null,
      durationMs: Date.now() - started,
    })
    return { batchItemFailures: failedFrom === null ? [] : [{ itemIdentifier: failedFrom }] }
  }
