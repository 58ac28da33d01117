import type { KinesisStreamRecord } from 'aws-lambda'
import * as E from 'fp-ts/Either'
import type { ProductState } from '../src/domain/product'
import { type BatchSummary, makeViewHandler } from '../src/runtime/handler'
import { memoryStore } from '../src/runtime/memoryStore'
import type { Store } from '../src/runtime/store'
import { winnerView } from '../src/views/winner'
import {
  createData,
  creatorOrigin,
  imageData,
  ingress,
  kinesisRecord,
  photographerOrigin,
  purchaseData,
  sequenceNumber,
} from './support/fixtures'
import {
  type Answer,
  conflict,
  invalid,
  meanwhile,
  quickPolicy,
  scoreOf,
  scriptedStore,
  unavailable,
  type WinnerTables,
} from './support/scripted'

const SHARD = 'shardId-000000000000'
const alice = creatorOrigin('alice')
const bob = photographerOrigin('bob')

const at = (n: number, envelope: Record<string, unknown>) =>
  kinesisRecord(envelope, { shardId: SHARD, sequenceNumber: sequenceNumber(n) })
const create = (n: number, id: string, origin = alice) => at(n, ingress(origin, createData(id)))
const photo = (n: number, id: string) => at(n, ingress(bob, imageData(id)))
const buy = (n: number, id: string) => at(n, ingress(creatorOrigin('buyer'), purchaseData(id)))
const foreign = (n: number) =>
  at(n, ingress(alice, { schema: 'com.nordstrom/cart/add/1-0-0', id: 'p1' }))
const garbage = (n: number) =>
  kinesisRecord('not JSON', {
    shardId: SHARD,
    sequenceNumber: sequenceNumber(n),
    partitionKey: 'p1',
  })
const batch = (...records: KinesisStreamRecord[]) => ({ Records: records })
/** A purchase of p1 through the fan-out: an egress envelope repeating ingress record `ingressAt`. */
const egressBuy = (n: number, ingressAt: number) =>
  at(n, {
    schema: 'com.nordstrom/retail-stream-egress/1-0-0',
    origin: creatorOrigin('buyer'),
    timeOrigin: '2026-11-26T10:00:00.000Z',
    data: purchaseData('p1'),
    eventId: `shardId-000000000009:${sequenceNumber(ingressAt)}`,
    timeIngest: '2026-11-26T10:00:01.000Z',
    timeProcess: '2026-11-26T10:00:02.000Z',
  })
const eventIdOf = (n: number) => `${SHARD}:${sequenceNumber(n)}`
const failedAt = (n: number) => ({ batchItemFailures: [{ itemIdentifier: sequenceNumber(n) }] })
const allDone = { batchItemFailures: [] }

const context = (remainingMs: number) => ({
  awsRequestId: 'req-7',
  getRemainingTimeInMillis: () => remainingMs,
})
/**
 * An invocation that has a minute left the first `fullAnswers` times it is asked (the
 * timeout check when it starts, then the read's), and `laterMs` from then on.
 */
const runningOut = (laterMs: number, fullAnswers = 2) => {
  let asked = 0
  return {
    awsRequestId: 'req-8',
    getRemainingTimeInMillis: () => (asked++ < fullAnswers ? 60_000 : laterMs),
  }
}

interface Setup {
  readonly answers?: Answer[]
  readonly tables?: WinnerTables
  readonly store?: Partial<Store<ProductState>>
  readonly reserveMs?: number
  readonly commitConcurrency?: number
}

/** A handler on the in-memory store with scripted writes, and the log lines it wrote. */
const setup = ({
  answers = [],
  tables,
  store: overrides = {},
  reserveMs = 5_000,
  commitConcurrency,
}: Setup = {}) => {
  const store = { ...scriptedStore(answers, tables), ...overrides }
  const log = jest.fn<void, [BatchSummary]>()
  const handler = makeViewHandler(winnerView, {
    store,
    log,
    retry: quickPolicy,
    reserveMs,
    ...(commitConcurrency === undefined ? {} : { commitConcurrency }),
  })
  return { store, log, tables: store.tables, handler }
}

