import * as E from 'fp-ts/Either'
import type { ProductEvent } from '../src/domain/events'
import type { ProductState } from '../src/domain/product'
import { commitBatch } from '../src/runtime/commit'
import { memoryStore, TRANSACTION_CONFLICT } from '../src/runtime/memoryStore'
import { type PlannedWrite as Planned, planKey } from '../src/runtime/plan'
import { winnerView } from '../src/views/winner'
import { created, purchased } from './support/events'
import { sequenceNumber } from './support/fixtures'
import {
  conflict,
  invalid,
  quickPolicy,
  scoreOf,
  scriptedStore,
  unavailable,
  type WinnerTables,
} from './support/scripted'

type PlannedWrite = Planned<ProductEvent, ProductState>

const options = { policy: quickPolicy, hasTime: () => true }

/** A product's events of this batch folded onto what was read; the test needs a write. */
const plan = (events: ProductEvent[], read?: ProductState): PlannedWrite => {
  const productId = events[0]?.productId ?? ''
  const batch = { key: productId, events, recordIndexes: events.map((_, at) => at) }
  return planKey(winnerView, batch, read).planned as PlannedWrite
}

/** Another writer's commit, straight to the tables, past the script. */
const commitNow = (tables: WinnerTables, events: ProductEvent[], read?: ProductState) =>
  memoryStore(winnerView, tables).writeStates([plan(events, read).write])

const idsOf = (writes: ReadonlyArray<PlannedWrite>) => writes.map((p) => p.batch.key)

/** `count` new products, each created by its own user: two items each in a transaction. */
const creations = (count: number) =>
  Array.from({ length: count }, (_, at) => plan([created(`p${at}`, `user-${at}`, at)]))

describe('committing a batch after someone else wrote its products', () => {
  it('re-reads and folds onto what the other writer committed, so Scores count each sale once', async () => {
    const store = scriptedStore([])
    await commitNow(store.tables, [created('p1', 'alice', 1)])
    const read = store.tables.states.get('p1')
    const ours = plan([purchased('p1', 2), purchased('p1', 3)], read)
    await commitNow(store.tables, [purchased('p1', 2)], read)
    const result = await commitBatch(winnerView, store, options, [ours])
    expect(result).toMatchObject({ unfinished: [], unstorable: [], refolds: 1, transactions: 1 })
    expect(scoreOf(store.tables, 'alice', 'creator')).toMatchObject({ score: 2, products: 1 })
    expect(store.tables.states.get('p1')).toMatchObject({
      purchases: 2,
      creatorScore: 2,
      lastSequenceNumber: sequenceNumber(3),
    })
  })

  it('writes nothing more when the other writer already folded every event of the batch', async () => {
    const store = scriptedStore([])
    await commitNow(store.tables, [created('p1', 'alice', 1)])
    const read = store.tables.states.get('p1')
    const ours = plan([purchased('p1', 2), purchased('p1', 3)], read)
    await commitNow(store.tables, [purchased('p1', 2), purchased('p1', 3)], read)
    const result = await commitBatch(winnerView, store, options, [ours])
    expect(result).toMatchObject({ unfinished: [], unstorable: [], refolds: 1 })
    expect(result.failure).toBeUndefined()
    expect(store.calls).toHaveLength(1)
    expect(scoreOf(store.tables, 'alice', 'creator')).toMatchObject({ score: 2, products: 1 })
  })

  it('rejects a stale product whose stored item cannot be read back, with the stored reason', async () => {
    const memory = scriptedStore([{ kind: 'stale', keys: ['p1'] }])
    const reason = 'stored item "p1": 0.lastSequenceNumber: expected a sequence number, got nothing'
    const readStates = async () => new Map([['p1', E.left(reason)]])
    const store = { ...memory, readStates }
    const result = await commitBatch(winnerView, store, options, [
      plan([created('p1', 'alice', 1)]),
    ])
    expect(result.unstorable.map((u) => [u.planned.batch.key, u.reason])).toEqual([['p1', reason]])
    expect(result.unfinished).toEqual([])
  })

  it('leaves the transaction unfinished when the re-read throws', async () => {
    const memory = scriptedStore([{ kind: 'stale', keys: ['p1'] }])
    const readStates = async () => Promise.reject(new Error('socket hang up'))
    const ours = plan([created('p1', 'alice', 1)])
    const result = await commitBatch(winnerView, { ...memory, readStates }, options, [ours])
    expect(result.unfinished).toEqual([ours])
    expect(result.failure).toBe('Error: socket hang up')
  })
})

