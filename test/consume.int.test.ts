import { execFile, spawn } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { ScanCommand } from '@aws-sdk/lib-dynamodb'
import { tableNamesFor } from '../src/adapters/tables'
import { checkpointsTableFor } from '../src/local/checkpoints'
import { consumerOf } from '../src/local/consume'
import type { LocalService } from '../src/local/dynamodbLocal'
import { LOCAL_AWS } from '../src/local/dynamodbLocal'
import {
  createStream,
  listShards,
  makeKinesisClient,
  putRecords,
  splitShardInHalf,
  startKinesalite,
} from '../src/local/kinesis'
import { recordsOfLines } from '../src/local/replayLog'
import { readView } from '../src/local/viewReader'
import { generateWorkload } from '../src/local/workload'
import { documentClientOf } from '../src/runtime/dynamoStore'
import { winnerView } from '../src/views/winner'
import { dynamoEndpoint } from './support/dynamo'
import { tablesOf } from './support/normalize'
import { oracleRecordsOfLines, oracleTables } from './support/oracle'

// Minutes, not seconds: a run of the whole suite on 2 cores can make a resumed CLI run slow.
jest.setTimeout(300_000)

const bin = join(__dirname, '..', 'bin', 'winner-view.js')
let kinesalite: LocalService
const kinesis = () => makeKinesisClient({ ...LOCAL_AWS, endpoint: kinesalite.endpoint })
const dynamo = () =>
  documentClientOf(new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamoEndpoint() }))

beforeAll(async () => {
  kinesalite = await startKinesalite()
})
afterAll(() => kinesalite.stop())

/** `winner-view consume` on the test's kinesalite and DynamoDB Local. */
const consumeArgs = (stream: string, stage: string) => [
  bin,
  'consume',
  '--stream',
  stream,
  '--stage',
  stage,
  '--batch-size',
  '50',
  '--kinesis-endpoint',
  kinesalite.endpoint,
  '--dynamodb-endpoint',
  dynamoEndpoint(),
]
const consume = (stream: string, stage: string) =>
  promisify(execFile)(process.execPath, consumeArgs(stream, stage))

/** The stage's tables hold what the oracle predicts for the log. */
const expectOracle = async (stage: string, lines: string[]) => {
  const view = tablesOf(await readView(dynamo(), tableNamesFor(stage)))
  expect(view).toEqual(oracleTables(oracleRecordsOfLines(lines)))
}

describe('winner-view consume', () => {
  it('folds a stream resharded halfway while records flow into the tables the oracle predicts', async () => {
    const lines = generateWorkload({ events: 1500, seed: 21, edgeCases: true }).map((r) => r.data)
    const records = recordsOfLines(lines.join('\n'))
    const client = kinesis()
    await createStream(client, 'reshardedCli', 2)
    await putRecords(client, 'reshardedCli', records.slice(0, 750))
    const consuming = consume('reshardedCli', 'clireshard')
    const [parent] = await listShards(client, 'reshardedCli')
    if (parent !== undefined) await splitShardInHalf(client, 'reshardedCli', parent)
    await putRecords(client, 'reshardedCli', records.slice(750))
    await consuming
    // A second run takes what arrived after the first reached the tips.
    const { stdout } = await consume('reshardedCli', 'clireshard')
    expect(stdout).toMatch(/\d+ records: /)
    expect((await listShards(client, 'reshardedCli')).length).toBe(4)
    await expectOracle('clireshard', lines)
  })

  it('resumes where an interrupted run stopped and ends with the tables the oracle predicts', async () => {
    const lines = generateWorkload({ events: 6000, seed: 22, edgeCases: true }).map((r) => r.data)
    const client = kinesis()
    await createStream(client, 'interruptedCli', 3)
    await putRecords(client, 'interruptedCli', recordsOfLines(lines.join('\n')))
    const first = spawn(process.execPath, consumeArgs('interruptedCli', 'cliresume'))
    const exited = new Promise<number | null>((resolve) => first.on('exit', resolve))
    // Interrupt as soon as the winner view's first checkpoint is saved (the count below
    // is its consumer's; the category view keeps checkpoints of its own).
    const checkpoints = checkpointsTableFor('cliresume')
    const winner = consumerOf(winnerView, 'interruptedCli')
    for (let seen = 0; seen === 0; ) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      const page = await dynamo()
        .send(new ScanCommand({ TableName: checkpoints }))
        .catch(() => ({ Items: [] }))
      seen = (page.Items ?? []).filter((item) => item.streamName === winner).length
    }
    first.kill('SIGINT')
    expect(await exited).toBe(130)
    const { stdout } = await consume('interruptedCli', 'cliresume')
    const handled = Number(/(\d+) records: /.exec(stdout)?.[1])
    expect(handled).toBeGreaterThan(0)
    expect(handled).toBeLessThan(lines.length)
    await expectOracle('cliresume', lines)
  })
})