/** Another Lambda on the same tables, delivering an overlapping batch in the meantime. */
const otherWriter = (tables: WinnerTables, ...records: KinesisStreamRecord[]) =>
  meanwhile(() =>
    makeViewHandler(winnerView, { store: memoryStore(winnerView, tables), log: () => {} })(
      batch(...records),
    ),
  )

const freshTables = () => memoryStore(winnerView).tables

/** The memory store's reads of `tables`, counted. */
const countingReads = (tables: WinnerTables) => {
  const store = memoryStore(winnerView, tables)
  let count = 0
  return {
    readStates: (keys: ReadonlyArray<string>) => {
      count += 1
      return store.readStates(keys)
    },
    count: () => count,
  }
}
const summaryOf = (log: jest.Mock<void, [BatchSummary]>) => log.mock.calls[0]?.[0]
const rejectedIds = (tables: WinnerTables) => [...tables.rejected.keys()]

describe('the handler when another writer commits the same product first', () => {
  it('re-folds onto the other commit, so that every sale is counted once', async () => {
    const tables = freshTables()
    const records = [create(1, 'p1'), photo(2, 'p1'), buy(3, 'p1'), buy(4, 'p1')]
    const { handler, log } = setup({
      tables,
      answers: [otherWriter(tables, ...records.slice(0, 3))],
    })
    expect(await handler(batch(...records))).toEqual(allDone)
    expect(scoreOf(tables, alice, 'creator')).toMatchObject({ score: 2, products: 1 })
    expect(scoreOf(tables, bob, 'photographer')).toMatchObject({ score: 2, products: 1 })
    expect(tables.states.get('p1')).toMatchObject({ purchases: 2 })
    expect(summaryOf(log)).toMatchObject({ refolds: 1, failure: null })
  })

  it('finishes without a write when the other writer already folded the whole batch', async () => {
    const tables = freshTables()
    const records = [create(1, 'p1'), buy(2, 'p1')]
    const { handler, store } = setup({ tables, answers: [otherWriter(tables, ...records)] })
    expect(await handler(batch(...records))).toEqual(allDone)
    expect(store.calls).toHaveLength(1)
    expect(scoreOf(tables, alice, 'creator')).toMatchObject({ score: 1, products: 1 })
  })

  it('rejects only the product refused after a re-fold, not the one folded elsewhere', async () => {
    const tables = freshTables()
    const records = [create(1, 'A'), create(2, 'B'), buy(3, 'A')]
    const other = otherWriter(tables, create(1, 'A'), buy(3, 'A'))
    const { handler } = setup({ tables, answers: [other, invalid] })
    expect(await handler(batch(...records))).toEqual(allDone)
    expect(rejectedIds(tables)).toEqual([eventIdOf(2)])
    expect(tables.states.get('A')).toMatchObject({ purchases: 1 })
  })
})

