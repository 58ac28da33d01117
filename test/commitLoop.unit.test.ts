import type { ProductEvent } from '../src/domain/events'
import type { ProductState } from '../src/domain/product'
import { commitBatch, type Settled } from '../src/runtime/commit'
import { emptyTables } from '../src/runtime/memoryStore'
import type { StateWrite } from '../src/runtime/store'
import { winnerView } from '../src/views/winner'
import {
  commitNow,
  itemsOf,
  keysOf,
  type Planned,
  pause,
  plan,
  timedStore,
} from './support/commitLoop'
import { created, purchased } from './support/events'
import { sequenceNumber } from './support/fixtures'
import {
  conflict,
  invalid,
  meanwhile,
  quickPolicy,
  scoreOf,
  scriptedStore,
  unavailable,
  type WinnerTables,
} from './support/scripted'

const options = { policy: quickPolicy, hasTime: () => true }

const idsOf = (writes: ReadonlyArray<Planned>) => writes.map((p) => p.batch.key)

/** Each transaction the store was asked to write, as its products and the positions expected. */
const conditionsOf = (calls: ReadonlyArray<ReadonlyArray<StateWrite<ProductState>>>) =>
  calls.map((writes) => writes.map((w) => [w.key, w.expectedPosition]))

/** The tables with A created by alice and B by bob, as read before the batch was folded. */
const aliceAndBob = async () => {
  const tables = emptyTables<ProductState>()
  await commitNow(tables, [plan([created('A', 'alice', 1)]), plan([created('B', 'bob', 2)])])
  return { tables, readA: tables.states.get('A'), readB: tables.states.get('B') }
}

/** A store over `tables` with scripted writes, whose reads note the keys asked for. */
const readsNoted = (tables: WinnerTables, answers: Parameters<typeof scriptedStore>[0]) => {
  const store = scriptedStore(answers, tables)
  const reads: string[][] = []
  const readStates = (keys: ReadonlyArray<string>) => {
    reads.push([...keys])
    return store.readStates(keys)
  }
  return { store: { ...store, readStates }, calls: store.calls, reads }
}

describe('re-folding a transaction after another writer moved one of its products', () => {
  it('re-reads only the product that moved, and writes the other one as first planned', async () => {
    const { tables, readA, readB } = await aliceAndBob()
    const ours = [
      plan([purchased('A', 3), purchased('A', 4)], readA),
      plan([purchased('B', 5)], readB),
    ]
    const other = meanwhile(() => commitNow(tables, [plan([purchased('A', 3)], readA)]))
    const { store, calls, reads } = readsNoted(tables, [other])
    const result = await commitBatch(winnerView, store, options, ours)
    expect(reads).toEqual([['A']])
    expect(conditionsOf(calls)).toEqual([
      [
        ['A', sequenceNumber(1)],
        ['B', sequenceNumber(2)],
      ],
      [
        ['A', sequenceNumber(3)],
        ['B', sequenceNumber(2)],
      ],
    ])
    expect(result.committed[1]).toBe(ours[1])
    expect(result).toMatchObject({ refolds: 1, transactions: 1, unfinished: [], unstorable: [] })
    expect(scoreOf(tables, 'alice', 'creator')).toMatchObject({ score: 2, products: 1 })
    expect(scoreOf(tables, 'bob', 'creator')).toMatchObject({ score: 1, products: 1 })
  })

  it('splits a transaction that the re-fold made larger than 100 items', async () => {
    const tables = emptyTables<ProductState>()
    const ids = Array.from({ length: 51 }, (_, at) => `q${at}`)
    // Bought before anyone was known to create them: no Scores item, 51 items in all.
    const ours = ids.map((id) => plan([purchased(id, 100)]))
    // Meanwhile each is created elsewhere, by its own maker: the sale now earns a point.
    const makers = ids.map((id, at) => plan([created(id, `maker-${at}`, 1)]))
    const store = scriptedStore([meanwhile(() => commitNow(tables, makers))], tables)
    const result = await commitBatch(winnerView, store, options, ours)
    expect(store.calls.map(itemsOf)).toEqual([51, 100, 2])
    expect(keysOf(store.calls)).toEqual([ids, ids.slice(0, 50), ['q50']])
    expect(result).toMatchObject({ refolds: 1, transactions: 2, unfinished: [] })
    expect(result.failure).toBeUndefined()
    expect(scoreOf(tables, 'maker-50', 'creator')).toMatchObject({ score: 1, products: 1 })
  })
})

