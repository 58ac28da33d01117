import fc from 'fast-check'
import type { ProductEvent } from '../src/domain/events'
import { evolve, fold, initial, type ProductState, products } from '../src/domain/product'
import { foldByKey } from '../src/domain/projection'
import { mergeDeltas, type ScoreDelta, scoreDeltas, scoreKey } from '../src/domain/scores'
import { planKey } from '../src/runtime/plan'
import { winnerView } from '../src/views/winner'
import { logArb, SHARDS, shardOf } from './support/arbitraries'
import { recountScores, type Tally } from './support/recount'

const runs = { numRuns: 1000 }
const foldLog = (log: ReadonlyArray<ProductEvent>, states?: ReadonlyMap<string, ProductState>) =>
  foldByKey(products, log, states)

/** Cuts a log into batches of the given sizes, cycling through them. */
const batchesOf = <A>(log: ReadonlyArray<A>, sizes: ReadonlyArray<number>): A[][] => {
  const batches: A[][] = []
  for (let at = 0, i = 0; at < log.length; i += 1) {
    const size = sizes[i % sizes.length] ?? 1
    batches.push(log.slice(at, at + size))
    at += size
  }
  return batches
}

/** Folds batch after batch, collecting what each fold changed in Scores. */
const foldBatches = (batches: ReadonlyArray<ReadonlyArray<ProductEvent>>) => {
  let states = new Map<string, ProductState>()
  const deltas: ScoreDelta[] = []
  for (const batch of batches) {
    const next = foldLog(batch, states)
    for (const [id, after] of next)
      deltas.push(...scoreDeltas(states.get(id) ?? initial(id), after))
    states = next
  }
  return { states, scores: mergeDeltas(deltas) }
}

const asTallies = (deltas: ReadonlyArray<ScoreDelta>): Map<string, Tally> =>
  new Map(
    deltas
      .filter((d) => d.score !== 0 || d.products !== 0)
      .map((d) => [scoreKey(d), { score: d.score, products: d.products }]),
  )

/** Merges per-shard queues, taking from the picked shard each time, keeping each order. */
const interleave = <A>(
  queues: ReadonlyArray<ReadonlyArray<A>>,
  picks: ReadonlyArray<number>,
): A[] => {
  const rest = queues.map((queue) => [...queue])
  const merged: A[] = []
  for (let i = 0; rest.some((queue) => queue.length > 0); i += 1) {
    const pick = (picks[i] ?? i) % rest.length
    const queue = rest.slice(pick).find((q) => q.length > 0) ?? rest.find((q) => q.length > 0)
    const next = queue?.shift()
    if (next !== undefined) merged.push(next)
  }
  return merged
}

const sizesArb = fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 })

/** The log as the fan-out writes it: each event an egress envelope of its own ingress record. */
const fannedOut = (log: ReadonlyArray<ProductEvent>): ProductEvent[] =>
  log.map((event, at) => ({
    ...event,
    position: { ...event.position, sequenceNumber: String(BASE + 10n * BigInt(at)) },
    ingress: { shardId: 'shardId-000000000007', sequenceNumber: String(1000 + at) },
  }))
const BASE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n

/**
 * The same log with the fan-out's retries in it: copies of events (same envelope, so the
 * same ingress record) under new positions, each somewhere after its original.
 */
const withDuplicates = (
  log: ReadonlyArray<ProductEvent>,
  picks: ReadonlyArray<[number, number]>,
): ProductEvent[] => {
  const copies = picks.map(([original, after]) => {
    const from = original % log.length
    const gap = from + (after % (log.length - from))
    return { gap, event: log[from] as ProductEvent }
  })
  return log.flatMap((event, at) => [
    event,
    ...copies
      .filter((copy) => copy.gap === at)
      .slice(0, 9)
      .map((copy, n) => ({
        ...copy.event,
        position: {
          ...copy.event.position,
          sequenceNumber: String(BASE + 10n * BigInt(at) + BigInt(n + 1)),
        },
      })),
  ])
}