describe('the handler when DynamoDB answers with an error', () => {
  it('retries a conflict and commits', async () => {
    const { handler, store, log, tables } = setup({ answers: [conflict] })
    expect(await handler(batch(create(1, 'p1')))).toEqual(allDone)
    expect(store.calls).toHaveLength(2)
    expect(tables.states.has('p1')).toBe(true)
    expect(summaryOf(log)).toMatchObject({ retries: 1, transactions: 1 })
  })

  it('resumes from the first record of the first product the store did not take', async () => {
    const records = Array.from({ length: 120 }, (_, n) =>
      create(n, `p${n}`, creatorOrigin(`u${n}`)),
    )
    const { handler, store, log, tables } = setup({
      answers: ['pass-through', unavailable],
      commitConcurrency: 1,
    })
    expect(await handler(batch(...records, buy(120, 'p0'), buy(121, 'p99')))).toEqual(failedAt(50))
    expect(store.calls).toHaveLength(2)
    expect(tables.states.size).toBe(50)
    expect(summaryOf(log)).toMatchObject({
      level: 'warn',
      folded: 51,
      failedFrom: sequenceNumber(50),
    })
    expect(tables.rejected.size).toBe(0)
  })

  it('rejects only the refused product of a transaction, with a reason starting "commit: "', async () => {
    const records = [create(1, 'p1'), create(2, 'p2'), buy(3, 'p2'), create(4, 'p3')]
    const { handler, tables } = setup({ answers: [invalid, 'pass-through', invalid] })
    expect(await handler(batch(...records))).toEqual(allDone)
    expect(rejectedIds(tables)).toEqual([eventIdOf(2), eventIdOf(3)])
    expect(tables.rejected.get(eventIdOf(3))?.reason).toBe(`commit: ${invalid.reason}`)
    expect([...tables.states.keys()]).toEqual(['p1', 'p3'])
  })

  it('leaves every product record unfinished when the read throws, and still keeps the rejected', async () => {
    const readStates = () => Promise.reject(new Error('connection reset'))
    const { handler, log, tables } = setup({ store: { readStates } })
    const records = [garbage(1), create(2, 'p1'), buy(3, 'p1')]
    expect(await handler(batch(...records))).toEqual(failedAt(2))
    expect(rejectedIds(tables)).toEqual([eventIdOf(1)])
    expect(summaryOf(log)).toMatchObject({ folded: 0, rejected: 1 })
    expect(summaryOf(log)?.failure).toMatch(/^reading states: Error: connection reset/)
  })

  it('resumes from the earliest rejected record when keeping the rejected throws', async () => {
    const keepRejected = () => Promise.reject(new Error('no such table'))
    const { handler, log, tables } = setup({ store: { keepRejected } })
    const records = [create(1, 'p1'), garbage(2), buy(3, 'p1'), garbage(4)]
    expect(await handler(batch(...records))).toEqual(failedAt(2))
    expect(tables.states.get('p1')).toMatchObject({ purchases: 1 })
    expect(summaryOf(log)?.failure).toMatch(/^keeping rejected records: /)
  })

  it('rejects the records of a product whose stored item cannot be read, and goes on', async () => {
    const reason = 'stored item "p1": 0.lastSequenceNumber: expected a sequence number, got nothing'
    const readStates = async () => new Map([['p1', E.left(reason)]])
    const { handler, tables } = setup({ store: { readStates } })
    const records = [create(1, 'p1'), create(2, 'p2'), buy(3, 'p1')]
    expect(await handler(batch(...records))).toEqual(allDone)
    expect(rejectedIds(tables)).toEqual([eventIdOf(1), eventIdOf(3)])
    expect(tables.rejected.get(eventIdOf(3))?.reason).toBe(reason)
    expect([...tables.states.keys()]).toEqual(['p2'])
  })
})

describe('the handler running out of time', () => {
  const records = [garbage(1), create(2, 'p1'), buy(3, 'p1')]

  it('starts no transaction with less time left than the reserve', async () => {
    const { handler, store, log } = setup({ reserveMs: 5_000 })
    expect(await handler(batch(...records), runningOut(1_000))).toEqual(failedAt(2))
    expect(store.calls).toHaveLength(0)
    expect(summaryOf(log)).toMatchObject({ folded: 0, failure: 'too little time left to commit' })
  })

  it('starts no read with less time left than the reserve, and rejects nothing', async () => {
    const tables = freshTables()
    const reads = countingReads(tables)
    const { handler, store, log } = setup({ tables, store: { readStates: reads.readStates } })
    expect(await handler(batch(...records), runningOut(1_000, 1))).toEqual(failedAt(2))
    expect(reads.count()).toBe(0)
    expect(store.calls).toHaveLength(0)
    expect(summaryOf(log)).toMatchObject({ folded: 0, failure: 'too little time left to read' })
  })

  it('commits the same batch with plenty of time left', async () => {
    const { handler, tables } = setup({ reserveMs: 5_000 })
    expect(await handler(batch(...records), context(60_000))).toEqual(allDone)
    expect(tables.states.get('p1')).toMatchObject({ purchases: 1 })
  })
})

