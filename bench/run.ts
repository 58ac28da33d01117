import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { _Record } from '@aws-sdk/client-kinesis'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { KinesisStreamEvent } from 'aws-lambda'
import { Command } from 'commander'
import { type TableNames, tableNamesFor } from '../src/adapters/tables'
import { decodeEvent, type ProductEvent } from '../src/domain/events'
import { initial, type ProductState, products } from '../src/domain/product'
import { foldByKey } from '../src/domain/projection'
import { mergeDeltas, type ScoreDelta, scoreDeltas } from '../src/domain/scores'
import { checkpointsTable, checkpointsTableFor, dynamoCheckpoints } from '../src/local/checkpoints'
import {
  createTable,
  createViewTables,
  LOCAL_AWS,
  startDynamoDbLocal,
} from '../src/local/dynamodbLocal'
import { createStream, makeKinesisClient, putRecords } from '../src/local/kinesis'
import { startKinesalite } from '../src/local/localStack'
import { drainStream, type KinesisHandler, toLambdaRecord } from '../src/local/poller'
import { toOutgoing } from '../src/local/replayLog'
import { meterRequests, totalRequests, writeRequests } from '../src/local/requestMeter'
import { readView, type ViewContents } from '../src/local/viewReader'
import { generateWorkload } from '../src/local/workload'
import { documentClientOf, makeDynamoStore } from '../src/runtime/dynamoStore'
import { makeViewHandler } from '../src/runtime/handler'
import { memoryStore } from '../src/runtime/memoryStore'
import { winnerView } from '../src/views/winner'
import { makeBaselineHandler } from './baseline'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

interface Scenario {
  readonly name: string
  readonly batchSize: number
  readonly handlerFor: (client: DynamoDBDocumentClient, names: TableNames) => KinesisHandler
}

const SCENARIOS: Scenario[] = [
  {
    name: 'winner-view, batch 5',
    batchSize: 5,
    handlerFor: (client, names) => viewHandler(client, names),
  },
  {
    name: 'winner-view, batch 100',
    batchSize: 100,
    handlerFor: (client, names) => viewHandler(client, names),
  },
  { name: 'original algorithm, batch 5', batchSize: 5, handlerFor: makeBaselineHandler },
]

const viewHandler = (client: DynamoDBDocumentClient, names: TableNames) =>
  makeViewHandler(winnerView, {
    store: makeDynamoStore(winnerView, { client, names }),
    log: () => {},
  })

const round = (value: number, digits = 1) => Number(value.toFixed(digits))

/** The events of a JSON-lines log, each product's in file order; lines that do not decode are left out. */
const eventsOf = (lines: ReadonlyArray<string>): ProductEvent[] =>
  lines.flatMap((line, at) => {
    let payload: unknown
    try {
      payload = JSON.parse(line)
    } catch {
      return []
    }
    const decoded = decodeEvent(payload, {
      shardId: 'shardId-000000000000',
      sequenceNumber: String(at + 1),
    })
    return decoded._tag === 'Right' && decoded.right.kind === 'event' ? [decoded.right.event] : []
  })

/** What every run must equal: the pure fold of the log, its products and their merged scores. */
interface PureFold {
  readonly contributions: ReadonlyArray<ProductState>
  readonly scores: ReadonlyArray<ScoreDelta>
}

const pureFoldOf = (events: ReadonlyArray<ProductEvent>): PureFold => {
  const contributions = [...foldByKey(products, events).values()]
  const deltas = contributions.flatMap((state) => scoreDeltas(initial(state.productId), state))
  return { contributions, scores: mergeDeltas(deltas) }
}

