import { createHash } from 'node:crypto'
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import { productToItem } from '../../src/adapters/items'
import { parseKinesisRecord } from '../../src/adapters/kinesisRecord'
import { decodeEvent, type ProductEvent } from '../../src/domain/events'
import { initial, products } from '../../src/domain/product'
import { foldByKey } from '../../src/domain/projection'
import { mergeDeltas, scoreDeltas } from '../../src/domain/scores'
import type { WorkloadRecord } from '../../src/local/workload'
import { kinesisRecord, sequenceNumber } from './fixtures'

export const shardName = (n: number): string => `shardId-${String(n).padStart(12, '0')}`

/** Routes records to shards by an MD5 of the partition key, as Kinesis does, numbering each shard in order. */
export const toShards = (
  workload: ReadonlyArray<WorkloadRecord>,
  shardCount: number,
): KinesisStreamRecord[][] => {
  const shards: KinesisStreamRecord[][] = Array.from({ length: shardCount }, () => [])
  for (const [at, { partitionKey, data }] of workload.entries()) {
    const hash = createHash('md5').update(partitionKey).digest().readUInt32BE(0)
    const shard = hash % shardCount
    shards[shard]?.push(
      kinesisRecord(data, {
        shardId: shardName(shard),
        sequenceNumber: sequenceNumber(at * 7),
        partitionKey,
      }),
    )
  }
  return shards
}

/** Lambda's view of a shard: consecutive batches of at most `size` records. */
export const batchesOf = (
  records: ReadonlyArray<KinesisStreamRecord>,
  size: number,
): KinesisStreamEvent[] =>
  Array.from({ length: Math.ceil(records.length / size) }, (_, i) => ({
    Records: records.slice(i * size, i * size + size),
  }))

const eventOf = (record: KinesisStreamRecord): ProductEvent[] =>
  pipe(
    parseKinesisRecord(record),
    E.chain(({ payload, position }) => decodeEvent(payload, position)),
    E.match(
      () => [],
      (decoded) => (decoded.kind === 'event' ? [decoded.event] : []),
    ),
  )

/** The Contributions items and Scores that folding these events predicts, in readView's order. */
export const viewOfEvents = (events: ReadonlyArray<ProductEvent>) => {
  const states = [...foldByKey(products, events).values()]
  const scores = mergeDeltas(
    states.flatMap((state) => scoreDeltas(initial(state.productId), state)),
  )
  return {
    contributions: states
      .map(productToItem)
      .sort((a, b) => String(a.productId).localeCompare(String(b.productId), 'en')),
    scores: scores
      .map(({ userId, role, score, products: held }) => ({ userId, role, score, products: held }))
      .sort((a, b) => a.userId.localeCompare(b.userId, 'en') || a.role.localeCompare(b.role, 'en')),
  }
}

/** The tables that the pure fold of these shards predicts, in readView's order. */
export const expectedView = (shards: ReadonlyArray<ReadonlyArray<KinesisStreamRecord>>) =>
  viewOfEvents(shards.flat().flatMap(eventOf))
