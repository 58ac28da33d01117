import type { KinesisStreamRecord } from 'aws-lambda'
import { type BatchSummary, makeViewHandler } from '../src/runtime/handler'
import { type FreshnessMark, laggingShards, markOfBatch } from '../src/runtime/marks'
import { memoryStore } from '../src/runtime/memoryStore'
import { winnerView } from '../src/views/winner'
import {
  createData,
  creatorOrigin,
  ingress,
  kinesisRecord,
  purchaseData,
  sequenceNumber,
} from './support/fixtures'
import { quickPolicy, scriptedStore, unavailable } from './support/scripted'

const SHARD = 'shardId-000000000003'
const arrivedAt = (record: KinesisStreamRecord, seconds: number): KinesisStreamRecord => ({
  ...record,
  kinesis: { ...record.kinesis, approximateArrivalTimestamp: seconds },
})
const at = (n: number, data: Record<string, unknown>) =>
  arrivedAt(
    kinesisRecord(ingress(creatorOrigin('ann'), data), {
      shardId: SHARD,
      sequenceNumber: sequenceNumber(n),
    }),
    1_795_000_000 + n + 0.25,
  )
const mark = (
  shardId: string,
  sequence: string,
  arrivedAtMs: number,
  first = '1',
): FreshnessMark => ({ shardId, sequenceNumber: sequence, arrivedAtMs, firstSequenceNumber: first })

describe('a batch’s freshness mark', () => {
  const records = [1, 2, 3].map((n) => at(n, createData(`p${n}`)))

  it('is its last record, with its arrival in ms, when every record is finished', () => {
    expect(markOfBatch(records, null)).toEqual(
      mark(SHARD, sequenceNumber(3), 1_795_000_003_250, sequenceNumber(1)),
    )
  })

  it('is the record before the first unfinished one, which Lambda delivers again', () => {
    expect(markOfBatch(records, sequenceNumber(3))).toEqual(
      mark(SHARD, sequenceNumber(2), 1_795_000_002_250, sequenceNumber(1)),
    )
    expect(markOfBatch(records, sequenceNumber(2))?.sequenceNumber).toBe(sequenceNumber(1))
  })

  it('is none when the first record is unfinished, or the batch is empty', () => {
    expect(markOfBatch(records, sequenceNumber(1))).toBe(undefined)
    expect(markOfBatch([], null)).toBe(undefined)
  })

  it('is none when the failure names no record of the batch: all of it comes again', () => {
    expect(markOfBatch(records, sequenceNumber(9))).toBe(undefined)
  })
})

describe('the switch’s rule: where a candidate version trails the live one', () => {
  const live = [mark('shard-a', '500', 10_000), mark('shard-b', '900', 20_000)]

  it('holds nothing back when the candidate is at or past every live mark', () => {
    expect(
      laggingShards(live, [mark('shard-a', '500', 10_000), mark('shard-b', '950', 21_000)], 0),
    ).toEqual([])
  })

  it('names a shard the candidate trails by more than the lag allowed, with both marks', () => {
    const behind = mark('shard-b', '800', 14_000)
    expect(laggingShards(live, [mark('shard-a', '500', 10_000), behind], 5_000)).toEqual([
      { shardId: 'shard-b', how: 'behind', live: live[1], candidate: behind },
    ])
  })

  it('lets a candidate trail by the lag allowed, and not a millisecond more', () => {
    const candidate = (ms: number) => [mark('shard-a', '500', 10_000), mark('shard-b', '800', ms)]
    expect(laggingShards(live, candidate(15_000), 5_000)).toEqual([])
    expect(laggingShards(live, candidate(14_999), 5_000).map((l) => l.shardId)).toEqual(['shard-b'])
  })

  it('compares positions as numbers, not text', () => {
    expect(laggingShards([mark('s', '99', 50_000)], [mark('s', '100', 0)], 0)).toEqual([])
    expect(laggingShards([mark('s', '100', 50_000)], [mark('s', '99', 0)], 0)).toHaveLength(1)
  })

  it('counts a shard the candidate has not folded from as trailing, and ignores one only it has', () => {
    expect(
      laggingShards(live, [mark('shard-a', '500', 10_000), mark('shard-z', '1', 0)], 60_000),
    ).toEqual([{ shardId: 'shard-b', how: 'not folded', live: live[1], candidate: undefined }])
    expect(laggingShards([], [mark('shard-z', '1', 0)], 0)).toEqual([])
  })

  it('holds back a candidate that began later in a shard: it misses history the live one has', () => {
    // Deployed from TRIM_HORIZON once records 1 to 99 had expired: as far, from record 100.
    const late = mark('shard-a', '500', 10_000, '100')
    expect(laggingShards([live[0] as FreshnessMark], [late], 60_000)).toEqual([
      { shardId: 'shard-a', how: 'starts later', live: live[0], candidate: late },
    ])
    // From an earlier record than the live one (a rebuild from the archive): not held back.
    const earlier = mark('shard-a', '500', 10_000, '1')
    expect(laggingShards([mark('shard-a', '500', 10_000, '40')], [earlier], 0)).toEqual([])
  })
})