describe('committing a batch through conflicts', () => {
  it('backs off and tries again after a conflict, and counts the retries', async () => {
    const store = scriptedStore([conflict, conflict])
    const result = await commitBatch(winnerView, store, options, [
      plan([created('p1', 'alice', 1)]),
    ])
    expect(result).toMatchObject({ unfinished: [], retries: 2, transactions: 1 })
    expect(store.calls).toHaveLength(3)
    expect(store.tables.states.get('p1')?.creator).toBe('alice')
  })

  it('gives up after the policy allows no more attempts, saying how many it made', async () => {
    const store = scriptedStore([conflict, conflict, conflict, conflict])
    const ours = plan([created('p1', 'alice', 1)])
    const result = await commitBatch(winnerView, store, options, [ours])
    expect(result.unfinished).toEqual([ours])
    expect(result.failure).toMatch(/4 attempts/)
    expect(store.calls).toHaveLength(4)
    expect(store.tables.states.size).toBe(0)
  })
})

describe('committing a batch when the store does not answer', () => {
  it('leaves that transaction and every later one unfinished, without trying it again', async () => {
    const store = scriptedStore(['pass-through', unavailable])
    const oneAtATime = { ...options, concurrency: 1 }
    const result = await commitBatch(winnerView, store, oneAtATime, creations(120))
    expect(store.calls.map((call) => call.length)).toEqual([50, 50])
    expect(idsOf(result.unfinished)).toEqual(Array.from({ length: 70 }, (_, at) => `p${at + 50}`))
    expect(result).toMatchObject({ transactions: 1, retries: 0, failure: unavailable.reason })
    expect(store.tables.states.size).toBe(50)
  })

  it('starts no transaction when too little time is left', async () => {
    const store = scriptedStore([])
    const writes = [plan([created('p1', 'alice', 1)]), plan([created('p2', 'bob', 2)])]
    const noTime = { ...options, hasTime: () => false }
    const result = await commitBatch(winnerView, store, noTime, writes)
    expect(idsOf(result.unfinished)).toEqual(['p1', 'p2'])
    expect(result.failure).toBe('too little time left to commit')
    expect(store.calls).toHaveLength(0)
  })
})

describe('committing a batch that DynamoDB refuses for good', () => {
  it('splits the transaction and refuses only the product that fails alone', async () => {
    const store = scriptedStore([invalid, 'pass-through', invalid])
    const writes = ['p1', 'p2', 'p3'].map((id, at) => plan([created(id, 'alice', at)]))
    const result = await commitBatch(winnerView, store, options, writes)
    expect(store.calls.map((call) => call.map((w) => w.state.productId))).toEqual([
      ['p1', 'p2', 'p3'],
      ['p1'],
      ['p2'],
      ['p3'],
    ])
    expect(result.unstorable.map((u) => [u.planned.batch.key, u.reason])).toEqual([
      ['p2', invalid.reason],
    ])
    expect([...store.tables.states.keys()]).toEqual(['p1', 'p3'])
    expect(result.unfinished).toEqual([])
  })

  it('refuses only what remains after a re-fold, not a product already folded elsewhere', async () => {
    const store = scriptedStore(['pass-through', invalid])
    await commitNow(store.tables, [created('A', 'alice', 1)])
    const read = store.tables.states.get('A')
    const writes = [plan([purchased('A', 2)], read), plan([created('B', 'bob', 3)])]
    await commitNow(store.tables, [purchased('A', 2)], read)
    const result = await commitBatch(winnerView, store, options, writes)
    expect(result.unstorable.map((u) => u.planned.batch.key)).toEqual(['B'])
    expect(store.calls.map((call) => call.map((w) => w.state.productId))).toEqual([
      ['A', 'B'],
      ['B'],
    ])
    expect(result).toMatchObject({ unfinished: [], refolds: 1 })
  })
})

