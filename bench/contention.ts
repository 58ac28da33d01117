import { createHash } from 'node:crypto'
import type { KinesisStreamRecord } from 'aws-lambda'
import { fnv1a } from '../src/domain/hash'
import type { WorkloadRecord } from '../src/local/workload'
import { forEachAtMost } from '../src/runtime/concurrency'
import { makeViewHandler } from '../src/runtime/handler'
import { type MemoryTables, memoryStore, memoryTotals, totalsIn } from '../src/runtime/memoryStore'
import { aggregateItemKey } from '../src/runtime/plan'
import type { Store } from '../src/runtime/store'
import {
  applyRun,
  type PartialChange,
  type PartialRun,
  runsOf,
  type TotalsStore,
} from '../src/runtime/totals'
import { UPDATES_AT_ONCE } from '../src/runtime/totalsStage'
import type { AnyView } from '../src/runtime/view'
import { winnerView } from '../src/views/winner'
import { lambdaRecordsOf } from './models'
import { categoryFoldOf, eventsOf, pureFoldOf, sameView } from './pureFold'
import { percentile } from './rebuildLag'
import { round } from './scenarios'
import { type VirtualClock, virtualClock } from './virtualClock'

/**
 * Shards read at once by their own functions, on one store that holds a transaction's
 * items as DynamoDB does (items held from the prepare to the commit; a transaction
 * touching a held item cancelled with TransactionConflict: DynamoDB Developer Guide,
 * "Transaction conflict handling"), on a virtual clock (`virtualClock.ts`): each
 * function runs at its own measured CPU speed, every call takes a round trip.
 */
export interface ContentionCase {
  /** `shared`: aggregates added in the transaction, as before #22; `per-writer`: partial sums and a totals stage. */
  readonly aggregates: 'shared' | 'per-writer'
  readonly view: AnyView
  readonly shards: number
  /** Batches of one shard in flight at once, split by partition key, as Lambda's ParallelizationFactor. */
  readonly factor: number
  /** `catch-up`: every record there at the start; `steady`: each shard fed `recordsPerShardSecond`. */
  readonly phase: 'catch-up' | 'steady'
  readonly records: ReadonlyArray<WorkloadRecord>
  readonly holdMs?: number
  readonly recordsPerShardSecond?: number
  readonly seed?: number
}

export interface ContentionRow {
  readonly aggregates: ContentionCase['aggregates']
  readonly view: string
  readonly shards: number
  readonly factor: number
  readonly phase: ContentionCase['phase']
  readonly records: number
  /** Virtual seconds from the first batch to the last batch's end. */
  readonly seconds: number
  readonly recordsPerSecond: number
  /** Transaction attempts cancelled by a conflict, per 100 transactions committed. */
  readonly conflictsPer100: number
  readonly retries: number
  readonly redeliveries: number
  readonly p99BatchMs: number
  /** The largest iterator age (the batch's last record's age when read) in the first and last third. */
  readonly iteratorAgeMs: { readonly firstThird: number; readonly lastThird: number }
  /** How far the totals trail a committed change (per-writer only). */
  readonly totalsLagMs?: { readonly p99: number; readonly max: number }
  /** DynamoDB write units per million records: 2 an item of a committed transaction, 1 a totals update. */
  readonly writeUnitsPerMillion: number
  readonly matchesPureFold: boolean
}

/** Routes records to shards by an MD5 of the partition key, as Kinesis does. */
export const shardsOf = (records: ReadonlyArray<WorkloadRecord>, shards: number) => {
  const routed: WorkloadRecord[][] = Array.from({ length: shards }, () => [])
  for (const record of records) {
    const hash = createHash('md5').update(record.partitionKey).digest().readUInt32BE(0)
    routed[hash % shards]?.push(record)
  }
  return routed
}

/** A seeded generator: runs of the benchmark draw the same round trips. */
const seeded = (seed: number) => {
  let state = seed >>> 0 || 1
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
    return state / 2 ** 32
  }
}

/** Round trips (AWS-LIMITS.md): transactions ~25 ms, plain updates ~10 ms, a GetRecords ~25 ms. */
const ROUND_TRIP_MS = 25
const UPDATE_MS = 10
const GET_RECORDS_MS = 25
/** Lambda polls a caught-up Kinesis shard about once a second, a DynamoDB stream's shard 4 times. */
const KINESIS_POLL_MS = 1_000
const STREAM_POLL_MS = 250
/**
 * The totals stage's lanes: the partials stream's shards (a new on-demand table has about
 * 4 partitions, a shard each) times the mapping's ParallelizationFactor of 10, a batch of
 * up to 1,000 changes each, every partial of one totals item in the same lane.
 */