describe('the batch log line', () => {
  const records = [
    create(1, 'p1'),
    photo(2, 'p1'),
    buy(3, 'p1'),
    buy(4, 'p2'),
    foreign(5),
    garbage(6),
  ]

  it('is one line per batch with its request, shard, positions and counts', async () => {
    const { handler, log } = setup()
    await handler(batch(...records), context(60_000))
    expect(log).toHaveBeenCalledTimes(1)
    expect(summaryOf(log)).toEqual({
      level: 'info',
      message: 'batch',
      requestId: 'req-7',
      shardId: SHARD,
      firstSequenceNumber: sequenceNumber(1),
      lastSequenceNumber: sequenceNumber(6),
      records: 6,
      folded: 4,
      skipped: 1,
      rejected: 1,
      duplicates: 0,
      keys: 2,
      writes: 2,
      transactions: 1,
      retries: 0,
      refolds: 0,
      conflicts: 0,
      throttles: 0,
      failedFrom: null,
      unfinishedBatches: 0,
      failure: null,
      durationMs: expect.any(Number),
      newestRecordAgeMs: expect.any(Number),
      markFailure: null,
    })
  })

  it('gives the age of the newest record from its arrival in the stream', async () => {
    const { handler, log } = setup()
    const arrived = (record: KinesisStreamRecord, secondsAgo: number) => ({
      ...record,
      kinesis: { ...record.kinesis, approximateArrivalTimestamp: Date.now() / 1000 - secondsAgo },
    })
    await handler(batch(arrived(create(1, 'p1'), 60), arrived(buy(2, 'p1'), 5)), context(60_000))
    const age = summaryOf(log)?.newestRecordAgeMs
    expect(age).toBeGreaterThanOrEqual(5000)
    expect(age).toBeLessThan(6000)
  })

  it('counts the attempts DynamoDB cancelled for a conflict and for throttling, apart', async () => {
    const throttled = {
      kind: 'conflict',
      reason: 'ThrottlingError',
    } as const satisfies Answer
    const { handler, log } = setup({ answers: [conflict, throttled, conflict] })
    expect(await handler(batch(create(1, 'p1')))).toEqual(allDone)
    expect(summaryOf(log)).toMatchObject({ retries: 3, conflicts: 2, throttles: 1 })
  })

  it('counts each attempt after the first as a retry, and each re-read as a re-fold', async () => {
    const tables = freshTables()
    const answers = [conflict, otherWriter(tables, ...records.slice(0, 2))]
    const { handler, log } = setup({ tables, answers })
    expect(await handler(batch(...records))).toEqual(allDone)
    expect(summaryOf(log)).toMatchObject({ transactions: 1, retries: 2, refolds: 1, folded: 4 })
    expect(scoreOf(tables, alice, 'creator')).toMatchObject({ score: 1, products: 1 })
    expect(scoreOf(tables, bob, 'photographer')).toMatchObject({ score: 1, products: 1 })
  })
})

describe('a batch delivered twice', () => {
  it('writes nothing the second time', async () => {
    const { handler, store, tables } = setup()
    const records = batch(create(1, 'p1'), photo(2, 'p1'), buy(3, 'p1'))
    await handler(records)
    const before = structuredClone(tables)
    expect(await handler(records)).toEqual(allDone)
    expect(store.calls).toHaveLength(1)
    expect(tables).toEqual(before)
  })
})

