import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { type TableNames, tableNamesFor } from '../src/adapters/tables'
import { checkpointsTable, checkpointsTableFor, dynamoCheckpoints } from '../src/local/checkpoints'
import { createTable, createViewTables, LOCAL_AWS } from '../src/local/dynamodbLocal'
import { withFaults } from '../src/local/faults'
import { createStream, makeKinesisClient, putRecords } from '../src/local/kinesis'
import { drainStream, type KinesisHandler } from '../src/local/poller'
import { toOutgoing } from '../src/local/replayLog'
import { meterRequests, totalRequests, writeRequests } from '../src/local/requestMeter'
import { makeTotalsPump } from '../src/local/totalsPump'
import { readView } from '../src/local/viewReader'
import { seededRandom, type WorkloadRecord } from '../src/local/workload'
import { documentClientOf, makeDynamoStore } from '../src/runtime/dynamoStore'
import { type HandlerDeps, makeViewHandler } from '../src/runtime/handler'
import { winnerView } from '../src/views/winner'
import { makeBaselineHandler } from './baseline'
import { addLatency } from './latency'
import { type PureFold, sameView } from './pureFold'

export const round = (value: number, digits = 1) => Number(value.toFixed(digits))

export type System = 'winner-view' | 'original'

/** One consumption of a workload by one system, on DynamoDB Local and kinesalite. */
export interface Scenario {
  readonly name: string
  readonly system: System
  readonly shards: number
  readonly batchSize: number
  readonly latencyMs: number
  readonly parallelizationFactor?: number
  readonly faultRate?: number
  /** Records consumed before the measure starts (a catalog loaded earlier). */
  readonly warmup?: ReadonlyArray<WorkloadRecord>
  readonly records: ReadonlyArray<WorkloadRecord>
  readonly expected: PureFold
  /** The handler's settings, when not its defaults. */
  readonly settings?: Pick<HandlerDeps<unknown>, 'cacheSize' | 'commitConcurrency'>
}

export interface Endpoints {
  readonly dynamodb: string
  readonly kinesis: string
}

const handlerOf = (
  scenario: Scenario,
  client: DynamoDBDocumentClient,
  names: TableNames,
): KinesisHandler =>
  scenario.system === 'original'
    ? makeBaselineHandler(client, names)
    : makeViewHandler(winnerView, {
        store: makeDynamoStore(winnerView, { client, names }),
        log: () => {},
        ...scenario.settings,
      })

let streams = 0

/** A stream of its own with the records, and tables of its own, for one scenario. */
const prepare = async (scenario: Scenario, endpoints: Endpoints, plain: DynamoDBClient) => {
  streams += 1
  const stage = `bench${streams}`
  const streamName = `bench${streams}Stream`
  const names = tableNamesFor(stage)
  await createViewTables(plain, winnerView, names)
  await createTable(plain, checkpointsTableFor(stage), checkpointsTable)
  const kinesis = makeKinesisClient({ ...LOCAL_AWS, endpoint: endpoints.kinesis })
  await createStream(kinesis, streamName, scenario.shards)
  return { stage, streamName, names, kinesis }
}

/** The totals stage's writes are the view's cost too (its stream reads are free to Lambda). */
const moveTotals = async (
  scenario: Scenario,
  client: DynamoDBDocumentClient,
  names: TableNames,
) => {
  if (scenario.system === 'winner-view')
    await makeTotalsPump({ dynamo: client, view: winnerView, names }).drain()
}

/**
 * Consumes a scenario's records (after its warm-up, unmeasured) with the local poller and
 * the system's handler, on a client that counts requests and capacity and adds the
 * scenario's latency to every call. The totals stage then moves the totals (its writes
 * counted, its time not), and the tables are compared with the pure fold.
 */
export const runScenario = async (scenario: Scenario, endpoints: Endpoints) => {
  const plain = new DynamoDBClient({ ...LOCAL_AWS, endpoint: endpoints.dynamodb })
  const { stage, streamName, names, kinesis } = await prepare(scenario, endpoints, plain)
  const metered = new DynamoDBClient({ ...LOCAL_AWS, endpoint: endpoints.dynamodb })
  addLatency(metered, scenario.latencyMs)
  const meter = meterRequests(metered)
  const viewHandler = handlerOf(scenario, documentClientOf(metered), names)
  const faulty =
    scenario.faultRate === undefined
      ? undefined
      : withFaults(viewHandler, { rate: scenario.faultRate, random: seededRandom(7) })
  const drain = () =>
    drainStream({
      kinesis,
      streamName,
      batchSize: scenario.batchSize,
      parallelizationFactor: scenario.parallelizationFactor ?? 1,
      handler: faulty?.handler ?? viewHandler,
      ...(faulty === undefined ? {} : { retryDelayMs: () => 0 }),
      // The poller's checkpoints (Lambda keeps its own): on a client of their own, not metered.
      checkpoints: dynamoCheckpoints(
        documentClientOf(plain),
        checkpointsTableFor(stage),
        streamName,
      ),
    })
  if (scenario.warmup !== undefined) {
    await putRecords(kinesis, streamName, toOutgoing([...scenario.warmup]))
    await drain()
  }
  const before = { requests: totalRequests(meter), writes: writeRequests(meter), ...meter.capacity }
  await putRecords(kinesis, streamName, toOutgoing([...scenario.records]))
  const started = performance.now()
  await drain()
  const seconds = (performance.now() - started) / 1000
  await moveTotals(scenario, documentClientOf(metered), names)
  const view = await readView(documentClientOf(plain), names)
  const used = {
    requests: totalRequests(meter) - before.requests,
    writes: writeRequests(meter) - before.writes,
    read: meter.capacity.read - before.read,
    write: meter.capacity.write - before.write,
  }
  for (const client of [plain, metered, kinesis]) client.destroy()
  return resultOf(scenario, seconds, used, sameView(view, scenario.expected), faulty?.faults() ?? 0)
}

/** What a scenario measured, per 1,000 events where it is a cost. */
const resultOf = (
  scenario: Scenario,
  seconds: number,
  used: { requests: number; writes: number; read: number; write: number },
  matches: ReturnType<typeof sameView>,
  faults: number,
) => {
  const events = scenario.records.length
  const per1000 = (value: number) => round((value * 1000) / events)
  return {
    scenario: scenario.name,
    system: scenario.system,
    shards: scenario.shards,
    batchSize: scenario.batchSize,
    latencyMs: scenario.latencyMs,
    parallelizationFactor: scenario.parallelizationFactor ?? 1,
    events,
    seconds: round(seconds, 2),
    eventsPerSecond: Math.round(events / seconds),
    eventsPerSecondPerShard: Math.round(events / seconds / scenario.shards),
    requestsPer1000Events: per1000(used.requests),
    writeRequestsPer1000Events: per1000(used.writes),
    readUnitsPer1000Events: per1000(used.read),
    writeUnitsPer1000Events: per1000(used.write),
    faults,
    matchesPureFold: matches,
  }
}

export type ScenarioResult = Awaited<ReturnType<typeof runScenario>>