const TOTALS_LANES = 4 * 10
const TOTALS_BATCH = 1_000

interface Meter {
  transactions: number
  conflicts: number
  retries: number
  redeliveries: number
  writeUnits: number
  readonly batchMs: number[]
  readonly ages: Array<{ readonly at: number; readonly age: number }>
  readonly lags: number[]
  readonly createdAt: Map<string, number>
}

/** The store behind round trips on the virtual clock; a committed transaction's write units counted. */
const behindRoundTrips = <State>(
  memory: ReturnType<typeof memoryStore<unknown, State>>,
  clock: VirtualClock,
  random: () => number,
  holdMs: number,
  meter: Meter,
): Store<State> => {
  const about = (ms: number) => clock.sleep(ms * (0.75 + 0.5 * random()))
  return {
    checkTables: memory.checkTables,
    readStates: async (keys) => {
      await about(ROUND_TRIP_MS)
      return memory.readStates(keys)
    },
    writeStates: async (writes) => {
      await about(Math.max(0, ROUND_TRIP_MS - holdMs))
      const outcome = await memory.writeStates(writes)
      if (outcome.kind !== 'committed') return outcome
      const items = new Set(writes.flatMap((w) => w.deltas.map(aggregateItemKey))).size
      meter.writeUnits += 2 * (writes.length + items)
      return outcome
    },
    keepRejected: async (records) => {
      await about(ROUND_TRIP_MS)
      return memory.keepRejected(records)
    },
    // One conditional put a batch, on the shard's own item: a write unit, never a conflict.
    markFolded: async (mark) => {
      await about(ROUND_TRIP_MS)
      meter.writeUnits += 1
      return memory.markFolded(mark)
    },
  }
}

interface Arriving {
  readonly record: KinesisStreamRecord
  readonly arrival: number
}

/** Records of one shard with the virtual time each arrives at. */
const arrivalsOf = (shard: ReadonlyArray<WorkloadRecord>, perSecond: number | undefined) =>
  lambdaRecordsOf(shard).map(
    (record, at): Arriving => ({
      record,
      arrival: perSecond === undefined ? 0 : (1000 * at) / perSecond,
    }),
  )

/** Splits a shard's records by partition key into `factor` sub-streams, as Lambda does. */
const subStreamsOf = (arriving: ReadonlyArray<Arriving>, factor: number): Arriving[][] => {
  const subs: Arriving[][] = Array.from({ length: factor }, () => [])
  for (const a of arriving) subs[fnv1a(a.record.kinesis.partitionKey) % factor]?.push(a)
  return subs
}

/** How many of the records from `at` on had arrived by `polled`, at most a batch. */
const arrivedBatchEnd = (
  arriving: ReadonlyArray<Arriving>,
  at: number,
  polled: number,
  batchSize: number,
): number => {
  let end = at
  while (end < arriving.length && end - at < batchSize && (arriving[end]?.arrival ?? 0) <= polled)
    end += 1
  return end
}

/** One batch through the handler, measured; where the sub-stream resumes after it. */
const deliverBatch = async (
  clock: VirtualClock,
  handler: ReturnType<typeof makeViewHandler>,
  batch: ReadonlyArray<Arriving>,
  meter: Meter,
): Promise<number> => {
  const started = clock.now()
  const { batchItemFailures } = await handler({ Records: batch.map((a) => a.record) })
  meter.batchMs.push(clock.now() - started)
  const failed = batchItemFailures[0]?.itemIdentifier
  if (failed === undefined) return batch.length
  meter.redeliveries += 1
  return Math.max(
    0,
    batch.findIndex((a) => a.record.kinesis.sequenceNumber === failed),
  )
}

/**
 * A sub-stream as its event source mapping reads it: a batch of what has arrived, at
 * once while behind, else at the next poll a second later; a batch with unfinished
 * records comes again from the first of them.
 */
