import { createHash } from 'node:crypto'
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda'
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
