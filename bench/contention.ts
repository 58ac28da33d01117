import { createHash } from 'node:crypto'
import type { KinesisStreamRecord } from 'aws-lambda'
import type { WorkloadRecord } from '../src/local/workload'
import { makeViewHandler } from '../src/runtime/handler'
import { memoryStore } from '../src/runtime/memoryStore'
import type { Store } from '../src/runtime/store'
import { winnerView } from '../src/views/winner'
import { batchesOf, lambdaRecordsOf } from './models'
import { eventsOf, pureFoldOf, sameView } from './pureFold'
import { round } from './scenarios'

/**
 * Shards catching up at once on one store that holds a transaction's items as DynamoDB
 * does (the memory store's `holdMs`: items held from the prepare to the commit, a
 * transaction touching a held item cancelled with TransactionConflict; DynamoDB Developer
 * Guide, "Transaction conflict handling"). Every call takes a round trip of about
 * `roundTripMs`, of which a transaction holds its items the last `holdMs`. Each shard's
 * batches go to its own handler one after the other, as its event source mapping does,
 * a batch with unfinished records coming again from the first of them. The handlers
 * mostly wait on timers, so the shards run at once in real time on 2 cores.
 */
export interface ContentionRow {
  readonly shards: number
  readonly holdMs: number
  readonly records: number
  readonly recordsPerSecond: number
  /** Transaction attempts cancelled by a conflict, per 100 transactions committed. */
  readonly conflictsPer100: number
  readonly retries: number
  readonly redeliveries: number
  readonly matchesPureFold: boolean
}

/** Routes records to shards by an MD5 of the partition key, as Kinesis does. */
const shardsOf = (records: ReadonlyArray<WorkloadRecord>, shards: number) => {
  const routed: WorkloadRecord[][] = Array.from({ length: shards }, () => [])
  for (const record of records) {
    const hash = createHash('md5').update(record.partitionKey).digest().readUInt32BE(0)
    routed[hash % shards]?.push(record)
  }
  return routed
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** About `ms`, from 75 % to 125 % of it. */
const about = (ms: number) => wait(ms * (0.75 + 0.5 * Math.random()))

/** The store behind round trips: reads and keeping take one, a transaction one whose end holds its items. */
const behindRoundTrips = <State>(
  store: Store<State>,
  roundTripMs: number,
  holdMs: number,
): Store<State> => ({
  checkTables: store.checkTables,
  readStates: async (keys) => {
    await about(roundTripMs)
    return store.readStates(keys)
  },
  writeStates: async (writes) => {
    await about(Math.max(0, roundTripMs - holdMs))
    return store.writeStates(writes)
  },
  keepRejected: async (records) => {
    await about(roundTripMs)
    return store.keepRejected(records)
  },
})

/** One shard's batches through its own handler, each delivered again from its first unfinished record. */
const drainShard = async (
  handler: ReturnType<typeof makeViewHandler>,
  records: KinesisStreamRecord[],
  batchSize: number,
  counts: { redeliveries: number },
) => {
  let at = 0
  while (at < records.length) {
    const [batch] = batchesOf(records.slice(at), batchSize)
    if (batch === undefined) return
    const { batchItemFailures } = await handler(batch)
    const failed = batchItemFailures[0]?.itemIdentifier
    const failedAt = batch.Records.findIndex((r) => r.kinesis.sequenceNumber === failed)
    if (failed !== undefined) counts.redeliveries += 1
    at += failed === undefined ? batch.Records.length : Math.max(0, failedAt)
  }
}

/** `shards` shards catching up on `records` at once, on one store with items held `holdMs`. */
export const measureContention = async (
  records: ReadonlyArray<WorkloadRecord>,
  shards: number,
  holdMs: number,
  { roundTripMs = 25, batchSize = 500 } = {},
): Promise<ContentionRow> => {
  const memory = memoryStore(winnerView, undefined, { holdMs })
  const store = behindRoundTrips(memory, roundTripMs, holdMs)
  const totals = { transactions: 0, conflicts: 0, retries: 0, redeliveries: 0 }
  const started = performance.now()
  await Promise.all(
    shardsOf(records, shards).map((shard) => {
      const handler = makeViewHandler(winnerView, {
        store,
        log: (summary) => {
          totals.transactions += summary.transactions
          totals.conflicts += summary.conflicts
          totals.retries += summary.retries
        },
      })
      return drainShard(handler, lambdaRecordsOf(shard), batchSize, totals)
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const stored = {
    contributions: [...memory.tables.states.values()] as unknown as Record<string, unknown>[],
    scores: [...(memory.tables.aggregates.get('scores')?.values() ?? [])],
  }
  return {
    shards,
    holdMs,
    records: records.length,
    recordsPerSecond: Math.round(records.length / seconds),
    conflictsPer100: round((100 * totals.conflicts) / Math.max(1, totals.transactions), 1),
    retries: totals.retries,
    redeliveries: totals.redeliveries,
    matchesPureFold: sameView(stored, pureFoldOf(eventsOf(records.map((r) => r.data)))).equal,
  }
}