describe('committing transactions at once', () => {
  /** A store that answers after a few milliseconds and counts the transactions in flight. */
  const slowStore = (answers: Parameters<typeof scriptedStore>[0] = []) => {
    const store = scriptedStore(answers)
    const flight = { now: 0, most: 0 }
    const writeStates: typeof store.writeStates = Object.assign(
      async (writes: Parameters<typeof store.writeStates>[0]) => {
        flight.now += 1
        flight.most = Math.max(flight.most, flight.now)
        await new Promise((resolve) => setTimeout(resolve, 5))
        flight.now -= 1
        return store.writeStates(writes)
      },
      { calls: store.calls },
    )
    return { store: { ...store, writeStates }, flight }
  }
  const fourAtOnce = { ...options, concurrency: 4 }
  const byAlice = (count: number) =>
    Array.from({ length: count }, (_, at) => plan([created(`p${at}`, 'alice', at)]))

  it('runs transactions that share no aggregate item at the same time, up to the limit', async () => {
    const { store, flight } = slowStore()
    const result = await commitBatch(winnerView, store, fourAtOnce, creations(250))
    expect(result).toMatchObject({ transactions: 5, unfinished: [] })
    expect(flight.most).toBe(4)
    expect(store.tables.states.size).toBe(250)
  })

  it('runs transactions that share a Scores item one after the other', async () => {
    const { store, flight } = slowStore()
    const result = await commitBatch(winnerView, store, fourAtOnce, byAlice(150))
    expect(result.transactions).toBeGreaterThan(1)
    expect(flight.most).toBe(1)
    expect(scoreOf(store.tables, 'alice', 'creator')).toMatchObject({ products: 150 })
  })

  it('after a failure starts no transaction more: those started commit, the rest is unfinished', async () => {
    const { store } = slowStore(['pass-through', unavailable])
    const twoAtOnce = { ...options, concurrency: 2 }
    const result = await commitBatch(winnerView, store, twoAtOnce, creations(250))
    // Two in flight: the second fails; those that started before its answer commit,
    // and of the five no transaction starts after it.
    expect(result).toMatchObject({ failure: unavailable.reason })
    expect(store.calls.length).toBeLessThan(5)
    expect(result.transactions).toBe(store.calls.length - 1)
    expect(result.committed.length + result.unfinished.length).toBe(250)
    expect(result.unfinished.length).toBeGreaterThanOrEqual(100)
    expect(store.tables.states.size).toBe(result.committed.length)
  })
})

/**
 * Carol created p1 and c0..c59 elsewhere; the batch buys her products and takes p1 for
 * new, created by dave, with 45 more of his: 61 items and 47 items, two transactions that
 * share nothing, until p1's re-fold finds carol its creator and adds her Scores item to
 * the second. The store holds a transaction's items 20 ms.
 */
const refoldAddsAnItem = async () => {
  const store = memoryStore(winnerView, undefined, { holdMs: 20 })
  const tables = store.tables
  await commitNow(tables, [created('p1', 'carol', 1)])
  for (let at = 0; at < 60; at += 1) await commitNow(tables, [created(`c${at}`, 'carol', 2)])
  const carols = Array.from({ length: 60 }, (_, at) =>
    plan([purchased(`c${at}`, 100)], tables.states.get(`c${at}`)),
  )
  const daves = Array.from({ length: 45 }, (_, at) => plan([created(`d${at}`, 'dave', 100)]))
  const p1 = plan([created('p1', 'dave', 200), purchased('p1', 201)])
  return { store, tables, writes: [...carols, p1, ...daves] }
}