describe('product reducer laws', () => {
  it('a log with fan-out duplicates inserted folds to the state of the log without them', () => {
    const picksArb = fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 12 })
    fc.assert(
      fc.property(logArb(), picksArb, (log, picks) => {
        fc.pre(log.length > 0)
        const egress = fannedOut(log)
        const repeated = withDuplicates(egress, picks)
        expect(repeated.length).toBeGreaterThan(egress.length)
        expect(foldLog(repeated)).toEqual(foldLog(egress))
      }),
      runs,
    )
  })

  it('replaying a log changes nothing: fold(fold(s, xs), xs) equals fold(s, xs)', () => {
    fc.assert(
      fc.property(logArb(), (log) => {
        const once = foldLog(log)
        expect(foldLog(log, once)).toEqual(once)
      }),
      runs,
    )
  })

  it('the runtime plans the state of folding, folds every new event, and plans nothing again', () => {
    fc.assert(
      fc.property(logArb(), (log) => {
        const events = log.map((event) => ({ ...event, productId: 'product-1' }))
        const batch = { key: 'product-1', events, recordIndexes: [] }
        const plan = planKey(winnerView, batch, undefined)
        const state = fold(initial('product-1'), events)
        expect(plan.planned?.write.state ?? initial('product-1')).toEqual(state)
        expect(plan.planned?.folds ?? []).toHaveLength(events.length)
        expect(planKey(winnerView, batch, state)).toEqual({ duplicates: [] })
      }),
      runs,
    )
  })

  it('folding in two steps equals folding once', () => {
    fc.assert(
      fc.property(logArb(), fc.nat(), (log, cut) => {
        const at = cut % (log.length + 1)
        expect(foldLog(log.slice(at), foldLog(log.slice(0, at)))).toEqual(foldLog(log))
      }),
      runs,
    )
  })

  it('evolve never mutates its input', () => {
    const deepFreeze = <A>(value: A): A => {
      if (typeof value === 'object' && value !== null) {
        for (const inner of Object.values(value)) deepFreeze(inner)
        Object.freeze(value)
      }
      return value
    }
    fc.assert(
      fc.property(logArb(20), (log) => {
        let state = deepFreeze(initial('product-1'))
        for (const event of log.map(deepFreeze)) {
          const copy = structuredClone(state)
          const next = evolve(state, { ...event, productId: 'product-1' })
          expect(state).toEqual(copy)
          state = deepFreeze(next)
        }
      }),
      runs,
    )
  })

  it('at-least-once delivery in shard order folds to the state of a single delivery', () => {
    // A delivery plan: the log cut into batches, some delivered twice, and prefixes
    // re-sent from an earlier batch, as after a crash before the checkpoint.
    const replayArb = fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 })
    fc.assert(
      fc.property(logArb(), sizesArb, replayArb, (log, sizes, replays) => {
        const batches = batchesOf(log, sizes)
        const deliveries = batches.flatMap((batch, at) => {
          const again = replays
            .filter(([when]) => batches.length > 0 && when % batches.length === at)
            .flatMap(([, from]) => batches.slice(from % (at + 1), at + 1))
          return [batch, ...again]
        })
        expect(foldBatches(deliveries)).toEqual(foldBatches(batches))
        expect(foldBatches(deliveries).states).toEqual(foldLog(log))
      }),
      runs,
    )
  })

  it('shards interleaved in any order give the same Scores, equal to a recount from the log', () => {
    const picksArb = fc.array(fc.nat(SHARDS.length - 1), { maxLength: 60 })
    fc.assert(
      fc.property(logArb(), picksArb, sizesArb, (log, picks, sizes) => {
        const queues = SHARDS.map((shard) => log.filter((e) => shardOf(e.productId) === shard))
        const interleaved = interleave(queues, picks)
        const { scores } = foldBatches(batchesOf(interleaved, sizes))
        expect(asTallies(scores)).toEqual(recountScores(log))
      }),
      runs,
    )
  })

  it('conserves sales: each role scores the purchases folded after its product gained that role', () => {
    fc.assert(
      fc.property(logArb(), (log) => {
        const purchasesAfterFirst = (type: ProductEvent['type']) =>
          log.filter(
            (event, at) =>
              event.type === 'ProductPurchased' &&
              log.slice(0, at).some((e) => e.type === type && e.productId === event.productId),
          ).length
        const states = [...foldLog(log).values()]
        const sum = (pick: (s: ProductState) => number) => states.reduce((n, s) => n + pick(s), 0)
        expect(sum((s) => s.creatorScore)).toBe(purchasesAfterFirst('ProductCreated'))
        expect(sum((s) => s.photographerScore)).toBe(purchasesAfterFirst('ProductPhotographed'))
        expect(sum((s) => s.purchases)).toBe(
          log.filter((e) => e.type === 'ProductPurchased').length,
        )
      }),
      runs,
    )
  })

  it('a fold from the initial state equals evolve applied event by event', () => {
    fc.assert(
      fc.property(logArb(30), (log) => {
        const events = log.map((e) => ({ ...e, productId: 'p' }))
        let state = initial('p')
        for (const event of events) state = evolve(state, event)
        expect(fold(initial('p'), events)).toEqual(state)
      }),
      runs,
    )
  })
})

describe('the roles of a product', () => {
  it('are held by the first create and the first image, whatever follows', () => {
    fc.assert(
      fc.property(logArb(), (log) => {
        for (const [productId, state] of foldLog(log)) {
          const first = (type: ProductEvent['type']) =>
            log.find((e) => e.productId === productId && e.type === type)?.userId
          expect({ creator: state.creator, photographer: state.photographer }).toEqual({
            creator: first('ProductCreated'),
            photographer: first('ProductPhotographed'),
          })
        }
      }),
      runs,
    )
  })
})