describe('records whose outcomes overlap', () => {
  it('rejects only the records a refused commit would have folded, not those folded before', async () => {
    const { handler, tables } = setup({ answers: ['pass-through', invalid] })
    await handler(batch(create(1, 'p1'), buy(2, 'p1')))
    expect(await handler(batch(create(1, 'p1'), buy(2, 'p1'), buy(3, 'p1')))).toEqual(allDone)
    expect(rejectedIds(tables)).toEqual([eventIdOf(3)])
    expect(tables.states.get('p1')?.purchases).toBe(1)
  })

  it('keeps a fan-out duplicate in a refused product once, and counts each record once', async () => {
    const { handler, tables, log } = setup({ answers: [invalid] })
    await handler(batch(create(1, 'p1'), egressBuy(2, 50), egressBuy(3, 50)))
    expect(rejectedIds(tables).sort()).toEqual([eventIdOf(1), eventIdOf(2), eventIdOf(3)])
    expect(tables.rejected.get(eventIdOf(3))?.reason).toMatch(/^fan-out duplicate of /)
    expect(summaryOf(log)).toMatchObject({ records: 3, folded: 0, rejected: 3, duplicates: 1 })
  })

  it('counts a duplicate whose product did not commit as unfinished, never below zero folded', async () => {
    const { handler, log } = setup({ answers: [unavailable] })
    expect(await handler(batch(create(1, 'p1'), egressBuy(2, 50), egressBuy(3, 50)))).toEqual(
      failedAt(1),
    )
    expect(summaryOf(log)).toMatchObject({ folded: 0, rejected: 0, duplicates: 0 })
  })
})

describe('duplicates judged on the state the commit applies to', () => {
  it('keeps a duplicate before the commit that moves its product past it, even when that commit then fails', async () => {
    const { handler, tables } = setup({ answers: [unavailable] })
    const records = batch(create(1, 'p1'), egressBuy(2, 50), egressBuy(3, 50))
    expect(await handler(records)).toEqual(failedAt(1))
    expect(rejectedIds(tables)).toEqual([eventIdOf(3)])
    expect(await handler(records)).toEqual(allDone)
    expect(rejectedIds(tables)).toEqual([eventIdOf(3)])
    expect(tables.states.get('p1')).toMatchObject({ purchases: 1 })
  })

  it('commits nothing when its duplicates cannot be kept, so that none is passed and lost', async () => {
    let refusals = 1
    const tables = freshTables()
    const keeping = memoryStore(winnerView, tables)
    const { handler, log } = setup({
      tables,
      store: {
        keepRejected: async (kept) => {
          if (refusals-- > 0) throw new Error('throttled')
          return keeping.keepRejected(kept)
        },
      },
    })
    const records = batch(create(1, 'p1'), egressBuy(2, 50), egressBuy(3, 50), egressBuy(4, 60))
    expect(await handler(records)).toEqual(failedAt(1))
    expect(tables.states.size).toBe(0)
    expect(summaryOf(log)?.failure).toBe('keeping rejected records: Error: throttled')
    expect(await handler(records)).toEqual(allDone)
    expect(rejectedIds(tables)).toEqual([eventIdOf(3)])
    expect(tables.states.get('p1')).toMatchObject({ purchases: 2 })
  })

  it('counts a duplicate judged again on a re-fold once', async () => {
    const tables = freshTables()
    const { handler, log } = setup({
      tables,
      answers: ['pass-through', otherWriter(tables, buy(3, 'p1'))],
    })
    expect(await handler(batch(create(1, 'p1'), egressBuy(2, 50)))).toEqual(allDone)
    expect(await handler(batch(egressBuy(4, 50), buy(5, 'p1')))).toEqual(allDone)
    expect(log.mock.calls[1]?.[0]).toMatchObject({ refolds: 1, rejected: 1, duplicates: 1 })
    expect(rejectedIds(tables)).toEqual([eventIdOf(4)])
    expect(tables.states.get('p1')).toMatchObject({ purchases: 3 })
  })

  it('keeps a duplicate that only the re-read state shows, when another writer folded its original', async () => {
    const tables = freshTables()
    // The other writer folds the sale with ingress 50; ours then brings it again, and a create.
    const { handler, log } = setup({
      tables,
      answers: [otherWriter(tables, create(1, 'p1'), egressBuy(2, 50))],
    })
    expect(await handler(batch(create(1, 'p1'), egressBuy(3, 50)))).toEqual(allDone)
    expect(rejectedIds(tables)).toEqual([eventIdOf(3)])
    expect(tables.rejected.get(eventIdOf(3))?.reason).toMatch(/^fan-out duplicate of /)
    expect(tables.states.get('p1')).toMatchObject({ purchases: 1 })
    expect(summaryOf(log)).toMatchObject({ refolds: 1, rejected: 1, duplicates: 1 })
  })
})

