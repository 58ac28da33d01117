import type { KinesisStreamEvent } from 'aws-lambda'
import * as E from 'fp-ts/Either'
import { decodeBatch } from '../src/runtime/archive'
import {
  type ArchiveLine,
  makeArchiveHandler,
  type ShardFacts,
  streamNameOfArn,
} from '../src/runtime/archiveHandler'
import { ingress, kinesisRecord, purchaseData, sequenceNumber } from './support/fixtures'

const PARENT = 'shardId-000000000000'
const CHILD = 'shardId-000000000002'
const SHARDS: ShardFacts[] = [{ shardId: PARENT }, { shardId: CHILD, parentShardId: PARENT }]

const eventOf = (shardId: string, from: number, count: number): KinesisStreamEvent => ({
  Records: Array.from({ length: count }, (_, i) =>
    kinesisRecord(ingress('ann', purchaseData(`p${i}`)), {
      shardId,
      sequenceNumber: sequenceNumber(from + i),
    }),
  ),
})

const setUp = (shards: ShardFacts[] | (() => ShardFacts[]) = SHARDS) => {
  const objects = new Map<string, Uint8Array>()
  const puts: string[] = []
  const lines: ArchiveLine[] = []
  let listings = 0
  const handler = makeArchiveHandler({
    store: {
      put: async (key, body) => {
        puts.push(key)
        objects.set(key, body)
      },
    },
    shardsOf: async () => {
      listings += 1
      return typeof shards === 'function' ? shards() : shards
    },
    log: (line) => lines.push(line),
    createdOf: async () => new Date(1_790_000_000_000),
    now: () => 1_795_000_002_500, // 2.5 s after the fixtures' records arrived
  })
  return { handler, objects, puts, lines, listings: () => listings }
}

describe('the archive handler', () => {
  it('names a stream by its ARN and refuses what is not one', () => {
    expect(streamNameOfArn('arn:aws:kinesis:us-east-1:123456789012:stream/devStream')).toBe(
      'devStream',
    )
    expect(() => streamNameOfArn('arn:aws:sqs:us-east-1:1:q')).toThrow('not a Kinesis stream ARN')
  })

  it('writes the shard manifest once, then one object a batch holding its records as delivered', async () => {
    const { handler, objects, puts } = setUp()
    const first = eventOf(CHILD, 1, 3)
    await handler(first)
    await handler(eventOf(CHILD, 4, 2))
    expect(puts).toEqual([
      'shards/devStream/1790000000000/shardId-000000000002.json',
      `records/devStream/1790000000000/${CHILD}/056.${sequenceNumber(1)}-056.${sequenceNumber(3)}.3.jsonl.gz`,
      `records/devStream/1790000000000/${CHILD}/056.${sequenceNumber(4)}-056.${sequenceNumber(5)}.2.jsonl.gz`,
    ])
    expect(JSON.parse(Buffer.from(objects.get(puts[0] ?? '') ?? []).toString())).toEqual({
      shardId: CHILD,
      parentShardId: PARENT,
    })
    expect(decodeBatch(objects.get(puts[1] ?? '') ?? new Uint8Array())).toEqual(
      E.right({
        shardId: CHILD,
        records: first.Records.map((r) => ({
          sequenceNumber: r.kinesis.sequenceNumber,
          partitionKey: r.kinesis.partitionKey,
          approximateArrivalTimestamp: r.kinesis.approximateArrivalTimestamp,
          data: r.kinesis.data,
        })),
      }),
    )
  })

  it('writes a batch delivered again under the same key with the same bytes', async () => {
    const { handler, objects, puts } = setUp()
    await handler(eventOf(PARENT, 1, 4))
    const bytes = objects.get(puts[1] ?? '')
    await handler(eventOf(PARENT, 1, 4))
    expect(puts[2]).toBe(puts[1])
    expect(objects.get(puts[2] ?? '')).toEqual(bytes)
  })

  it('lists the shards once, and again for a shard it does not know (a reshard since)', async () => {
    let listed = 0
    const { handler, listings } = setUp(() => (listed++ === 0 ? [{ shardId: PARENT }] : SHARDS))
    await handler(eventOf(PARENT, 1, 1))
    await handler(eventOf(PARENT, 2, 1))
    await handler(eventOf(CHILD, 3, 1))
    expect(listings()).toBe(2)
  })

  it('fails a batch of a shard Kinesis does not list, writing nothing', async () => {
    const { handler, puts } = setUp([{ shardId: PARENT }])
    await expect(handler(eventOf(CHILD, 1, 2))).rejects.toThrow(
      `shard ${CHILD} is not listed on arn:aws:kinesis:us-east-1:123456789012:stream/devStream`,
    )
    expect(puts).toEqual([])
  })

  it('logs one line a batch: counts, positions and how far it trails the stream, no data', async () => {
    const { handler, lines } = setUp()
    await handler(eventOf(PARENT, 1, 2))
    expect(lines).toEqual([
      {
        stream: 'devStream',
        shardId: PARENT,
        records: 2,
        first: sequenceNumber(1),
        last: sequenceNumber(2),
        bytes: expect.any(Number),
        durationMs: 0,
        newestRecordAgeMs: 2_500,
      },
    ])
  })

  it('answers an empty delivery with nothing to write', async () => {
    const { handler, puts } = setUp()
    expect(await handler({ Records: [] })).toEqual({ batchItemFailures: [] })
    expect(puts).toEqual([])
  })
})
