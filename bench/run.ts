import { readFile, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { DEFAULT_BATCH_SIZE } from '../src/cli/flags'
import { startDynamoDbLocal } from '../src/local/dynamodbLocal'
import { startKinesalite } from '../src/local/kinesis'
import { generateWorkload, type WorkloadRecord } from '../src/local/workload'
import { type BatchShape, ceilingAt, measureBatchShape } from './batchShape'
import { contentionTable, measureContentionRows } from './contentionRows'
import {
  measureHandlerCpu,
  measureOneBatch,
  measureRedelivery,
  measureRoundTripModel,
} from './models'
import { eventsOf, measurePureFold, type PureFold, pureFoldOf } from './pureFold'
import { measureRebuildLag } from './rebuildLag'
import { measureRebuildSpeed, rebuildSpeedTable } from './rebuildSpeed'
import {
  type Endpoints,
  round,
  runScenario,
  type Scenario,
  type ScenarioResult,
  type System,
} from './scenarios'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

interface BenchFlags {
  readonly events: number
  readonly shards: number
  readonly seed: number
  readonly latency: number
  readonly shardEvents: number
  readonly originalEvents: number
  readonly catalogEvents: number
  readonly contentionRuns: number
  readonly only?: 'contention' | 'rebuild-speed'
}

const foldOf = (...parts: ReadonlyArray<ReadonlyArray<WorkloadRecord>>): PureFold =>
  pureFoldOf(eventsOf(parts.flat().map((r) => r.data)))

const scenario = (
  name: string,
  system: System,
  records: ReadonlyArray<WorkloadRecord>,
  shape: Partial<Scenario> & Pick<Scenario, 'shards' | 'batchSize'>,
): Scenario => ({
  name,
  system,
  records,
  latencyMs: 0,
  expected: foldOf(shape.warmup ?? [], records),
  ...shape,
})

/** The deployed event source mapping's batch size (serverless.yml, `batchSize`). */
const DEPLOYED_BATCH_SIZE = DEFAULT_BATCH_SIZE

/**
 * One shard at latency 0 and at the given latency: events per second per shard, both
 * systems at batch 100, and this view at its deployed batch size.
 */
const perShardScenarios = (flags: BenchFlags, workload: ReadonlyArray<WorkloadRecord>) => {
  const ours = workload.slice(0, flags.shardEvents)
  const original = workload.slice(0, flags.originalEvents)
  const oneShard = (batchSize: number, latencyMs: number) => ({ shards: 1, batchSize, latencyMs })
  return [0, flags.latency].flatMap((latencyMs) => [
    scenario(
      `winner-view, 1 shard, ${latencyMs} ms`,
      'winner-view',
      ours,
      oneShard(100, latencyMs),
    ),
    scenario(
      `winner-view, 1 shard, batch ${DEPLOYED_BATCH_SIZE}, ${latencyMs} ms`,
      'winner-view',
      ours,
      oneShard(DEPLOYED_BATCH_SIZE, latencyMs),
    ),
    scenario(`original, 1 shard, ${latencyMs} ms`, 'original', original, oneShard(100, latencyMs)),
  ])
}

/** The whole workload over the shards, as the first benchmark measured it. */
const streamScenarios = (flags: BenchFlags, workload: ReadonlyArray<WorkloadRecord>) => [
  scenario(`winner-view, ${flags.shards} shards, batch 100`, 'winner-view', workload, {
    shards: flags.shards,
    batchSize: 100,
  }),
  scenario(
    `winner-view, ${flags.shards} shards, batch ${DEPLOYED_BATCH_SIZE}`,
    'winner-view',
    workload,
    { shards: flags.shards, batchSize: DEPLOYED_BATCH_SIZE },
  ),
  scenario(`original, ${flags.shards} shards, batch 5`, 'original', workload, {
    shards: flags.shards,
    batchSize: 5,
  }),
]

/** The same events over a catalog of the workload's own size and of ten times it. */
const catalogSizes = (flags: BenchFlags) => {
  const natural = Math.round(flags.catalogEvents * 0.08)
  return [natural, natural * 10]
}

/** Each catalog size with its workload: the catalog's creates first, then the events. */
const catalogWorkloads = (flags: BenchFlags) =>
  catalogSizes(flags).map((catalog) => ({
    catalog,
    all: generateWorkload({ events: flags.catalogEvents, seed: flags.seed, catalog }),
  }))

const catalogScenarios = (flags: BenchFlags) =>
  catalogWorkloads(flags).flatMap(({ catalog, all }) => {
    const shape = { shards: flags.shards, warmup: all.slice(0, catalog) }
    const records = all.slice(catalog)
    return [
      scenario(`winner-view, catalog ${catalog}`, 'winner-view', records, {
        ...shape,
        batchSize: 100,
      }),
      scenario(
        `winner-view, catalog ${catalog}, batch ${DEPLOYED_BATCH_SIZE}`,
        'winner-view',
        records,
        {
          ...shape,
          batchSize: DEPLOYED_BATCH_SIZE,
        },
      ),
      scenario(`original, catalog ${catalog}`, 'original', records, { ...shape, batchSize: 5 }),
    ]
  })

const warmupScenario = (workload: ReadonlyArray<WorkloadRecord>) =>
  scenario('warm-up', 'winner-view', workload.slice(0, 1000), { shards: 1, batchSize: 100 })

const faultScenario = (flags: BenchFlags, workload: ReadonlyArray<WorkloadRecord>) =>
  scenario('winner-view, factor 4, faults 0.2', 'winner-view', workload.slice(0, 5000), {
    shards: 2,
    batchSize: 50,
    parallelizationFactor: 4,
    faultRate: 0.2,
    latencyMs: Math.min(flags.latency, 5),
  })

/**
 * How batches commit, on the in-memory store: the per-shard workload at batch 100 and at
 * the deployed batch size, and the catalog workloads at batch 100 on the stream's shards.
 */
const measureShapes = async (flags: BenchFlags, workload: ReadonlyArray<WorkloadRecord>) => {
  process.stderr.write('running: the shape of the commits\n')
  const perShard = workload.slice(0, flags.shardEvents)
  const shapes = []
  for (const batchSize of [100, DEPLOYED_BATCH_SIZE])
    shapes.push(await measureBatchShape('per shard', perShard, { batchSize, shards: 1 }))
  const catalogs = catalogWorkloads(flags)
  for (const batchSize of [100, DEPLOYED_BATCH_SIZE])
    for (const { catalog, all } of catalogs) {
      const options = { batchSize, shards: flags.shards, warmup: catalog }
      shapes.push(await measureBatchShape(`catalog ${catalog}`, all, options))
    }
  return shapes
}

const runAll = async (scenarios: ReadonlyArray<Scenario>, endpoints: Endpoints) => {
  const results: ScenarioResult[] = []
  for (const each of scenarios) {
    process.stderr.write(`running: ${each.name} (${each.records.length} events)\n`)
    results.push(await runScenario(each, endpoints))
  }
  return results
}

const equalsText = (m: ScenarioResult['matchesPureFold']) =>
  m.equal ? 'yes' : `no (${m.scoresDiffer} scores, ${m.productsDiffer} products)`

/** A Markdown table of rows, each a list of cells, the first row the header. */
const printTable = (rows: ReadonlyArray<ReadonlyArray<string | number>>) => {
  const cells = rows.map((row) => row.map(String))
  const widths = (cells[0] ?? []).map((_, i) =>
    Math.max(...cells.map((row) => row[i]?.length ?? 0)),
  )
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  const [header = [], ...body] = cells
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n'))
}

const printScenarios = (title: string, results: ReadonlyArray<ScenarioResult>) => {
  console.log(`\n${title}`)
  printTable([
    [
      'scenario',
      'events',
      'ev/s/shard',
      'req/1k ev',
      'writes/1k',
      'RCU/1k',
      'WCU/1k',
      's',
      'equals fold',
    ],
    ...results.map((r) => [
      r.scenario,
      r.events,
      r.eventsPerSecondPerShard,
      r.requestsPer1000Events,
      r.writeRequestsPer1000Events,
      r.readUnitsPer1000Events,
      r.writeUnitsPer1000Events,
      r.seconds,
      equalsText(r.matchesPureFold),
    ]),
  ])
}

/** The commits' shape, and the events per second its round trips allow at the bench's latency. */
const printShapes = (shapes: ReadonlyArray<BatchShape>) => {
  console.log(`\nHow batches commit (in memory; "least": what no packing can beat)`)
  printTable([
    ['workload', 'batch', 'shards', 'keys', 'items', 'tx', 'least tx', 'rounds', 'least rounds'],
    ...shapes.map((s) => [
      s.workload,
      s.batchSize,
      s.shards,
      s.keysPerBatch,
      s.aggregateItemsPerBatch,
      s.transactionsPerBatch,
      s.leastTransactionsPerBatch,
      s.roundsPerBatch,
      s.leastRoundsPerBatch,
    ]),
  ])
}

const ratio = (a: number | undefined, b: number | undefined, digits = 2) =>
  round((a ?? 0) / (b === undefined || b === 0 ? 1 : b), digits)

const find = (results: ReadonlyArray<ScenarioResult>, name: string) =>
  results.find((r) => r.scenario === name)

type Sections = Awaited<ReturnType<typeof measureSections>>

/** This view against the original, per shard and for the whole stream, by row name. */
const speedRatios = (flags: BenchFlags, { perShard, stream }: Sections) => {
  const perShardAt = (latency: number, name: string) =>
    find(perShard, `${name}, ${latency} ms`)?.eventsPerSecondPerShard
  const deployed = `winner-view, 1 shard, batch ${DEPLOYED_BATCH_SIZE}`
  const versus = (latency: number, name: string) =>
    ratio(perShardAt(latency, name), perShardAt(latency, 'original, 1 shard'))
  const original = find(stream, `original, ${flags.shards} shards, batch 5`)
  const streamOf = (batchSize: number) =>
    find(stream, `winner-view, ${flags.shards} shards, batch ${batchSize}`)
  return {
    perShardAtLatency: versus(flags.latency, 'winner-view, 1 shard'),
    perShardAtLatencyDeployedBatch: versus(flags.latency, deployed),
    perShardAtZero: versus(0, 'winner-view, 1 shard'),
    perShardAtZeroDeployedBatch: versus(0, deployed),
    streamEventsPerSecond: ratio(streamOf(100)?.eventsPerSecond, original?.eventsPerSecond),
    streamEventsPerSecondDeployedBatch: ratio(
      streamOf(DEPLOYED_BATCH_SIZE)?.eventsPerSecond,
      original?.eventsPerSecond,
    ),
    streamWriteRequests: ratio(
      streamOf(100)?.writeRequestsPer1000Events,
      original?.writeRequestsPer1000Events,
      4,
    ),
  }
}

/** How requests grow with the catalog, measured and at the least any packing needs. */
const catalogRatios = (flags: BenchFlags, { catalog, shapes }: Sections) => {
  const [small = 0, large = 0] = catalogSizes(flags)
  const requests = (name: (size: number) => string) =>
    ratio(
      find(catalog, name(large))?.requestsPer1000Events,
      find(catalog, name(small))?.requestsPer1000Events,
    )
  const least = (size: number) =>
    shapes.find((s) => s.workload === `catalog ${size}` && s.batchSize === 100)
      ?.leastTransactionsPerBatch
  return {
    catalogRequestGrowth: requests((size) => `winner-view, catalog ${size}`),
    catalogLeastTransactionGrowth: ratio(least(large), least(small)),
    catalogRequestGrowthDeployedBatch: requests(
      (size) => `winner-view, catalog ${size}, batch ${DEPLOYED_BATCH_SIZE}`,
    ),
    originalCatalogRequestGrowth: requests((size) => `original, catalog ${size}`),
  }
}

/** The events per second a shard's round trips allow at the latency: this packing's, and any's. */
const ceilingRatios = (flags: BenchFlags, { shapes }: Sections) => {
  const shardShape = (batchSize: number) =>
    shapes.find((s) => s.workload === 'per shard' && s.batchSize === batchSize)
  const at = (batchSize: number, rounds: (s: BatchShape) => number) => {
    const shape = shardShape(batchSize)
    return shape === undefined ? 0 : ceilingAt(batchSize, flags.latency, rounds(shape))
  }
  return {
    perShardCeilingAtLatency: at(100, (s) => s.roundsPerBatch),
    perShardBestAtLatency: at(100, (s) => s.leastRoundsPerBatch),
    perShardCeilingAtLatencyDeployedBatch: at(DEPLOYED_BATCH_SIZE, (s) => s.roundsPerBatch),
  }
}

/** The targets of the issue, each as measured here. */
const ratiosOf = (flags: BenchFlags, sections: Sections) => ({
  ...speedRatios(flags, sections),
  ...catalogRatios(flags, sections),
  ...ceilingRatios(flags, sections),
  oneBatchNowOverBefore: ratio(sections.oneBatch[1]?.seconds, sections.oneBatch[0]?.seconds),
  oneBatchNowOverBeforeAtLatency: ratio(
    sections.oneBatch[3]?.seconds,
    sections.oneBatch[2]?.seconds,
  ),
})

const measureSections = async (
  flags: BenchFlags,
  workload: ReadonlyArray<WorkloadRecord>,
  endpoints: Endpoints,
) => {
  // Unreported: the first run on a fresh emulator pays for its start (JIT, first tables).
  await runAll([warmupScenario(workload)], endpoints)
  const perShard = await runAll(perShardScenarios(flags, workload), endpoints)
  process.stderr.write('running: the round-trip model\n')
  const shardWorkload = workload.slice(0, flags.shardEvents)
  const models = []
  for (const batchSize of [100, DEPLOYED_BATCH_SIZE])
    models.push(
      await measureRoundTripModel(shardWorkload, foldOf(shardWorkload), flags.latency, batchSize),
    )
  process.stderr.write('running: a redelivery to a caught-up container\n')
  const redelivery = await measureRedelivery(shardWorkload, flags.latency, DEPLOYED_BATCH_SIZE)
  const shapes = await measureShapes(flags, workload)
  const stream = await runAll(streamScenarios(flags, workload), endpoints)
  const catalog = await runAll(catalogScenarios(flags), endpoints)
  const [faults] = await runAll([faultScenario(flags, workload)], endpoints)
  const big = generateWorkload({ events: 7500, seed: flags.seed, catalog: 2500 })
  const bigFold = foldOf(big)
  process.stderr.write('running: one batch of 10,000 records\n')
  const before = { cacheSize: 0, commitConcurrency: 1 }
  const oneBatch = []
  for (const latency of [0, flags.latency]) {
    oneBatch.push(
      await measureOneBatch(endpoints.dynamodb, big, bigFold, 'before', before, latency),
      await measureOneBatch(endpoints.dynamodb, big, bigFold, 'now', {}, latency),
    )
  }
  process.stderr.write('running: a rebuild beside the live views, under the read budget\n')
  const history = workload.slice(0, 10_000)
  const live = workload.slice(10_000, 13_000)
  const rebuildLag = []
  for (const withRebuild of [false, true])
    rebuildLag.push(await measureRebuildLag(endpoints, history, live, 300, withRebuild))
  const contention = await measureContentionRows(flags.seed, flags.contentionRuns)
  const rebuildSpeed = await rebuildSpeedRows(flags, workload)
  return {
    ...{ perShard, models, redelivery, shapes, stream, catalog, faults, oneBatch },
    ...{ rebuildLag, contention, rebuildSpeed },
  }
}

const printRedelivery = (r: Sections['redelivery']) => {
  console.log(
    `\nA caught-up container, each batch delivered twice (in-memory store + ${r.latencyMs} ms round trips, 1 shard, ${r.events} events, batch ${r.batchSize})`,
  )
  const row = (name: string, p: Sections['redelivery']['first']) => [
    name,
    p.batches,
    p.readCalls,
    p.keysRead,
    p.msPerBatch,
  ]
  printTable([
    ['delivery', 'batches', 'read calls', 'keys read', 'ms per batch'],
    row('first', r.first),
    row('again', r.again),
  ])
}

const printRebuildLag = (rows: Sections['rebuildLag']) => {
  const [first] = rows
  if (first === undefined) return
  console.log(
    `\nA rebuild beside the live views (1 shard under Kinesis's read budget of 5 calls and 2 MB a second, ${first.historyRecords} records of history, then ${first.liveRecords} arriving at ${first.ratePerSecond}/s; real time on kinesalite)`,
  )
  printTable([
    ['readers', 'live lag p50 ms', 'p99 ms', 'max ms', 'calls', 'throttled', 'rebuild s'],
    ...rows.map((r) => [
      r.scenario,
      r.lagP50Ms,
      r.lagP99Ms,
      r.lagMaxMs,
      r.calls,
      r.throttledCalls,
      r.rebuildSeconds ?? '-',
    ]),
  ])
}

const printContention = (rows: Sections['contention']) => {
  console.log(
    `\nShards read at once under DynamoDB's conflict rule, before (shared aggregates) and after (per-writer partial sums and a totals stage), on a virtual clock (20,000 records a shard, batch 500, 25 ms round trips of which a transaction holds its items 15 ms; ${rows[0]?.length ?? 0} runs, median (range))`,
  )
  printTable(contentionTable(rows))
}

/** The rebuild from the archive against the live catch-up, one shard of the workload, at 0 ms and the latency. */
const rebuildSpeedRows = (flags: BenchFlags, workload: ReadonlyArray<WorkloadRecord>) => {
  process.stderr.write('running: a rebuild from the archive against the live catch-up\n')
  const shard = workload.slice(0, REBUILD_SPEED_RECORDS)
  return measureRebuildSpeed(shard, foldOf(shard), [0, flags.latency], flags.contentionRuns)
}

const REBUILD_SPEED_RECORDS = 20_000

const printRebuildSpeed = (rows: Sections['rebuildSpeed']) => {
  console.log(
    `\nOne shard rebuilt from the archive or caught up from the stream (the in-memory store behind the round trip, batch 500, pages of 10,000 records; the stream within Kinesis's read budget of 5 calls and 2 MB a second, alone or as 1 of 4 readers; ${rows[0]?.length ?? 0} runs, median (range))`,
  )
  printTable(rebuildSpeedTable(rows))
}

const printSections = (sections: Sections) => {
  printScenarios('Per shard (1 shard; batch 100 unless named)', sections.perShard)
  for (const model of sections.models)
    console.log(
      `\n${model.scenario}, batch ${model.batchSize}: ${model.eventsPerSecondPerShard} events/s per shard (${model.events} events, equals fold: ${equalsText(model.matchesPureFold)})`,
    )
  printRedelivery(sections.redelivery)
  printShapes(sections.shapes)
  printRebuildLag(sections.rebuildLag)
  printContention(sections.contention)
  printRebuildSpeed(sections.rebuildSpeed)
  printScenarios('The whole stream', sections.stream)
  printScenarios('Cost as the catalog grows (events after the catalog is loaded)', sections.catalog)
  if (sections.faults)
    printScenarios('Parallelization factor 4, faults injected', [sections.faults])
  console.log('\nOne batch of 10,000 records')
  console.log(
    'before: no cache, one transaction at a time (the commit loop as it was); now: the defaults',
  )
  printTable([
    [
      'handler',
      'latency ms',
      'records',
      'products',
      'transactions',
      's',
      'unfinished',
      'equals fold',
    ],
    ...sections.oneBatch.map((b) => [
      b.scenario,
      b.latencyMs,
      b.records,
      b.products,
      b.transactions,
      b.seconds,
      b.unfinished,
      equalsText(b.matchesPureFold),
    ]),
  ])
}

const parseFlags = (): BenchFlags => {
  const whole = (v: string) => Number.parseInt(v, 10)
  return new Command('bench')
    .option('--events <n>', 'events of the whole-stream scenarios', whole, 20_000)
    .option('--shards <n>', 'shards of the whole-stream and catalog scenarios', whole, 4)
    .option('--seed <n>', 'seed of the workloads', whole, 42)
    .option(
      '--latency <ms>',
      'added to every DynamoDB call, with jitter, in the latency rows',
      whole,
      25,
    )
    .option('--shard-events <n>', "events of this view's per-shard scenarios", whole, 4000)
    .option('--original-events <n>', "events of the original's per-shard scenarios", whole, 600)
    .option(
      '--catalog-events <n>',
      'events after the catalog in the catalog scenarios',
      whole,
      5000,
    )
    .option(
      '--contention-runs <n>',
      'runs of each contention and rebuild-speed row (median and range)',
      whole,
      1,
    )
    .option(
      '--only <section>',
      'run one section alone (contention, rebuild-speed), kept in results.json',
    )
    .parse(process.argv)
    .opts<BenchFlags>()
}

const RESULTS = join(__dirname, '..', 'bench', 'results.json')

/** The rebuild speed rows alone, written into results.json beside the last full run's sections. */
const rebuildSpeedOnly = async (flags: BenchFlags) => {
  const workload = generateWorkload({ events: REBUILD_SPEED_RECORDS, seed: flags.seed })
  const rebuildSpeed = await rebuildSpeedRows(flags, workload)
  printRebuildSpeed(rebuildSpeed)
  const previous = JSON.parse(await readFile(RESULTS, 'utf8').catch(() => '{}')) as object
  const results = { ...previous, rebuildSpeed, rebuildSpeedDate: new Date().toISOString() }
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`)
}

/** The contention rows alone, written into results.json beside the last full run's sections. */
const contentionOnly = async (flags: BenchFlags) => {
  const contention = await measureContentionRows(flags.seed, flags.contentionRuns)
  printContention(contention)
  const previous = JSON.parse(await readFile(RESULTS, 'utf8').catch(() => '{}')) as object
  const results = { ...previous, contention, contentionDate: new Date().toISOString() }
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`)
}

