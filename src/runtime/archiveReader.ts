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

/** The last sequence number of a batch object, from its key (`…-<len>.<digits>.jsonl.gz`). */
export const lastOfKey = (key: string): string | undefined =>
  /-[0-9]{3}\.([0-9]+)\.jsonl\.gz$/.exec(key)?.[1]

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
  return batch.right.records
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
    const keyLast = lastOfKey(key)
    if (keyLast !== undefined && !isAfter(keyLast, last)) continue
    const next = recordsAfter(last, await batchRecords(source, key, shardId))
    last = next.last
    if (next.fresh.length > 0) yield next.fresh
  }
}
