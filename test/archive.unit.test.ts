import { gunzipSync, gzipSync } from 'node:zlib'
import * as E from 'fp-ts/Either'
import {
  archivedRecordOf,
  batchesOf,
  batchKeyOf,
  decodeBatch,
  encodeBatch,
  lambdaRecordOf,
  shardManifestOf,
} from '../src/runtime/archive'
import { ingress, kinesisRecord, purchaseData } from './support/fixtures'

const SEQ_1 = '49590338271490256608559692538361571095921575989136588899'
const SEQ_2 = '49590338271490256608559692538361571095921575989136588950'

const delivered = (shardId: string, sequenceNumber: string) =>
  kinesisRecord(ingress('ann', purchaseData('p1')), { shardId, sequenceNumber })

describe('archive objects', () => {
  it('keep of a record the fields of its kinesis object, unchanged', () => {
    const record = delivered('shardId-000000000001', SEQ_1)
    expect(archivedRecordOf(record)).toEqual({
      sequenceNumber: SEQ_1,
      partitionKey: 'p1',
      approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
      data: record.kinesis.data,
    })
  })

  it('cut a delivery by shard, in delivery order', () => {
    const batches = batchesOf([
      delivered('shardId-000000000001', SEQ_1),
      delivered('shardId-000000000002', SEQ_1),
      delivered('shardId-000000000001', SEQ_2),
    ])
    expect(batches.map((b) => [b.shardId, b.records.map((r) => r.sequenceNumber)])).toEqual([
      ['shardId-000000000001', [SEQ_1, SEQ_2]],
      ['shardId-000000000002', [SEQ_1]],
    ])
  })

  it('are keyed by stream, shard and the batch range, lengths first', () => {
    const [batch] = batchesOf([
      delivered('shardId-000000000001', SEQ_1),
      delivered('shardId-000000000001', SEQ_2),
    ])
    expect(batch && batchKeyOf('retail', batch)).toBe(
      `records/retail/shardId-000000000001/056.${SEQ_1}-056.${SEQ_2}.2.jsonl.gz`,
    )
  })

  it('start with a header naming the format, the shard, the range and the count', () => {
    const [batch] = batchesOf([delivered('shardId-000000000001', SEQ_1)])
    if (batch === undefined) throw new Error('no batch')
    const [header] = gunzipSync(encodeBatch(batch)).toString('utf8').split('\n')
    expect(JSON.parse(header ?? '')).toEqual({
      format: 'winner-view-archive/1',
      shardId: 'shardId-000000000001',
      first: SEQ_1,
      last: SEQ_1,
      count: 1,
    })
  })

  it.each([
    ['bytes that are not gzip', Buffer.from('plain'), 'not gzip'],
    ['no bytes at all', new Uint8Array(), 'not gzip'],
    ['an object with no header', gzipSync(''), 'line 1: not JSON'],
    [
      'a header of another format',
      gzipSync('{"format":"x","shardId":"s","first":"1","last":"1","count":0}\n'),
      'line 1: format: expected "winner-view-archive/1", got "x"',
    ],
    [
      'a line that is not JSON',
      gzipSync(
        '{"format":"winner-view-archive/1","shardId":"s","first":"1","last":"1","count":1}\n{\n',
      ),
      'line 2: not JSON',
    ],
    [
      'fewer records than the header counts',
      gzipSync(
        '{"format":"winner-view-archive/1","shardId":"s","first":"1","last":"1","count":2}\n{"sequenceNumber":"1","partitionKey":"p","approximateArrivalTimestamp":1,"data":""}\n',
      ),
      'expected 2 records, got 1',
    ],
    [
      'records out of order',
      gzipSync(
        '{"format":"winner-view-archive/1","shardId":"s","first":"3","last":"2","count":2}\n{"sequenceNumber":"3","partitionKey":"p","approximateArrivalTimestamp":1,"data":""}\n{"sequenceNumber":"2","partitionKey":"p","approximateArrivalTimestamp":1,"data":""}\n',
      ),
      'line 3: not after the record before it',
    ],
    [
      'records other than the header says',
      gzipSync(
        '{"format":"winner-view-archive/1","shardId":"s","first":"1","last":"9","count":1}\n{"sequenceNumber":"1","partitionKey":"p","approximateArrivalTimestamp":1,"data":""}\n',
      ),
      'records from 1 to 1, but the header says 1 to 9',
    ],
  ])('refuse %s with a reason', (_, bytes, reason) => {
    expect(decodeBatch(bytes)).toEqual(E.left(reason))
  })
})

describe('a replayed record', () => {
  const archived = {
    sequenceNumber: SEQ_1,
    partitionKey: 'p1',
    approximateArrivalTimestamp: 1764151200.25,
    data: 'e30=',
  }

  it('is handed over as Lambda delivers a Kinesis record: its kinesis fields unchanged, its region from the ARN', () => {
    const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/retail'
    // Strict: the handler sees every field Lambda sends, and no other.
    expect(lambdaRecordOf(arn, 'shardId-000000000001', archived)).toStrictEqual({
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000001:${SEQ_1}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: '',
      awsRegion: 'eu-west-1',
      eventSourceARN: arn,
      kinesis: {
        kinesisSchemaVersion: '1.0',
        sequenceNumber: SEQ_1,
        partitionKey: 'p1',
        approximateArrivalTimestamp: 1764151200.25,
        data: 'e30=',
      },
    })
  })

  it('names no region when its source is not an ARN, rather than a wrong one', () => {
    expect(lambdaRecordOf('devStream', 'shardId-000000000001', archived).awsRegion).toBe('')
  })
})

describe('a shard manifest', () => {
  it.each([
    [
      'a shard the stream started with',
      { shardId: 'shardId-000000000000' },
      '{"shardId":"shardId-000000000000"}',
    ],
    [
      'a split child, with its parent',
      { shardId: 'shardId-000000000001', parentShardId: 'shardId-000000000000' },
      '{"shardId":"shardId-000000000001","parentShardId":"shardId-000000000000"}',
    ],
    [
      'a merged shard, with both its parents',
      {
        shardId: 'shardId-000000000003',
        parentShardId: 'shardId-000000000001',
        adjacentParentShardId: 'shardId-000000000002',
      },
      '{"shardId":"shardId-000000000003","parentShardId":"shardId-000000000001","adjacentParentShardId":"shardId-000000000002"}',
    ],
  ])('names %s', (_, shard, json) => {
    expect(shardManifestOf(shard)).toBe(json)
  })
})
