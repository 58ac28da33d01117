import { execFile } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { LocalService } from '../src/local/dynamodbLocal'
import { startKinesalite } from '../src/local/localStack'
import { dynamoEndpoint } from './support/dynamo'

// `winner-view status` and `winner-view rejected` against a local stack that outlives
// the commands: the test's own kinesalite and DynamoDB Local.

jest.setTimeout(120_000)

const run = promisify(execFile)
const bin = join(__dirname, '..', 'bin', 'winner-view.js')
let kinesalite: LocalService
let folder: string
const stage = `status${process.pid}`

const cli = (...args: string[]) =>
  run(process.execPath, [
    bin,
    ...args,
    '--stage',
    stage,
    '--kinesis-endpoint',
    kinesalite.endpoint,
    '--dynamodb-endpoint',
    dynamoEndpoint(),
  ])

const envelope = (schema: string, id: unknown) =>
  JSON.stringify({
    schema: 'com.nordstrom/retail-stream-ingress/1-0-0',
    origin: 'hello-retail/web-client-create-product/a/ann',
    timeOrigin: '2026-11-26T10:00:00.000Z',
    data: { schema, id },
  })

const LINES = [
  envelope('com.nordstrom/product/purchase/1-0-0', 'p1'),
  envelope('com.nordstrom/product/purchase/1-0-0', 7),
  envelope('com.nordstrom/product/purchase/1-0-0', 8),
  'not json {',
  envelope('com.nordstrom/user-info/login/1-0-0', 'u1'),
]

beforeAll(async () => {
  kinesalite = await startKinesalite()
  folder = await mkdtemp(join(tmpdir(), 'winner-view-status-'))
  await writeFile(join(folder, 'log.jsonl'), `${LINES.join('\n')}\n`)
  await cli('replay', join(folder, 'log.jsonl'), '--out', join(folder, 'out.json'), '--shards', '2')
})
afterAll(() => kinesalite.stop())

describe('winner-view status', () => {
  it('shows the stream, the tables, the rejected records by reason, and warns of a short retention', async () => {
    const { stdout } = await cli('status')
    expect(stdout.split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^stream ${stage}Stream: 2 open of 2 shards, retention 24 h, oldest record 0\\.0 h old$`,
        ),
      ),
      `table winner-view-${stage}-Contributions: 1 items`,
      `table winner-view-${stage}-Scores: 0 items`,
      `table winner-view-${stage}-Rejected: 3 items`,
      'rejected records: 3',
      '  2\tdata.id',
      '  1\tdata',
      `warning: stream ${stage}Stream keeps records 24 h, under 7 days: a rebuild from TRIM_HORIZON replays only what is left (raise it with IncreaseStreamRetentionPeriod)`,
      '',
    ])
  })

  it('says so in one line when the stream does not exist', async () => {
    const failure = await cli('status', '--stream', 'nope').then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    )
    expect(failure?.code).toBe(1)
    expect(failure?.stderr).toBe(
      'winner-view: stream nope not found: create it, or name another with --stream\n',
    )
  })
})

describe('winner-view rejected', () => {
  it('lists each rejected record with its size and reason, and exports its original bytes', async () => {
    const { stdout } = await cli('rejected', 'list')
    const rows = stdout.trim().split('\n')
    expect(rows.map((row) => row.split('\t').slice(1))).toEqual(
      expect.arrayContaining([
        ['10 bytes', 'data: not JSON (Unexpected token \'o\', "not json {" is not valid JSON)'],
      ]),
    )
    expect(rows).toHaveLength(3)
    const notJson = rows.find((row) => row.includes('not JSON'))?.split('\t')[0] ?? ''
    await cli('rejected', 'export', notJson, '--out', join(folder, 'record.bin'))
    expect(await readFile(join(folder, 'record.bin'), 'utf8')).toBe('not json {')
  })

  it('says so in one line when there is no such record', async () => {
    const failure = await cli('rejected', 'export', 'shardId-000000000000:1', '--out', 'x').then(
      () => undefined,
      (error: { stderr: string }) => error,
    )
    expect(failure?.stderr).toBe('winner-view: no rejected record shardId-000000000000:1\n')
  })
})
