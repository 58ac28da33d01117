import * as E from 'fp-ts/Either'
import * as t from 'io-ts'
import { reasonOf } from '../domain/codecs'
import { isAfter } from '../domain/position'
import {
  type ArchivedRecord,
  archivePrefixes,
  decodeBatch,
  recordsAfter,
  type ShardFacts,
} from './archive'

/** What the archive is read from: an object store's listing (in key order) and objects. */
export interface ArchiveSource {
  /** Every key under `prefix`, in text order, as S3's ListObjectsV2 gives them. */
  readonly list: (prefix: string) => AsyncIterable<string>
  readonly get: (key: string) => Promise<Uint8Array>
}

const ShardManifest = t.intersection([
  t.type({ shardId: t.string }),
  t.partial({ parentShardId: t.string, adjacentParentShardId: t.string }),
])

/** A manifest read back, or an error naming its key: a rebuild never guesses a shard's parents. */
const manifestOf = (key: string, bytes: Uint8Array): ShardFacts => {
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    throw new Error(`archive ${key}: not JSON`)
  }
  const decoded = ShardManifest.decode(json)
  if (E.isLeft(decoded)) throw new Error(`archive ${key}: ${reasonOf(decoded.left)}`)
  return decoded.right
}

/** The shards a stream's archive holds, with their parents, as their manifests say. */
export const archivedShards = async (
  source: ArchiveSource,
  streamName: string,
): Promise<ShardFacts[]> => {
  const shards: ShardFacts[] = []
  for await (const key of source.list(archivePrefixes(streamName).shards)) {
    shards.push(manifestOf(key, await source.get(key)))
  }
  return shards
}

/** A batch object's range and count, from its key (`…/<len>.<first>-<len>.<last>.<count>.jsonl.gz`). */
export const rangeOfKey = (
  key: string,
): { readonly first: string; readonly last: string; readonly count: number } | undefined => {
  const match = /\/[0-9]{3}\.([0-9]+)-[0-9]{3}\.([0-9]+)\.([0-9]+)\.jsonl\.gz$/.exec(key)
  if (match === null) return undefined
  return { first: match[1] ?? '', last: match[2] ?? '', count: Number(match[3]) }
}

/**
 * The first record a shard's archive holds, from its first key (keys list in stream
 * order); none when it holds none. One listing page at most.
 */
export const firstArchivedRecord = async (
  source: ArchiveSource,
  streamName: string,
  shardId: string,
): Promise<string | undefined> => {
  for await (const key of source.list(archivePrefixes(streamName).records(shardId))) {
    const range = rangeOfKey(key)
    if (range !== undefined) return range.first
  }
  return undefined
}

/** How far one shard's archive goes: its records (from its keys) and its newest object's key. */
interface ShardExtent {
  readonly records: number
  readonly last: string | undefined
  readonly lastKey: string | undefined
}

/** One shard's extent, from its keys alone (see `archivedRecordCount`). */
const shardExtent = async (source: ArchiveSource, prefix: string): Promise<ShardExtent> => {
  const widest = new Map<
    string,
    { readonly key: string; readonly last: string; readonly count: number }
  >()
  for await (const key of source.list(prefix)) {
    const range = rangeOfKey(key)
    // Keys list by first, then last: the last of those with one first is the widest.
    if (range !== undefined) widest.set(range.first, { ...range, key })
  }
  let records = 0
  let last: string | undefined
  let lastKey: string | undefined
  for (const range of widest.values()) {
    if (!isAfter(range.last, last)) continue
    records += range.count
    last = range.last
    lastKey = range.key
  }
  return { records, last, lastKey }
}

/** What `status` shows of a shard's archive: its records, its last record and when it arrived. */
export interface ArchivedShardStatus {
  readonly shardId: string
  readonly parentShardId?: string
  readonly records: number
  readonly lastSequenceNumber?: string
  /** The last archived record's arrival time (ISO-8601): how far the archive has got. */
  readonly lastArrival?: string
}

/** How far a stream's archive has got, shard by shard: one listing each, one object read each. */
export const archiveStatus = async (
  source: ArchiveSource,
  streamName: string,
): Promise<ArchivedShardStatus[]> =>
  Promise.all(
    (await archivedShards(source, streamName)).map(async (shard) => {
      const extent = await shardExtent(source, archivePrefixes(streamName).records(shard.shardId))
      const records =
        extent.lastKey === undefined
          ? []
          : await batchRecords(source, extent.lastKey, shard.shardId)
      const newest = records[records.length - 1]
      return {
        shardId: shard.shardId,
        ...(shard.parentShardId === undefined ? {} : { parentShardId: shard.parentShardId }),
        records: extent.records,
        ...(newest === undefined
          ? {}
          : {
              lastSequenceNumber: newest.sequenceNumber,
              lastArrival: new Date(newest.approximateArrivalTimestamp * 1000).toISOString(),
            }),
      }
    }),
  )

/**
 * How many records a stream's archive holds, from its keys alone: of the objects that
 * start at one record, the widest; then those that reach past every range before. A batch
 * archived again, or bisected, lies inside such a range. For a progress bar.
 */
export const archivedRecordCount = async (
  source: ArchiveSource,
  streamName: string,
): Promise<number> => {
  const shards = await archivedShards(source, streamName)
  const counts = await Promise.all(
    shards.map(({ shardId }) => shardExtent(source, archivePrefixes(streamName).records(shardId))),
  )
  return counts.reduce((sum, extent) => sum + extent.records, 0)
}

/** The records of one batch object of `shardId`, or an error naming the object. */
const batchRecords = async (
  source: ArchiveSource,
  key: string,
  shardId: string,
): Promise<ReadonlyArray<ArchivedRecord>> => {
  const batch = decodeBatch(await source.get(key))
  if (E.isLeft(batch)) throw new Error(`archive ${key}: ${batch.left}`)
  if (batch.right.shardId !== shardId) {
    throw new Error(`archive ${key}: holds shard ${batch.right.shardId}, not ${shardId}`)
  }
  const { records } = batch.right
  const range = rangeOfKey(key)
  const named = {
    first: records[0]?.sequenceNumber,
    last: records[records.length - 1]?.sequenceNumber,
  }
  if (
    range !== undefined &&
    (range.first !== named.first || range.last !== named.last || range.count !== records.length)
  ) {
    throw new Error(
      `archive ${key}: holds ${records.length} records from ${named.first} to ${named.last}, not what its key says`,
    )
  }
  return records
}

/**
 * A shard's archived records after `after` (none: from its first), batch by batch, each
 * record once and in order. An object wholly at or before `after` is not fetched; an
 * object that cannot be read fails the read, naming its key.
 */
export async function* shardRecords(
  source: ArchiveSource,
  streamName: string,
  shardId: string,
  after?: string,
): AsyncGenerator<ArchivedRecord[]> {
  let last = after
  for await (const key of source.list(archivePrefixes(streamName).records(shardId))) {
    const range = rangeOfKey(key)
    if (range !== undefined && !isAfter(range.last, last)) continue
    const next = recordsAfter(last, await batchRecords(source, key, shardId))
    last = next.last
    if (next.fresh.length > 0) yield next.fresh
  }
}