const drainSubStream = async (
  clock: VirtualClock,
  handler: ReturnType<typeof makeViewHandler>,
  arriving: ReadonlyArray<Arriving>,
  batchSize: number,
  meter: Meter,
) => {
  let at = 0
  let polled = -KINESIS_POLL_MS
  let caughtUp = false
  while (at < arriving.length) {
    const next = Math.max(polled + KINESIS_POLL_MS, arriving[at]?.arrival ?? 0)
    if (caughtUp) await clock.sleep(next - clock.now())
    polled = clock.now()
    await clock.sleep(GET_RECORDS_MS)
    const end = arrivedBatchEnd(arriving, at, polled, batchSize)
    caughtUp = end - at < batchSize
    if (end === at) continue
    meter.ages.push({ at: polled, age: polled - (arriving[end - 1]?.arrival ?? 0) })
    at += await deliverBatch(clock, handler, arriving.slice(at, end), meter)
  }
}

/** Takes up to a batch of pending changes for each lane, leaving the rest pending. */
const takeLaneBatches = (tables: MemoryTables<unknown>): PartialChange[][] => {
  const lanes: PartialChange[][] = Array.from({ length: TOTALS_LANES }, () => [])
  const left: PartialChange[] = []
  for (const change of tables.partialChanges) {
    const lane = lanes[fnv1a(change.item) % TOTALS_LANES]
    if (lane !== undefined && lane.length < TOTALS_BATCH) lane.push(change)
    else left.push(change)
  }
  tables.partialChanges.length = 0
  for (const change of left) tables.partialChanges.push(change)
  return lanes
}

/** A lane's batch: each partial's run one conditional update, a few at once; each change's lag noted. */
const applyLane = (
  clock: VirtualClock,
  store: TotalsStore,
  changes: ReadonlyArray<PartialChange>,
  meter: Meter,
) => {
  const byPartial = new Map<string, PartialChange[]>()
  for (const c of changes) {
    const id = `${c.item}|${c.writer}`
    const same = byPartial.get(id) ?? []
    same.push(c)
    byPartial.set(id, same)
  }
  return forEachAtMost(UPDATES_AT_ONCE, runsOf(changes), async (run: PartialRun) => {
    await applyRun(store, run)
    for (const c of byPartial.get(`${run.item}|${run.writer}`) ?? [])
      meter.lags.push(clock.now() - (meter.createdAt.get(c.sequenceNumber) ?? clock.now()))
  })
}

/**
 * The totals stage as its mapping runs it: every lane polled 4 times a second (at once
 * after a full batch), each partial's run one plain conditional update of about 10 ms.
 */
const runTotalsStage = async (
  clock: VirtualClock,
  tables: MemoryTables<unknown>,
  random: () => number,
  meter: Meter,
  viewsDone: () => boolean,
) => {
  const totals = memoryTotals(tables)
  const timed: TotalsStore = {
    update: async (u) => {
      await clock.sleep(UPDATE_MS * (0.75 + 0.5 * random()))
      meter.writeUnits += 1
      return totals.update(u)
    },
    resync: totals.resync,
  }
  while (tables.partialChanges.length > 0 || !viewsDone()) {
    // Each lane's GetRecords, at once: a round trip before its batch.
    await clock.sleep(GET_RECORDS_MS)
    const lanes = takeLaneBatches(tables)
    await Promise.all(lanes.map((changes) => applyLane(clock, timed, changes, meter)))
    if (!lanes.some((b) => b.length === TOTALS_BATCH)) await clock.sleep(STREAM_POLL_MS)
  }
}

const largestAge = (ages: Meter['ages'], from: number, to: number) =>
  Math.round(
    ages.reduce(
      (largest, a) => (a.at >= from && a.at < to ? Math.max(largest, a.age) : largest),
      0,
    ),
  )

/** Whether the view's tables equal the pure fold of the records: the winner view's, or the category view's. */
const matchesFold = (c: ContentionCase, tables: MemoryTables<unknown>): boolean => {
  const events = eventsOf(c.records.map((r) => r.data))
  if (c.view !== winnerView) {
    const stored = [...(totalsIn(tables).get('categorySales')?.values() ?? [])].map(
      (item): [string, { unitsSold: number; products: number }] => [
        String(item.category),
        { unitsSold: Number(item.unitsSold), products: Number(item.products) },
      ],
    )
    const expected = [...categoryFoldOf(events)]
    const byCategory = (a: [string, unknown], b: [string, unknown]) => a[0].localeCompare(b[0])
    return JSON.stringify(stored.sort(byCategory)) === JSON.stringify(expected.sort(byCategory))
  }
  const stored = {
    contributions: [...tables.states.values()] as unknown as Record<string, unknown>[],
    scores: [...(totalsIn(tables).get('scores')?.values() ?? [])],
  }
  return sameView(stored, pureFoldOf(events)).equal
}

