import { gunzipSync, gzipSync } from 'node:zlib'
import type { KinesisStreamRecord } from 'aws-lambda'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as t from 'io-ts'
import { reasonOf } from '../domain/codecs'
import { isAfter, isSequenceNumber, sortableSequence } from '../domain/position'
import { shardIdOf } from './kinesisRecord'

/**
 * A record as Lambda's event source mapping delivered it: the fields of its `kinesis`
 * object, unchanged (`data` is the base64 text, the arrival time in seconds), so that a
 * rebuild hands the handler the very record the live mapping did.
 */
export const ArchivedRecord = t.type({
  sequenceNumber: t.refinement(t.string, isSequenceNumber, 'sequence number'),
  partitionKey: t.string,
  approximateArrivalTimestamp: t.number,
  data: t.string,
})
export type ArchivedRecord = t.TypeOf<typeof ArchivedRecord>

/** The format an archive object's header names; a later format gets a new name. */
export const ARCHIVE_FORMAT = 'winner-view-archive/1'

/** The first line of an archive object: which shard, and the range of its records. */
export const BatchHeader = t.type({
  format: t.literal(ARCHIVE_FORMAT),
  shardId: t.string,
  first: t.string,
  last: t.string,
  count: t.number,
})
export type BatchHeader = t.TypeOf<typeof BatchHeader>

/** One batch of one shard, as the archive keeps it. */
export interface ArchivedBatch {
  readonly shardId: string
  readonly records: ReadonlyArray<ArchivedRecord>
}

/** What the archive keeps of a delivered record. */
export const archivedRecordOf = (record: KinesisStreamRecord): ArchivedRecord => ({
  sequenceNumber: record.kinesis.sequenceNumber,
  partitionKey: record.kinesis.partitionKey,
  approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
  data: record.kinesis.data,
})

/** An archived record as the event source mapping hands it to a function, as it first did. */
export const lambdaRecordOf = (
  streamArn: string,
  shardId: string,
  record: ArchivedRecord,
): KinesisStreamRecord => ({
  eventSource: 'aws:kinesis',
  eventVersion: '1.0',
  eventID: `${shardId}:${record.sequenceNumber}`,
  eventName: 'aws:kinesis:record',
  invokeIdentityArn: '',
  awsRegion: streamArn.split(':')[3] ?? '',
  eventSourceARN: streamArn,
  kinesis: { kinesisSchemaVersion: '1.0', ...record },
})

/**
 * A delivered batch cut by shard, each shard's records in order. Lambda delivers one shard
 * a batch, so there is one; the local stack's tests may hand several.
 */
export const batchesOf = (records: ReadonlyArray<KinesisStreamRecord>): ArchivedBatch[] => {
  const byShard = new Map<string, ArchivedRecord[]>()
  for (const record of records) {
    const shardId = shardIdOf(record)
    const kept = byShard.get(shardId) ?? []
    kept.push(archivedRecordOf(record))
    byShard.set(shardId, kept)
  }
  return [...byShard].map(([shardId, kept]) => ({ shardId, records: kept }))
}

/**
 * The name of one stream's archive: the stream's name and when it was created (ms), for a
 * stream deleted and created again under its name is another stream, whose records must
 * never mix with the first one's.
 */
export const archiveIdOf = (streamName: string, created: Date): string =>
  `${streamName}/${created.getTime()}`

/**
 * Where a stream's archive keeps its records and its shards' manifests: apart, so that a
 * lifecycle rule on `records/` never expires a manifest.
 */
export const archivePrefixes = (archiveId: string) => ({
  records: (shardId: string) => `records/${archiveId}/${shardId}/`,
  shard: (shardId: string) => `shards/${archiveId}/${shardId}.json`,
  shards: `shards/${archiveId}/`,
})

/**
 * The key of a batch's object: its shard, its first and last sequence numbers (so that
 * listing a shard's keys gives its batches in stream order), and its count of records. A batch delivered again
 * (a retry) gets the same key; a bisected one, keys of its own whose records overlap.
 */
export const batchKeyOf = (archiveId: string, batch: ArchivedBatch): string => {
  const first = batch.records[0]?.sequenceNumber ?? '0'
  const last = batch.records[batch.records.length - 1]?.sequenceNumber ?? first
  return `${archivePrefixes(archiveId).records(batch.shardId)}${sortableSequence(first)}-${sortableSequence(last)}.${batch.records.length}.jsonl.gz`
}