describe('the handler marks each shard it folds', () => {
  const logged = () => {
    const lines: BatchSummary[] = []
    return { lines, log: (line: BatchSummary) => lines.push(line) }
  }

  it('stores the last finished record of each batch, and never moves a mark back', async () => {
    const store = memoryStore(winnerView)
    const handler = makeViewHandler(winnerView, { store, log: () => {} })
    await handler({ Records: [at(1, createData('p1')), at(2, purchaseData('p1'))] })
    expect(store.tables.marks.get(SHARD)).toEqual(
      mark(SHARD, sequenceNumber(2), 1_795_000_002_250, sequenceNumber(1)),
    )
    // An older batch delivered again (a retry, a zombie) leaves the later mark.
    await handler({ Records: [at(1, createData('p1'))] })
    expect(store.tables.marks.get(SHARD)?.sequenceNumber).toBe(sequenceNumber(2))
    // A later batch moves the mark on, and the history still begins at record 1.
    await handler({ Records: [at(3, purchaseData('p1'))] })
    expect(store.tables.marks.get(SHARD)).toEqual(
      mark(SHARD, sequenceNumber(3), 1_795_000_003_250, sequenceNumber(1)),
    )
  })

  it('marks up to the record before the first unfinished one, and nothing when that is the first', async () => {
    // Record 1 is another service's event (skipped); record 2's transaction finds DynamoDB
    // unavailable, so Lambda delivers it again from there.
    const cart = at(1, { schema: 'com.nordstrom/cart/add/1-0-0', id: 'p9' })
    const store = scriptedStore([unavailable, unavailable])
    const handler = makeViewHandler(winnerView, { store, log: () => {}, retry: quickPolicy })
    expect(await handler({ Records: [cart, at(2, createData('p1'))] })).toEqual({
      batchItemFailures: [{ itemIdentifier: sequenceNumber(2) }],
    })
    expect(store.tables.marks.get(SHARD)).toEqual(
      mark(SHARD, sequenceNumber(1), 1_795_000_001_250, sequenceNumber(1)),
    )
    const first = scriptedStore([unavailable])
    await makeViewHandler(winnerView, { store: first, log: () => {}, retry: quickPolicy })({
      Records: [at(2, createData('p1'))],
    })
    expect(first.tables.marks.size).toBe(0)
  })

  it('keeps the batch when the mark cannot be stored, and says why in the log line', async () => {
    const store = memoryStore(winnerView)
    const { lines, log } = logged()
    const handler = makeViewHandler(winnerView, {
      store: {
        ...store,
        markFolded: async () => {
          throw new Error('AccessDeniedException: not authorized to perform dynamodb:PutItem')
        },
      },
      log,
    })
    const answer = await handler({ Records: [at(1, createData('p1'))] })
    expect(answer).toEqual({ batchItemFailures: [] })
    expect(store.tables.states.get('p1')?.creator).toBe(
      'hello-retail/web-client-create-product/ann-profile/ann',
    )
    expect(lines[0]?.markFailure).toBe(
      'Error: AccessDeniedException: not authorized to perform dynamodb:PutItem',
    )
    expect(lines[0]?.failedFrom).toBe(null)
  })
})