/** Semantic fields only: the baseline keeps no positions and no per-role scores on products. */
const sameView = (stored: ViewContents, expected: PureFold) => {
  const pick = (items: ReadonlyArray<Record<string, unknown>> | ReadonlyArray<ProductState>) =>
    items.map(({ productId, creator, photographer, purchases }) => ({
      productId,
      creator,
      photographer,
      purchases,
    }))
  const scoresDiffer =
    expected.scores.filter(
      (s) =>
        !stored.scores.some(
          (t) =>
            t.userId === s.userId &&
            t.role === s.role &&
            t.score === s.score &&
            t.products === s.products,
        ),
    ).length + Math.max(0, stored.scores.length - expected.scores.length)
  const productsDiffer = pick(expected.contributions).filter(
    (e) =>
      JSON.stringify(e) !==
      JSON.stringify(pick(stored.contributions).find((s) => s.productId === e.productId)),
  ).length
  return { equal: scoresDiffer === 0 && productsDiffer === 0, scoresDiffer, productsDiffer }
}

const runScenario = async (
  scenario: Scenario,
  endpoints: { dynamodb: string; kinesis: string },
  streamName: string,
  events: number,
  expected: PureFold,
) => {
  const stage = `bench${scenario.name.replace(/[^a-z0-9]/gi, '')}`
  const names = tableNamesFor(stage)
  const plain = new DynamoDBClient({ ...LOCAL_AWS, endpoint: endpoints.dynamodb })
  await createViewTables(plain, winnerView, names)
  await createTable(plain, checkpointsTableFor(stage), checkpointsTable)
  const metered = new DynamoDBClient({ ...LOCAL_AWS, endpoint: endpoints.dynamodb })
  const meter = meterRequests(metered)
  const kinesis = makeKinesisClient({ ...LOCAL_AWS, endpoint: endpoints.kinesis })
  const started = performance.now()
  await drainStream({
    kinesis,
    streamName,
    batchSize: scenario.batchSize,
    handler: scenario.handlerFor(documentClientOf(metered), names),
    // Checkpoints are the poller's (Lambda keeps its own): on a client of their own, not metered.
    checkpoints: dynamoCheckpoints(documentClientOf(plain), checkpointsTableFor(stage), streamName),
  })
  const seconds = (performance.now() - started) / 1000
  const view = await readView(documentClientOf(plain), names)
  const requests = totalRequests(meter)
  const writes = writeRequests(meter)
  plain.destroy()
  metered.destroy()
  kinesis.destroy()
  return {
    scenario: scenario.name,
    batchSize: scenario.batchSize,
    seconds: round(seconds, 2),
    eventsPerSecond: Math.round(events / seconds),
    requests,
    requestsPer1000Events: round((requests * 1000) / events),
    writeRequestsPer1000Events: round((writes * 1000) / events),
    readCapacityUnits: round(meter.capacity.read),
    writeCapacityUnits: round(meter.capacity.write),
    requestsByOperation: Object.fromEntries(meter.requests),
    matchesPureFold: sameView(view, expected),
  }
}

/** The pure fold alone, in memory: events folded per second, over repeated passes of at least 2 s. */
const measurePureFold = (events: ReadonlyArray<ProductEvent>) => {
  foldByKey(products, events)
  let folded = 0
  const started = performance.now()
  while (performance.now() - started < 2000) {
    foldByKey(products, events)
    folded += events.length
  }
  return Math.round(folded / ((performance.now() - started) / 1000))
}