describe('the states a container committed', () => {
  it('folds a later batch onto them without reading, and catches a state changed elsewhere by its condition', async () => {
    const tables = freshTables()
    const reads = countingReads(tables)
    const { handler, log } = setup({ tables, store: { readStates: reads.readStates } })
    expect(await handler(batch(create(1, 'p1'), buy(2, 'p1')))).toEqual(allDone)
    expect(reads.count()).toBe(1)
    expect(await handler(batch(buy(3, 'p1'), create(4, 'p2')))).toEqual(allDone)
    // p1 from the cache, p2 taken for new: no read.
    expect(reads.count()).toBe(1)
    // Another writer moves p1 on; the cached state is behind, the condition says so.
    await makeViewHandler(winnerView, { store: memoryStore(winnerView, tables), log: () => {} })(
      batch(buy(5, 'p1')),
    )
    expect(await handler(batch(buy(6, 'p1')))).toEqual(allDone)
    expect(reads.count()).toBe(2)
    expect(log.mock.calls[2]?.[0]).toMatchObject({ refolds: 1, retries: 1 })
    expect(tables.states.get('p1')).toMatchObject({ purchases: 4, creatorScore: 4 })
    expect(scoreOf(tables, alice, 'creator')).toMatchObject({ score: 4, products: 2 })
  })

  it('reads a key before keeping a duplicate judged on its cached state, as no commit checks it', async () => {
    const tables = freshTables()
    const reads = countingReads(tables)
    const { handler, log } = setup({ tables, store: { readStates: reads.readStates } })
    expect(await handler(batch(create(1, 'p1'), egressBuy(2, 50)))).toEqual(allDone)
    expect(reads.count()).toBe(1)
    // Only a duplicate: nothing to write, so it is confirmed on a read before it is kept.
    expect(await handler(batch(egressBuy(3, 50)))).toEqual(allDone)
    expect(reads.count()).toBe(2)
    expect(rejectedIds(tables)).toEqual([eventIdOf(3)])
    expect(log.mock.calls[1]?.[0]).toMatchObject({ rejected: 1, duplicates: 1, writes: 0 })
    // A plain redelivery writes nothing either: it too is confirmed on a read.
    expect(await handler(batch(egressBuy(2, 50)))).toEqual(allDone)
    expect(reads.count()).toBe(3)
  })

  it('delivers a first delivery without a read once caught up, and reads a redelivery before passing it over', async () => {
    const tables = freshTables()
    const reads = countingReads(tables)
    const { handler, store } = setup({ tables, store: { readStates: reads.readStates } })
    await handler(batch(create(1, 'p1')))
    await handler(batch(buy(2, 'p1'), create(3, 'p2')))
    expect(reads.count()).toBe(1)
    expect(await handler(batch(buy(2, 'p1'), create(3, 'p2')))).toEqual(allDone)
    expect(reads.count()).toBe(2)
    expect(store.calls).toHaveLength(2)
  })

  it('writes a replayed stream again into recreated tables, though its cache holds every product as folded', async () => {
    const tables = freshTables()
    const { handler } = setup({ tables })
    const stream = batch(create(1, 'p1'), photo(2, 'p1'), buy(3, 'p1'), create(4, 'p2'))
    expect(await handler(stream)).toEqual(allDone)
    // The tables are deleted and created again; the mapping reads from TRIM_HORIZON again.
    tables.states.clear()
    tables.aggregates.clear()
    tables.rejected.clear()
    expect(await handler(stream)).toEqual(allDone)
    expect(tables.states.get('p1')).toMatchObject({
      creator: alice,
      photographer: bob,
      purchases: 1,
      lastSequenceNumber: sequenceNumber(3),
    })
    expect(tables.states.get('p2')).toMatchObject({ creator: alice, purchases: 0 })
    expect(scoreOf(tables, alice, 'creator')).toMatchObject({ score: 1, products: 2 })
    expect(scoreOf(tables, bob, 'photographer')).toMatchObject({ score: 1, products: 1 })
  })

  it('writes a product that is partly folded in its cache again from the start into recreated tables', async () => {
    const tables = freshTables()
    const { handler } = setup({ tables })
    expect(await handler(batch(create(1, 'p1'), buy(2, 'p1')))).toEqual(allDone)
    tables.states.clear()
    tables.aggregates.clear()
    expect(await handler(batch(create(1, 'p1'), buy(2, 'p1'), buy(3, 'p1')))).toEqual(allDone)
    expect(tables.states.get('p1')).toMatchObject({ purchases: 2, creatorScore: 2 })
    expect(scoreOf(tables, alice, 'creator')).toMatchObject({ score: 2, products: 1 })
  })

  it('reads every batch when the cache is off', async () => {
    const tables = freshTables()
    const reads = countingReads(tables)
    const store = { ...memoryStore(winnerView, tables), readStates: reads.readStates }
    const handler = makeViewHandler(winnerView, { store, log: () => {}, cacheSize: 0 })
    await handler(batch(create(1, 'p1')))
    await handler(batch(buy(2, 'p1')))
    expect(reads.count()).toBe(2)
  })
})