const FAN_OUT_SHARD = 'shardId-000000000009'

/** A purchase the fan-out re-published at `n`, from the ingress record at `ingressAt`. */
const egressBuy = (productId: string, n: number, ingressAt: number): ProductEvent => ({
  ...purchased(productId, n),
  ingress: { shardId: FAN_OUT_SHARD, sequenceNumber: sequenceNumber(ingressAt) },
})

describe('keeping the duplicates a re-fold finds', () => {
  /** What the batch did, in order: its writes (by products) and the duplicates it kept. */
  const noting = () => {
    const steps: string[] = []
    const kept: ReadonlyArray<Settled<unknown>>[] = []
    const keepDuplicates = async (judged: ReadonlyArray<Settled<unknown>>) => {
      steps.push(`keep ${judged.map((j) => j.batch.key).join(',')}`)
      kept.push(judged)
    }
    return { steps, kept, keepDuplicates }
  }

  it('keeps only the products that have duplicates, before the write that moves past them', async () => {
    const { tables, readA, readB } = await aliceAndBob()
    // Ours: A's sale fanned out again at 10, and two sales of B.
    const ours = [
      plan([egressBuy('A', 10, 50)], readA),
      plan([purchased('B', 3), purchased('B', 4)], readB),
    ]
    // Meanwhile another writer folds the same ingress record of A (at 9) and B's first sale.
    const others = [plan([egressBuy('A', 9, 50)], readA), plan([purchased('B', 3)], readB)]
    const store = scriptedStore([meanwhile(() => commitNow(tables, others))], tables)
    const { steps, kept, keepDuplicates } = noting()
    const writeStates = (writes: ReadonlyArray<StateWrite<ProductState>>) => {
      steps.push(`write ${writes.map((w) => w.key).join(',')}`)
      return store.writeStates(writes)
    }
    const noted = { ...options, keepDuplicates }
    const result = await commitBatch(winnerView, { ...store, writeStates }, noted, ours)
    expect(steps).toEqual(['write A,B', 'keep A', 'write B'])
    const reason = `fan-out duplicate of ${FAN_OUT_SHARD}:${sequenceNumber(50)}: that event is already folded`
    expect(kept).toEqual([[{ batch: ours[0]?.batch, duplicates: [{ at: 0, reason }] }]])
    expect(result.settled.map((s) => s.batch.key)).toEqual(['A'])
    expect(tables.states.get('B')).toMatchObject({ purchases: 2 })
  })

  it('keeps nothing when the re-fold finds no duplicate', async () => {
    const { tables, readA, readB } = await aliceAndBob()
    const ours = [
      plan([purchased('A', 3), purchased('A', 4)], readA),
      plan([purchased('B', 5)], readB),
    ]
    const other = meanwhile(() => commitNow(tables, [plan([purchased('A', 3)], readA)]))
    const store = scriptedStore([other], tables)
    const keepDuplicates = jest.fn(async () => {})
    const result = await commitBatch(winnerView, store, { ...options, keepDuplicates }, ours)
    expect(result).toMatchObject({ refolds: 1, transactions: 1 })
    expect(keepDuplicates).not.toHaveBeenCalled()
  })
})

describe('waiting between attempts after a conflict', () => {
  // Backoff with full jitter: a random draw of 0.5 asks half the capped exponential delay.
  const policy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 1000 }
  const waiting = () => {
    const waits: number[] = []
    const sleep = async (ms: number) => {
      waits.push(ms)
    }
    return { waits, options: { ...options, policy, sleep } }
  }
  beforeEach(() => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5)
  })
  afterEach(() => {
    jest.restoreAllMocks()
  })

  it('waits 10, 20, then 40 ms, and not after its last attempt, when every attempt conflicts', async () => {
    const store = scriptedStore([conflict, conflict, conflict, conflict])
    const { waits, options: waitingOptions } = waiting()
    const ours = plan([created('p1', 'alice', 1)])
    const result = await commitBatch(winnerView, store, waitingOptions, [ours])
    expect(waits).toEqual([10, 20, 40])
    expect(store.calls).toHaveLength(4)
    expect(result).toMatchObject({ failure: 'gave up after 4 attempts', conflicts: 4, retries: 3 })
    expect(result.unfinished).toEqual([ours])
  })

  it('waits 10 then 20 ms when a transaction conflicts twice, then commits', async () => {
    const store = scriptedStore([conflict, conflict])
    const { waits, options: waitingOptions } = waiting()
    const result = await commitBatch(winnerView, store, waitingOptions, [
      plan([created('p1', 'alice', 1)]),
    ])
    expect(waits).toEqual([10, 20])
    expect(store.calls).toHaveLength(3)
    expect(result).toMatchObject({ transactions: 1, conflicts: 2, retries: 2, unfinished: [] })
  })
})