/** The handler's CPU time per record, without I/O: decode, group, fold, plan, on batches of 100. */
const measureHandlerCpu = async (lines: string[]) => {
  const records = lines.map(
    (line, at): _Record => ({
      SequenceNumber: (
        49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n + BigInt(at)
      ).toString(),
      PartitionKey: 'p',
      Data: Buffer.from(line, 'utf8'),
      ApproximateArrivalTimestamp: new Date(0),
    }),
  )
  const batches: KinesisStreamEvent[] = []
  for (let at = 0; at < records.length; at += 100) {
    batches.push({
      Records: records
        .slice(at, at + 100)
        .map((r) => toLambdaRecord('bench', 'shardId-000000000000', r)),
    })
  }
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

const printTable = (rows: Awaited<ReturnType<typeof runScenario>>[]) => {
  const header = [
    'scenario',
    'events/s',
    'requests/1k ev',
    'writes/1k ev',
    'RCU',
    'WCU',
    'wall s',
    'equals fold',
  ]
  const body = rows.map((r) => [
    r.scenario,
    String(r.eventsPerSecond),
    String(r.requestsPer1000Events),
    String(r.writeRequestsPer1000Events),
    String(r.readCapacityUnits),
    String(r.writeCapacityUnits),
    String(r.seconds),
    r.matchesPureFold.equal
      ? 'yes'
      : `no (${r.matchesPureFold.scoresDiffer} scores, ${r.matchesPureFold.productsDiffer} products)`,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]?.length ?? 0)))
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n'))
}

interface BenchFlags {
  readonly events: number
  readonly shards: number
  readonly seed: number
}

/** Prints the table and the ratios, and writes bench/results.json. */
const report = async (
  flags: BenchFlags,
  rows: Awaited<ReturnType<typeof runScenario>>[],
  pureFoldEventsPerSecond: number,
  handlerCpuMicrosPerRecord: number,
) => {
  printTable(rows)
  const [, ours, baseline] = rows
  const ratios = {
    writeRequestsPer1000Events: round(
      (ours?.writeRequestsPer1000Events ?? 0) / (baseline?.writeRequestsPer1000Events ?? 1),
      4,
    ),
    eventsPerSecond: round((ours?.eventsPerSecond ?? 0) / (baseline?.eventsPerSecond ?? 1), 2),
  }
  console.log(
    `\nbatch 100 vs original: ${ratios.writeRequestsPer1000Events}x the write requests, ${ratios.eventsPerSecond}x the events/s`,
  )
  console.log(
    `pure fold: ${pureFoldEventsPerSecond.toLocaleString('en-US')} events/s; handler CPU: ${handlerCpuMicrosPerRecord} µs per record`,
  )
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpus: (await import('node:os')).cpus().length, arch: process.arch },
    workload: { events: flags.events, shards: flags.shards, seed: flags.seed, edgeCases: false },
    scenarios: rows,
    ratios,
    pureFoldEventsPerSecond,
    handlerCpuMicrosPerRecord,
  }
  // Runs bundled from .bench/, the way the Lambda artifact is built.
  await writeFile(
    join(__dirname, '..', 'bench', 'results.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  )
}

const main = async () => {
  const flags = new Command('bench')
    .option('--events <n>', 'events in the workload', (v) => Number.parseInt(v, 10), 20_000)
    .option('--shards <n>', 'shards of the stream', (v) => Number.parseInt(v, 10), 4)
    .option('--seed <n>', 'seed of the workload', (v) => Number.parseInt(v, 10), 42)
    .parse(process.argv)
    .opts<BenchFlags>()
  const workload = generateWorkload({ events: flags.events, seed: flags.seed })
  const lines = workload.map((r) => r.data)
  const events = eventsOf(lines)
  const expected = pureFoldOf(events)
  const [dynamo, kinesisService] = await Promise.all([startDynamoDbLocal(), startKinesalite()])
  try {
    const endpoints = { dynamodb: dynamo.endpoint, kinesis: kinesisService.endpoint }
    const kinesis = makeKinesisClient({ ...LOCAL_AWS, endpoint: endpoints.kinesis })
    await createStream(kinesis, 'benchStream', flags.shards)
    await putRecords(kinesis, 'benchStream', toOutgoing(workload))
    kinesis.destroy()
    const rows = []
    for (const scenario of SCENARIOS) {
      process.stderr.write(`running: ${scenario.name}\n`)
      rows.push(await runScenario(scenario, endpoints, 'benchStream', flags.events, expected))
    }
    await report(flags, rows, measurePureFold(events), await measureHandlerCpu(lines))
  } finally {
    await Promise.all([dynamo.stop(), kinesisService.stop()])
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