describe('the tables checked once per container', () => {
  it('fails the whole batch on a configuration error, rejects nothing, and checks again next time', async () => {
    let fixed = false
    const checkTables = jest.fn(async () => {
      if (!fixed) throw new Error('table winner-view-dev-Scores does not exist')
    })
    const { handler, log, tables, store } = setup({ store: { checkTables } })
    const records = batch(create(1, 'p1'), garbage(2))
    expect(await handler(records)).toEqual(failedAt(1))
    expect(summaryOf(log)).toMatchObject({
      level: 'warn',
      failure: 'configuration: table winner-view-dev-Scores does not exist',
      unfinishedBatches: 1,
      rejected: 0,
    })
    expect(store.calls).toHaveLength(0)
    expect(rejectedIds(tables)).toEqual([])
    fixed = true
    expect(await handler(records)).toEqual(allDone)
    expect(await handler(batch(buy(3, 'p1')))).toEqual(allDone)
    expect(checkTables).toHaveBeenCalledTimes(2)
    expect(rejectedIds(tables)).toEqual([eventIdOf(2)])
  })

  it('says in the log line that a batch left records unfinished, and how long it took', async () => {
    const { handler, log } = setup({ answers: [unavailable] })
    await handler(batch(create(1, 'p1')), context(60_000))
    expect(summaryOf(log)).toMatchObject({ unfinishedBatches: 1, failedFrom: sequenceNumber(1) })
    expect(summaryOf(log)?.durationMs).toBeLessThan(10_000)
  })

  it('starts no transaction with exactly the reserve left', async () => {
    const { handler, store } = setup({ reserveMs: 5_000 })
    expect(await handler(batch(create(1, 'p1')), runningOut(5_000))).toEqual(failedAt(1))
    expect(store.calls).toHaveLength(0)
  })

  it('fails every batch as a configuration error when the function’s timeout is at or below the reserve, and rejects nothing', async () => {
    const { handler, store, log, tables } = setup({ reserveMs: 19_000 })
    const records = batch(garbage(1), create(2, 'p1'))
    for (const timeout of [19_000, 3_000]) {
      expect(await handler(records, context(timeout))).toEqual(failedAt(1))
    }
    expect(summaryOf(log)).toMatchObject({
      level: 'warn',
      failure:
        "configuration: the function's timeout leaves 19000 ms for a batch, at or below the 19000 ms reserve no transaction starts within; raise it above 19 s",
      unfinishedBatches: 1,
    })
    expect(store.calls).toHaveLength(0)
    expect(rejectedIds(tables)).toEqual([])
    expect(await handler(records, context(19_001))).toEqual(allDone)
  })
})
