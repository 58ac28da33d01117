import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { _Record } from '@aws-sdk/client-kinesis'
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda'
import { tableNamesFor } from '../src/adapters/tables'
import type { ProductState } from '../src/domain/product'
import { createViewTables, LOCAL_AWS } from '../src/local/dynamodbLocal'
import { toLambdaRecord } from '../src/local/poller'
import { makeTotalsPump } from '../src/local/totalsPump'
import { readView } from '../src/local/viewReader'
import type { WorkloadRecord } from '../src/local/workload'
import { documentClientOf, makeDynamoStore } from '../src/runtime/dynamoStore'
import { type HandlerDeps, makeViewHandler } from '../src/runtime/handler'
import { type MemoryTables, memoryStore } from '../src/runtime/memoryStore'
import type { Store } from '../src/runtime/store'
import { winnerView } from '../src/views/winner'
import { addLatency } from './latency'
import { type PureFold, sameView } from './pureFold'
import { round } from './scenarios'

/** Records as one shard holds them, in the shape Lambda hands them over. */
export const lambdaRecordsOf = (records: ReadonlyArray<WorkloadRecord>): KinesisStreamRecord[] =>
  records.map((record, at) =>
    toLambdaRecord('bench', 'shardId-000000000000', {
      SequenceNumber: (
        49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n + BigInt(at)
      ).toString(),
      PartitionKey: record.partitionKey,
      Data: Buffer.from(record.data, 'utf8'),
      ApproximateArrivalTimestamp: new Date(0),
    } satisfies _Record),
  )

export const batchesOf = (records: KinesisStreamRecord[], size: number): KinesisStreamEvent[] =>
  Array.from({ length: Math.ceil(records.length / size) }, (_, at) => ({
    Records: records.slice(at * size, at * size + size),
  }))

/** Waits about `ms`, then does `call`: one round trip. */
const afterAbout = async <A>(ms: number, call: () => Promise<A>): Promise<A> => {
  await new Promise((resolve) => setTimeout(resolve, ms * (0.75 + 0.5 * Math.random())))
  return call()
}

/** The store with a round trip of about `ms` on every call, as on AWS, and nothing of an emulator's own cost. */
export const withRoundTrips = <State>(store: Store<State>, ms: number): Store<State> => ({
  checkTables: store.checkTables,
  readStates: (keys) => afterAbout(ms, () => store.readStates(keys)),
  writeStates: (writes) => afterAbout(ms, () => store.writeStates(writes)),
  keepRejected: (records) => afterAbout(ms, () => store.keepRejected(records)),
  markFolded: (mark) => afterAbout(ms, () => store.markFolded(mark)),
})

/** The winner view's memory tables as the pure fold is compared with them. */
export const storedView = (tables: MemoryTables<ProductState>) => ({
  contributions: [...tables.states.values()] as unknown as Record<string, unknown>[],
  scores: [...(tables.aggregates.get('scores')?.values() ?? [])],
})

/**
 * The handler on one shard where every DynamoDB call costs a cloud round trip and the
 * server's own work is inside it: the in-memory store (DynamoDB's semantics) behind a
 * delay. DynamoDB Local's own transaction time (about 60 ms for 70 items on 2 cores,
 * twice AWS's) is left out, so this shows what the handler does at AWS latency.
 */
export const measureRoundTripModel = async (
  records: ReadonlyArray<WorkloadRecord>,
  expected: PureFold,
  latencyMs: number,
  batchSize: number,
) => {
  const memory = memoryStore(winnerView)
  const handler = makeViewHandler(winnerView, {
    store: withRoundTrips(memory, latencyMs),
    log: () => {},
  })
  const started = performance.now()
  for (const batch of batchesOf(lambdaRecordsOf(records), batchSize)) await handler(batch)
  const seconds = (performance.now() - started) / 1000
  const stored = storedView(memory.tables)
  return {
    scenario: `winner-view, in-memory store + ${latencyMs} ms round trips`,
    batchSize,
    latencyMs,
    events: records.length,
    seconds: round(seconds, 2),
    eventsPerSecondPerShard: Math.round(records.length / seconds),
    matchesPureFold: sameView(stored, expected),
  }
}