/** Each sub-stream of each shard as a task: its own handler, its records as its shard's. */
const viewTasks = (
  c: ContentionCase,
  clock: VirtualClock,
  store: Store<unknown>,
  meter: Meter,
  onDone: () => void,
) =>
  shardsOf(c.records, c.shards).flatMap((shard, s) =>
    subStreamsOf(arrivalsOf(shard, c.recordsPerShardSecond), c.factor).map((arriving, sub) => ({
      name: `shard ${s} sub ${sub}`,
      body: async () => {
        const handler = makeViewHandler(c.view, {
          store,
          sleep: clock.sleep,
          sharedAggregates: c.aggregates === 'shared',
          log: (summary) => {
            meter.transactions += summary.transactions
            meter.conflicts += summary.conflicts
            meter.retries += summary.retries
          },
        })
        // Each shard's own id: the writer of its partial sums.
        const shardId = `shardId-${String(s).padStart(12, '0')}`
        const records = arriving.map((a) => ({
          ...a,
          record: { ...a.record, eventID: `${shardId}:${a.record.kinesis.sequenceNumber}` },
        }))
        await drainSubStream(clock, handler, records, 500, meter)
        onDone()
      },
    })),
  )

const emptyMeter = (): Meter => ({
  ...{ transactions: 0, conflicts: 0, retries: 0, redeliveries: 0, writeUnits: 0 },
  ...{ batchMs: [], ages: [], lags: [], createdAt: new Map() },
})

/** Runs the case's functions (and its totals stage) to the end; when the last view's batch ended. */
const runCase = async (
  c: ContentionCase,
  clock: VirtualClock,
  memory: ReturnType<typeof memoryStore<unknown, unknown>>,
  meter: Meter,
) => {
  // The views' round trips draw from their own sequence, the same before and after.
  const store = behindRoundTrips(memory, clock, seeded(c.seed ?? 1), c.holdMs ?? 15, meter)
  let left = c.shards * c.factor
  let ended = 0
  const tasks = viewTasks(c, clock, store, meter, () => {
    left -= 1
    ended = Math.max(ended, clock.now())
  })
  const totals = {
    name: 'totals',
    body: () =>
      runTotalsStage(clock, memory.tables, seeded(1_000 + (c.seed ?? 1)), meter, () => left === 0),
  }
  await clock.run(c.aggregates === 'per-writer' ? [...tasks, totals] : tasks)
  return ended
}

/** One row: the case's shards read at once on the virtual clock, measured. */
export const measureContention = async (c: ContentionCase): Promise<ContentionRow> => {
  const clock = virtualClock()
  const meter = emptyMeter()
  const memory = memoryStore<unknown, unknown>(c.view, undefined, {
    holdMs: c.holdMs ?? 15,
    sleep: clock.sleep,
    totals: c.aggregates === 'per-writer' ? 'later' : 'now',
    // Each change's time, as the store makes it: the totals lag runs from there.
    onChange: (change) => meter.createdAt.set(change.sequenceNumber, clock.now()),
  })
  const ended = await runCase(c, clock, memory, meter)
  return rowOf(c, memory, meter, ended)
}

const rowOf = (
  c: ContentionCase,
  memory: ReturnType<typeof memoryStore<unknown, unknown>>,
  meter: Meter,
  ended: number,
): ContentionRow => ({
  aggregates: c.aggregates,
  view: c.view.name,
  shards: c.shards,
  factor: c.factor,
  phase: c.phase,
  records: c.records.length,
  seconds: round(ended / 1000, 2),
  recordsPerSecond: Math.round((1000 * c.records.length) / Math.max(ended, 1)),
  conflictsPer100: round((100 * memory.stats.conflicts) / Math.max(1, meter.transactions), 1),
  retries: meter.retries,
  redeliveries: meter.redeliveries,
  p99BatchMs: Math.round(percentile(meter.batchMs, 0.99)),
  iteratorAgeMs: {
    firstThird: largestAge(meter.ages, 0, ended / 3),
    lastThird: largestAge(meter.ages, (2 * ended) / 3, ended + 1),
  },
  ...(c.aggregates === 'per-writer'
    ? {
        totalsLagMs: {
          p99: Math.round(percentile(meter.lags, 0.99)),
          max: Math.round(meter.lags.reduce((a, b) => Math.max(a, b), 0)),
        },
      }
    : {}),
  writeUnitsPerMillion: Math.round((meter.writeUnits * 1_000_000) / c.records.length),
  matchesPureFold: matchesFold(c, memory.tables),
})