describe('running out of time between attempts', () => {
  it('makes no further attempt, and counts none as a retry, once the time is short', async () => {
    const store = scriptedStore([conflict])
    // The time runs short once the first attempt has been made.
    const hasTime = () => store.calls.length === 0
    const ours = plan([created('p1', 'alice', 1)])
    const result = await commitBatch(winnerView, store, { ...options, hasTime }, [ours])
    expect(store.calls).toHaveLength(1)
    expect(result).toMatchObject({
      failure: 'too little time left to commit',
      retries: 0,
      conflicts: 1,
      transactions: 0,
    })
    expect(result.unfinished).toEqual([ours])
    expect(store.tables.states.size).toBe(0)
  })
})

/** `count` new products `${prefix}0`, `${prefix}1`…, each created by its own user. */
const creations = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, at) => plan([created(`${prefix}${at}`, `user-${at}`, at)]))

describe('a transaction split into parts while another transaction of the batch fails', () => {
  it('starts none of its parts after the failure: they are left unfinished, with its reason', async () => {
    const store = scriptedStore([])
    const calls: ReadonlyArray<StateWrite<ProductState>>[] = []
    // Two transactions at once: p0..p49 (100 items), refused a little later, and p50..p59,
    // which the store does not take; a product alone it would commit.
    const writeStates = async (writes: ReadonlyArray<StateWrite<ProductState>>) => {
      calls.push(writes)
      if (writes[0]?.key === 'p50') return unavailable
      if (writes.length === 1) return store.writeStates(writes)
      await pause(5)
      return invalid
    }
    const twoAtOnce = { ...options, concurrency: 2 }
    const writes = creations('p', 60)
    const result = await commitBatch(winnerView, { ...store, writeStates }, twoAtOnce, writes)
    expect(keysOf(calls)).toEqual([idsOf(writes.slice(0, 50)), idsOf(writes.slice(50))])
    expect(idsOf(result.unfinished)).toEqual([
      ...idsOf(writes.slice(50)),
      ...idsOf(writes.slice(0, 50)),
    ])
    expect(result).toMatchObject({ failure: unavailable.reason, transactions: 0, unstorable: [] })
    expect(store.tables.states.size).toBe(0)
  })
})

/**
 * alice's 198 products fill two transactions that share her Scores item (99 products and
 * her item each); bob's one product shares nothing with them: a third transaction.
 */
const alicesThenBobs = () => [
  ...Array.from({ length: 198 }, (_, at) => plan([created(`a${at}`, 'alice', at)])),
  plan([created('b0', 'bob', 200)]),
]

describe('transactions of a batch that share a Scores item, at concurrency 2', () => {
  it('runs them one after the other, while one that shares nothing runs beside the first', async () => {
    const { store, calls, log } = timedStore(10)
    const result = await commitBatch(
      winnerView,
      store,
      { ...options, concurrency: 2 },
      alicesThenBobs(),
    )
    expect(keysOf(calls).map((keys) => keys[0])).toEqual(['a0', 'b0', 'a99'])
    expect(log).toEqual(['start a0', 'start b0', 'end a0', 'start a99', 'end b0', 'end a99'])
    expect(result).toMatchObject({ transactions: 3, unfinished: [] })
    expect(scoreOf(store.tables, 'alice', 'creator')).toMatchObject({ products: 198 })
  })

  it('starts the later one only once the earlier has committed, even while it backs off', async () => {
    const { store, calls } = timedStore(0, [conflict])
    const backingOff = { ...options, concurrency: 2, sleep: () => pause(20) }
    const result = await commitBatch(winnerView, store, backingOff, alicesThenBobs().slice(0, 198))
    expect(keysOf(calls).map((keys) => keys[0])).toEqual(['a0', 'a0', 'a99'])
    expect(result).toMatchObject({ transactions: 2, retries: 1, conflicts: 1, unfinished: [] })
    expect(scoreOf(store.tables, 'alice', 'creator')).toMatchObject({ products: 198 })
  })
})
