import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { compareSequenceNumbers, sortableSequence } from '../src/domain/position'
import {
  type ArchivedBatch,
  type ArchivedRecord,
  batchKeyOf,
  decodeBatch,
  encodeBatch,
  recordsAfter,
} from '../src/runtime/archive'
import { makeArchiveHandler } from '../src/runtime/archiveHandler'
import { archivedRecordCount, shardRecords } from '../src/runtime/archiveReader'
import { memoryArchive } from '../src/runtime/memoryArchive'
import { sequenceNumberArb } from './support/arbitraries'
import { cutsArb, deliveriesOf } from './support/archiveDeliveries'
import { kinesisRecord } from './support/fixtures'

const recordArb: fc.Arbitrary<Omit<ArchivedRecord, 'sequenceNumber'>> = fc.record({
  partitionKey: fc.string({ maxLength: 256 }),
  approximateArrivalTimestamp: fc.double({ min: 0, max: 4e9, noNaN: true }),
  data: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64')),
})

/** One shard's records in stream order: sequence numbers rising by random steps. */
const shardLogArb = fc
  .array(fc.tuple(recordArb, fc.bigInt({ min: 1n, max: 10n ** 30n })), { maxLength: 40 })
  .map((drafts) => {
    let sequence = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n
    return drafts.map(([record, step]) => {
      sequence += step
      return { ...record, sequenceNumber: sequence.toString() }
    })
  })

const deliveriesArb = shardLogArb.chain((log) =>
  cutsArb.map((cuts) => ({ log, batches: deliveriesOf(log, cuts) })),
)

/** When the fixtures' stream was created, and so its archive's name. */
const CREATED = new Date('2026-11-01T00:00:00.000Z')
const ARCHIVE_ID = `devStream/${CREATED.getTime()}`

const SHARD = 'shardId-000000000007'
const asBatch = (records: ReadonlyArray<ArchivedRecord>): ArchivedBatch => ({
  shardId: SHARD,
  records,
})

describe('the archive', () => {
  it('a batch reads back from its object exactly as it was written', () => {
    fc.assert(
      fc.property(shardLogArb, (records) => {
        expect(decodeBatch(encodeBatch(asBatch(records)))).toEqual(E.right(asBatch(records)))
      }),
    )
  })

  it('sortable sequence numbers order as text exactly as the numbers do', () => {
    fc.assert(
      fc.property(sequenceNumberArb, sequenceNumberArb, (a, b) => {
        const x = sortableSequence(a)
        const y = sortableSequence(b)
        expect(Math.sign(x < y ? -1 : x > y ? 1 : 0)).toBe(compareSequenceNumbers(a, b))
      }),
    )
  })

  it('a shard read in key order gives every record once, in order, however its batches were delivered', () => {
    fc.assert(
      fc.property(deliveriesArb, ({ log, batches }) => {
        const keyed = batches.map((records) => ({
          key: batchKeyOf('retail', asBatch(records)),
          bytes: encodeBatch(asBatch(records)),
        }))
        // S3 lists keys in text order; a batch written twice is one object.
        const objects = [...new Map(keyed.map((o) => [o.key, o.bytes]))].sort(([a], [b]) =>
          a < b ? -1 : a > b ? 1 : 0,
        )
        let last: string | undefined
        const read: ArchivedRecord[] = []
        for (const [, bytes] of objects) {
          const batch = decodeBatch(bytes)
          if (E.isLeft(batch)) throw new Error(batch.left)
          const next = recordsAfter(last, batch.right.records)
          read.push(...next.fresh)
          last = next.last
        }
        expect(read).toEqual(log)
      }),
      { numRuns: 300 },
    )
  })

  it('what the handler writes reads back from any position as the records after it, each once', async () => {
    await fc.assert(
      fc.asyncProperty(deliveriesArb, fc.nat(), async ({ log, batches }, from) => {
        const archive = memoryArchive()
        const handler = makeArchiveHandler({
          store: archive,
          shardsOf: async () => [{ shardId: SHARD }],
          log: () => {},
          createdOf: async () => CREATED,
        })
        for (const batch of batches) {
          const records = batch.map((r) => {
            const delivered = kinesisRecord('', {
              shardId: SHARD,
              sequenceNumber: r.sequenceNumber,
            })
            return { ...delivered, kinesis: { ...delivered.kinesis, ...r } }
          })
          await handler({ Records: records })
        }
        const after = from % (log.length + 1) === 0 ? undefined : log[(from % (log.length + 1)) - 1]
        const read: ArchivedRecord[] = []
        for await (const chunk of shardRecords(archive, ARCHIVE_ID, SHARD, after?.sequenceNumber)) {
          read.push(...chunk)
        }
        expect(read).toEqual(log.slice(from % (log.length + 1)))
        expect(await archivedRecordCount(archive, ARCHIVE_ID)).toBe(log.length)
      }),
      { numRuns: 200 },
    )
  })
})