describe('committing transactions at once on a store that holds their items as DynamoDB does', () => {
  it('cancels a transaction that touches an item another one holds, and counts it', async () => {
    const store = memoryStore(winnerView, undefined, { holdMs: 20 })
    const first = store.writeStates([plan([created('p1', 'alice', 1)]).write])
    const second = await store.writeStates([plan([created('p2', 'alice', 2)]).write])
    expect(second).toEqual(TRANSACTION_CONFLICT)
    expect(await first).toEqual({ kind: 'committed' })
    expect(store.stats.conflicts).toBe(1)
    expect(await store.writeStates([plan([created('p2', 'alice', 2)]).write])).toEqual({
      kind: 'committed',
    })
  })

  it('never runs a transaction that a re-fold gave a Scores item beside another holding that item', async () => {
    const { store, tables, writes } = await refoldAddsAnItem()
    const result = await commitBatch(winnerView, store, { ...options, concurrency: 4 }, writes)
    expect(result).toMatchObject({ unfinished: [], refolds: 1, transactions: 2 })
    expect(store.stats.conflicts).toBe(0)
    expect(scoreOf(tables, 'carol', 'creator')).toMatchObject({ score: 61, products: 61 })
    expect(scoreOf(tables, 'dave', 'creator')).toMatchObject({ score: 0, products: 45 })
  })
})

describe('committing a transaction that waited for a held item', () => {
  it('checks the time left again after the wait, and starts nothing once it is short', async () => {
    const { store, tables, writes } = await refoldAddsAnItem()
    // Time runs out while the re-folded transaction waits for carol's item: once the
    // transaction holding it has committed.
    const hasTime = () => tables.states.get('c0')?.purchases !== 1
    const result = await commitBatch(
      winnerView,
      store,
      { ...options, hasTime, concurrency: 4 },
      writes,
    )
    expect(result.failure).toBe('too little time left to commit')
    const daves = Array.from({ length: 45 }, (_, at) => `d${at}`)
    expect(idsOf(result.unfinished).sort()).toEqual(['p1', ...daves].sort())
    expect(tables.states.has('d0')).toBe(false)
    expect(tables.states.get('p1')?.purchases).toBe(0)
  })
})

describe('committing a transaction whose keys settle on a re-read', () => {
  it('is settled, not failed, when the re-read of its last attempt finds everything folded', async () => {
    const store = scriptedStore([{ kind: 'stale', keys: ['p1'] }])
    const ours = plan([created('p1', 'alice', 1)])
    await commitNow(store.tables, [created('p1', 'alice', 1)])
    const oneAttempt = { ...options, policy: { ...quickPolicy, maxAttempts: 1 } }
    const result = await commitBatch(winnerView, store, oneAttempt, [ours])
    expect(result).toMatchObject({ unfinished: [], refolds: 1 })
    expect(result.failure).toBeUndefined()
    expect(result.settled.map((s) => s.batch.key)).toEqual(['p1'])
  })

  it('leaves unfinished only what is left when a re-read throws, not a key settled before', async () => {
    const memory = scriptedStore([
      { kind: 'stale', keys: ['A', 'B'] },
      { kind: 'stale', keys: ['B'] },
    ])
    await commitNow(memory.tables, [created('A', 'alice', 1)])
    let reads = 0
    const readStates = async (keys: ReadonlyArray<string>) => {
      reads += 1
      if (reads > 1) throw new Error('socket hang up')
      return memory.readStates(keys)
    }
    const writes = [plan([created('A', 'alice', 1)]), plan([created('B', 'bob', 2)])]
    const result = await commitBatch(winnerView, { ...memory, readStates }, options, writes)
    expect(result.settled.map((s) => s.batch.key)).toEqual(['A'])
    expect(idsOf(result.unfinished)).toEqual(['B'])
    expect(result.failure).toBe('Error: socket hang up')
  })
})