const main = async () => {
  const flags = parseFlags()
  if (flags.only === 'contention') return contentionOnly(flags)
  if (flags.only === 'rebuild-speed') return rebuildSpeedOnly(flags)
  if (flags.only !== undefined)
    throw new Error(`--only ${flags.only}: the sections run alone are contention and rebuild-speed`)
  const workload = generateWorkload({ events: flags.events, seed: flags.seed })
  // CPU alone, before the emulators start and the rows fill the heap: the JVM's CPU is
  // not this process's, but it shares the two cores, and a large heap costs collections.
  const pureFoldEventsPerSecond = measurePureFold(eventsOf(workload.map((r) => r.data)))
  const handlerCpuMicrosPerRecord = await measureHandlerCpu(workload)
  const [dynamo, kinesis] = await Promise.all([startDynamoDbLocal(), startKinesalite()])
  try {
    const endpoints = { dynamodb: dynamo.endpoint, kinesis: kinesis.endpoint }
    const sections = await measureSections(flags, workload, endpoints)
    printSections(sections)
    const ratios = ratiosOf(flags, sections)
    console.log(`\nratios: ${JSON.stringify(ratios)}`)
    console.log(
      `pure fold: ${pureFoldEventsPerSecond} events/s; handler CPU ${handlerCpuMicrosPerRecord} µs/record`,
    )
    const results = {
      date: new Date().toISOString(),
      node: process.version,
      machine: { cpus: cpus().length, arch: process.arch },
      flags,
      ...sections,
      ratios,
      pureFoldEventsPerSecond,
      handlerCpuMicrosPerRecord,
    }
    // Runs bundled from .bench/, the way the Lambda artifact is built.
    await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`)
  } finally {
    await Promise.all([dynamo.stop(), kinesis.stop()])
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