/** A batch's object: gzipped JSON lines, its header first, then one record a line. */
export const encodeBatch = (batch: ArchivedBatch): Uint8Array => {
  const first = batch.records[0]?.sequenceNumber ?? '0'
  const header: BatchHeader = {
    format: ARCHIVE_FORMAT,
    shardId: batch.shardId,
    first,
    last: batch.records[batch.records.length - 1]?.sequenceNumber ?? first,
    count: batch.records.length,
  }
  const lines = [header, ...batch.records].map((line) => JSON.stringify(line))
  return gzipSync(`${lines.join('\n')}\n`)
}

const lineOf =
  <A>(codec: t.Decoder<unknown, A>, at: number) =>
  (text: string): E.Either<string, A> =>
    pipe(
      E.tryCatch(
        () => JSON.parse(text) as unknown,
        () => `line ${at + 1}: not JSON`,
      ),
      E.chain((json) =>
        pipe(
          codec.decode(json),
          E.mapLeft((errors) => `line ${at + 1}: ${reasonOf(errors)}`),
        ),
      ),
    )

/** A batch read back from its object, or a reason naming the line; its count is checked. */
export const decodeBatch = (bytes: Uint8Array): E.Either<string, ArchivedBatch> => {
  const text = E.tryCatch(
    () => gunzipSync(bytes).toString('utf8'),
    () => 'not gzip',
  )
  if (E.isLeft(text)) return text
  const lines = text.right.split('\n').filter((line) => line !== '')
  const header = lineOf(BatchHeader, 0)(lines[0] ?? '')
  if (E.isLeft(header)) return header
  const records: ArchivedRecord[] = []
  for (const [at, line] of lines.slice(1).entries()) {
    const record = lineOf(ArchivedRecord, at + 1)(line)
    if (E.isLeft(record)) return record
    records.push(record.right)
  }
  return pipe(
    checkedRange(header.right, records),
    E.map(() => ({ shardId: header.right.shardId, records })),
  )
}

/**
 * A batch's records as its header says: its count, from its first to its last, each after
 * the one before. A damaged object fails, rather than let the reader skip past records.
 */
const checkedRange = (
  header: BatchHeader,
  records: ReadonlyArray<ArchivedRecord>,
): E.Either<string, void> => {
  if (records.length !== header.count)
    return E.left(`expected ${header.count} records, got ${records.length}`)
  const out = records.findIndex(
    (r, at) => at > 0 && !isAfter(r.sequenceNumber, records[at - 1]?.sequenceNumber),
  )
  if (out >= 0) return E.left(`line ${out + 2}: not after the record before it`)
  const first = records[0]?.sequenceNumber
  const last = records[records.length - 1]?.sequenceNumber
  return records.length === 0 || (first === header.first && last === header.last)
    ? E.right(undefined)
    : E.left(
        `records from ${first} to ${last}, but the header says ${header.first} to ${header.last}`,
      )
}

/**
 * The records of a shard's batches (read in key order) that come after `last`, each once:
 * a batch archived again, or bisected, repeats records already read. Returns the new
 * last sequence number too, to carry into the next batch.
 */
export const recordsAfter = (
  last: string | undefined,
  records: ReadonlyArray<ArchivedRecord>,
): { readonly fresh: ArchivedRecord[]; readonly last: string | undefined } => {
  const fresh: ArchivedRecord[] = []
  let at = last
  for (const record of records) {
    if (!isAfter(record.sequenceNumber, at)) continue
    fresh.push(record)
    at = record.sequenceNumber
  }
  return { fresh, last: at }
}

/** A shard as Kinesis lists it (`ListShards`): the archive keeps its parents for a rebuild. */
export interface ShardFacts {
  readonly shardId: string
  readonly parentShardId?: string
  readonly adjacentParentShardId?: string
}

/** A shard's manifest: its id and parents, so that a rebuild reads parents before children. */
export const shardManifestOf = (shard: ShardFacts): string =>
  JSON.stringify({
    shardId: shard.shardId,
    ...(shard.parentShardId === undefined ? {} : { parentShardId: shard.parentShardId }),
    ...(shard.adjacentParentShardId === undefined
      ? {}
      : { adjacentParentShardId: shard.adjacentParentShardId }),
  })
