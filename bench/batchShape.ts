import { createHash } from 'node:crypto'
import { DEFAULT_COMMIT_CONCURRENCY, makeViewHandler } from '../src/runtime/handler'
import { memoryStore } from '../src/runtime/memoryStore'
import { clustersOf, itemsInTransaction, itemsOfWrite } from '../src/runtime/plan'
import { MAX_TRANSACTION_ITEMS, type StateWrite } from '../src/runtime/store'
import { winnerView } from '../src/views/winner'
import { batchesOf, lambdaRecordsOf } from './models'

/** The items one transaction writes: its keys' Puts and its distinct aggregate items. */
type TransactionItems = ReadonlySet<string>

const itemsOf = (writes: ReadonlyArray<StateWrite<unknown>>): TransactionItems =>
  new Set(writes.flatMap(itemsOfWrite))

const shareAny = (a: TransactionItems, b: TransactionItems) => [...a].some((item) => b.has(item))

/**
 * The round trips of a batch as the runtime schedules its transactions: each waits for
 * every earlier one it shares an item with, and at most `concurrency` are in flight;
 * each takes one round trip. Simulated round by round, in the order they were packed.
 */
export const serialRounds = (
  transactions: ReadonlyArray<TransactionItems>,
  concurrency = DEFAULT_COMMIT_CONCURRENCY,
): number => {
  const waitsFor = transactions.map((items, at) =>
    transactions.slice(0, at).flatMap((other, j) => (shareAny(items, other) ? [j] : [])),
  )
  const finished = new Map<number, number>()
  let round = 0
  while (finished.size < transactions.length) {
    round += 1
    const ready = transactions
      .map((_, at) => at)
      .filter((at) => !finished.has(at))
      .filter((at) => (waitsFor[at] ?? []).every((j) => (finished.get(j) ?? round) < round))
    for (const at of ready.slice(0, Math.max(1, concurrency))) finished.set(at, round)
  }
  return round
}

/** The items of the largest group of a batch's writes linked by the items they share. */
export const largestCluster = (writes: ReadonlyArray<StateWrite<unknown>>): number =>
  Math.max(0, ...clustersOf(writes.map((write) => ({ write }))).map(itemsInTransaction))

/**
 * A lower bound on a batch's round trips that no packing beats: none without a write;
 * two when a cluster does not fit one transaction (split, one of its items is in two
 * transactions, which must not run at once); and never fewer than the least
 * transactions over the `concurrency` the runtime keeps in flight.
 */
export const minimumRounds = (
  writes: ReadonlyArray<StateWrite<unknown>>,
  concurrency = DEFAULT_COMMIT_CONCURRENCY,
): number => {
  if (writes.length === 0) return 0
  const byClusters = largestCluster(writes) > MAX_TRANSACTION_ITEMS ? 2 : 1
  return Math.max(byClusters, Math.ceil(leastTransactions(writes) / Math.max(1, concurrency)))
}

/** The fewest transactions that hold every item once: a lower bound for any packing. */
const leastTransactions = (writes: ReadonlyArray<StateWrite<unknown>>): number =>
  Math.ceil(itemsOf(writes).size / MAX_TRANSACTION_ITEMS)

const mean = (values: ReadonlyArray<number>) =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length

const round2 = (value: number) => Number(value.toFixed(2))

/** The shard Kinesis puts a partition key in, of `shards` created at once (even hash ranges). */
export const shardOf = (partitionKey: string, shards: number): number => {
  const hash = BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`)
  return Number((hash * BigInt(shards)) >> 128n)
}

type Shape = { readonly writes: Array<ReadonlyArray<StateWrite<unknown>>> }

type Batches = ReturnType<typeof batchesOf>

/**
 * Each shard's records in order, in the shape Lambda hands them over, cut into batches:
 * those of the first `warmup` records, then those of the rest. Sequence numbers run on
 * across both, as in the stream, so that the rest is not taken for records folded before.
 */
const shardBatches = (
  records: ReadonlyArray<{ readonly partitionKey: string; readonly data: string }>,
  options: { readonly batchSize: number; readonly shards: number; readonly warmup: number },
): { readonly warmup: Batches; readonly measured: Batches } => {
  const { batchSize, shards, warmup } = options
  const perShard = Array.from({ length: shards }, (_, shard) => {
    const at = records
      .map((r, i) => ({ r, i }))
      .filter(({ r }) => shardOf(r.partitionKey, shards) === shard)
    const lambda = lambdaRecordsOf(at.map(({ r }) => r))
    const warm = at.filter(({ i }) => i < warmup).length
    return { warmup: lambda.slice(0, warm), measured: lambda.slice(warm) }
  })
  return {
    warmup: perShard.flatMap((shard) => batchesOf(shard.warmup, batchSize)),
    measured: perShard.flatMap((shard) => batchesOf(shard.measured, batchSize)),
  }
}

/** The handler's transactions per batch, on the in-memory store with its defaults. */
const recordTransactions = async (warmup: Batches, measured: Batches): Promise<Shape[]> => {
  const memory = memoryStore(winnerView)
  let calls: Shape['writes'] = []
  const batches: Shape[] = []
  const handler = makeViewHandler(winnerView, {
    store: {
      ...memory,
      // Only transactions that commit: an attempt refused on a stale state is no transaction.
      writeStates: async (writes) => {
        const outcome = await memory.writeStates(writes)
        if (outcome.kind === 'committed') calls.push(writes)
        return outcome
      },
    },
    log: () => {
      batches.push({ writes: calls })
      calls = []
    },
  })
  for (const batch of warmup) await handler(batch)
  batches.length = 0
  for (const batch of measured) await handler(batch)
  return batches
}

/**
 * How the winner view commits a workload's batches of `batchSize` on `shards` (after an
 * unmeasured `warmup`), on the in-memory store with the handler's defaults: per batch,
 * the keys written, their aggregate items, the transactions and the round trips one
 * after the other, against the fewest transactions and round trips any packing could
 * need. With a latency per round trip, the rounds give the best a shard can do.
 */
export const measureBatchShape = async (
  name: string,
  records: ReadonlyArray<{ readonly partitionKey: string; readonly data: string }>,
  options: { readonly batchSize: number; readonly shards: number; readonly warmup?: number },
) => {
  const { batchSize, shards, warmup = 0 } = options
  const cut = shardBatches(records, { batchSize, shards, warmup })
  const batches = await recordTransactions(cut.warmup, cut.measured)
  const perBatch = (measure: (writes: Shape['writes']) => number) =>
    round2(mean(batches.map((b) => measure(b.writes))))
  return {
    workload: name,
    batchSize,
    shards,
    batches: batches.length,
    keysPerBatch: perBatch((b) => b.flat().length),
    aggregateItemsPerBatch: perBatch((b) => itemsOf(b.flat()).size - b.flat().length),
    transactionsPerBatch: perBatch((b) => b.length),
    leastTransactionsPerBatch: perBatch((b) => leastTransactions(b.flat())),
    roundsPerBatch: perBatch((b) => serialRounds(b.map(itemsOf))),
    leastRoundsPerBatch: perBatch((b) => minimumRounds(b.flat())),
  }
}

export type BatchShape = Awaited<ReturnType<typeof measureBatchShape>>

/** The most events per second a shard can fold at `latencyMs` a round trip, given its rounds. */
export const ceilingAt = (batchSize: number, latencyMs: number, rounds: number) =>
  rounds === 0 ? 0 : Math.round((batchSize * 1000) / (rounds * latencyMs))