/**
 * One batch of all `records` (Lambda's maximum is 10,000) in one invocation on DynamoDB
 * Local, on fresh tables: the time the handler takes with the given settings.
 */
export const measureOneBatch = async (
  endpoint: string,
  records: ReadonlyArray<WorkloadRecord>,
  expected: PureFold,
  name: string,
  settings: Pick<HandlerDeps<ProductState>, 'cacheSize' | 'commitConcurrency'>,
  latencyMs = 0,
) => {
  const raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint })
  addLatency(raw, latencyMs)
  const names = tableNamesFor(`onebatch${latencyMs}${name.replace(/[^a-z0-9]/gi, '')}`)
  await createViewTables(raw, winnerView, names)
  const client = documentClientOf(raw)
  let summary: { transactions: number; durationMs: number } | undefined
  const handler = makeViewHandler(winnerView, {
    store: makeDynamoStore(winnerView, { client, names }),
    log: (line) => {
      summary = line
    },
    ...settings,
  })
  const response = await handler({ Records: lambdaRecordsOf(records) })
  await makeTotalsPump({ dynamo: client, view: winnerView, names }).drain()
  const view = await readView(client, names)
  raw.destroy()
  return {
    scenario: name,
    latencyMs,
    records: records.length,
    products: new Set(records.map((r) => r.partitionKey)).size,
    transactions: summary?.transactions ?? 0,
    seconds: round((summary?.durationMs ?? 0) / 1000, 2),
    unfinished: response.batchItemFailures.length,
    matchesPureFold: sameView(view, expected),
  }
}

/** The handler's CPU time per record, without I/O: decode, group, fold, plan, on batches of 100. */
export const measureHandlerCpu = async (records: ReadonlyArray<WorkloadRecord>) => {
  const batches = batchesOf(lambdaRecordsOf(records), 100)
  const pass = async () => {
    const handler = makeViewHandler(winnerView, { store: memoryStore(winnerView), log: () => {} })
    for (const batch of batches) await handler(batch)
  }
  await pass()
  const passes = 5
  const before = process.cpuUsage()
  for (let i = 0; i < passes; i += 1) await pass()
  const used = process.cpuUsage(before)
  return round((used.user + used.system) / (passes * records.length), 2)
}

/** A store that counts its reads: calls, and keys asked for. */
const countingReads = <State>(store: Store<State>) => {
  const reads = { calls: 0, keys: 0 }
  const counted: Store<State> = {
    ...store,
    readStates: (keys) => {
      reads.calls += 1
      reads.keys += keys.length
      return store.readStates(keys)
    },
  }
  return { store: counted, reads }
}

/**
 * What a redelivery costs a caught-up container: one shard's batches delivered once, then
 * each delivered again to the same container (a retry after a lost answer, say), on the
 * in-memory store behind a round trip of about `latencyMs`. A first delivery reads nothing
 * once the container has caught up; a redelivery reads the keys it would pass over, since
 * a judgement that writes nothing rests on a read (DESIGN.md).
 */
export const measureRedelivery = async (
  records: ReadonlyArray<WorkloadRecord>,
  latencyMs: number,
  batchSize: number,
) => {
  const memory = memoryStore(winnerView)
  const { store, reads } = countingReads(withRoundTrips(memory, latencyMs))
  const handler = makeViewHandler(winnerView, { store, log: () => {} })
  const batches = batchesOf(lambdaRecordsOf(records), batchSize)
  const pass = async () => {
    const before = { ...reads }
    const started = performance.now()
    for (const batch of batches) await handler(batch)
    return {
      batches: batches.length,
      readCalls: reads.calls - before.calls,
      keysRead: reads.keys - before.keys,
      msPerBatch: round((performance.now() - started) / batches.length, 1),
    }
  }
  const first = await pass()
  const again = await pass()
  return { latencyMs, batchSize, events: records.length, first, again }
}
