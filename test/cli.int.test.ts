import { execFile } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { dynamoEndpoint } from './support/dynamo'
import { tablesOf } from './support/normalize'
import {
  oracleCategoryTables,
  oracleRecordsOfLines,
  oracleTables,
  oracleView,
} from './support/oracle'

/** What replay writes of each category: the oracle's CategorySales items without their key. */
const expectedCategories = (lines: ReadonlyArray<string>) =>
  oracleCategoryTables(oracleRecordsOfLines(lines)).categorySales.map(
    ({ categoryKey, ...totals }) => totals,
  )

jest.setTimeout(120_000)

const run = promisify(execFile)
const cli = (args: string[]) =>
  run(process.execPath, [join(__dirname, '..', 'bin', 'winner-view.js'), ...args], {
    maxBuffer: 64 * 1024 * 1024,
  })

let stages = 0
/** Replays a file on the tests' DynamoDB Local under a stage of its own, and reads the result. */
const replay = async (file: string, extra: string[] = []) => {
  stages += 1
  const out = `${file}.${stages}.json`
  const stage = `cli${process.pid}x${stages}`
  await cli([
    'replay',
    file,
    '--out',
    out,
    '--stage',
    stage,
    '--dynamodb-endpoint',
    dynamoEndpoint(),
    ...extra,
  ])
  return JSON.parse(await readFile(out, 'utf8'))
}

describe('the winner-view CLI', () => {
  let folder: string
  let log: string
  let lines: string[]

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'winner-view-'))
    log = join(folder, 'log.jsonl')
    const { stdout } = await cli(['generate', '--events', '1500', '--seed', '3', '--edge-cases'])
    lines = stdout.split('\n').filter((line) => line !== '')
    await writeFile(log, stdout)
  })

  it('runs the demo end to end on a DynamoDB given and a Kinesis emulator of its own, and leaves no stack up', async () => {
    const { stdout } = await cli([
      'demo',
      '--events',
      '400',
      '--shards',
      '2',
      '--batch-size',
      '50',
      '--dynamodb-endpoint',
      dynamoEndpoint(),
    ])
    expect(stdout).not.toContain('The local stack stays up')
    expect(stdout).toMatch(/Top creators[\s\S]*1\.\s+\d+[\s\S]*Top photographers[\s\S]*1\.\s+\d+/)
    expect(stdout).toMatch(
      /400 records: \d+ folded, \d+ skipped, \d+ rejected; \d+ batches, \d+ DynamoDB requests/,
    )
  })

  it('generates the same workload for the same seed', async () => {
    const again = await cli(['generate', '--events', '1500', '--seed', '3', '--edge-cases'])
    expect(again.stdout.split('\n').filter((line) => line !== '')).toEqual(lines)
  })

  it('replays a log of real-shaped events and edge cases into the tables and counts the oracle predicts', async () => {
    const images = lines.filter((line) => line.includes('"com.nordstrom/product/image/1-0-0"'))
    expect(images.filter((line) => !line.includes('"image":"https://')).length).toBeGreaterThan(
      images.length / 2,
    )
    expect(lines.some((line) => line.includes('"description":""'))).toBe(true)
    const result = await replay(log, ['--shards', '3', '--batch-size', '40'])
    const { skipped, ...expected } = oracleView(oracleRecordsOfLines(lines))
    expect(expected.rejected).toBeGreaterThan(0)
    expect(tablesOf(result)).toEqual(expected)
    expect(result.stats).toMatchObject({
      records: lines.length,
      rejected: expected.rejected,
      skipped,
    })
    expect(result.categorySales.length).toBeGreaterThan(5)
    expect(result.categorySales).toEqual(expectedCategories(lines))
  })

  it.each([4, 10])(
    'replays at parallelization factor %i with a fault rate of 0.3 into the tables both oracles predict',
    async (factor) => {
      const faulty = await replay(log, [
        '--shards',
        '2',
        '--batch-size',
        '20',
        '--parallelization-factor',
        String(factor),
        '--fault-rate',
        '0.3',
        '--seed',
        '11',
      ])
      expect(faulty.stats.faults).toBeGreaterThan(5)
      expect(faulty.stats.redeliveries).toBeGreaterThan(0)
      // Up to `factor` batches of 20 per page of 20 × factor records: more batches than pages.
      expect(faulty.stats.batches).toBeGreaterThan(lines.length / (20 * factor))
      expect(tablesOf(faulty)).toEqual(oracleTables(oracleRecordsOfLines(lines)))
      expect(faulty.categorySales).toEqual(expectedCategories(lines))
    },
  )

  it('replays with a fault rate of 0.3 into the tables the oracle predicts', async () => {
    const faulty = await replay(log, [
      '--shards',
      '2',
      '--batch-size',
      '25',
      '--fault-rate',
      '0.3',
      '--seed',
      '9',
    ])
    expect(faulty.stats.faults).toBeGreaterThan(5)
    expect(faulty.stats.redeliveries).toBeGreaterThan(0)
    expect(tablesOf(faulty)).toEqual(oracleTables(oracleRecordsOfLines(lines)))
    // Each record counted once, whatever its deliveries; the deliveries said apart.
    const { skipped, rejected } = oracleView(oracleRecordsOfLines(lines))
    expect(faulty.stats).toMatchObject({
      records: lines.length,
      folded: lines.length - skipped - rejected,
      skipped,
      rejected,
      deliveredAgain: faulty.stats.deliveries - lines.length,
    })
    expect(faulty.stats.deliveredAgain).toBeGreaterThan(0)
  })

  it('keeps a line that is not UTF-8 in Rejected byte for byte', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])
    const file = join(folder, 'binary.jsonl')
    await writeFile(file, Buffer.concat([Buffer.from(`${lines[0]}\n`), bytes, Buffer.from('\n')]))
    const result = await replay(file)
    const kept = result.rejected.map((r: { data: string }) => Buffer.from(r.data, 'base64'))
    expect(kept).toEqual([bytes])
  })

  it.each([
    [
      ['replay', 'missing.jsonl', '--out', 'x.json'],
      /^winner-view: missing\.jsonl: no such file$/m,
    ],
    [['demo', '--events', 'many'], /option '--events <n>' argument 'many' is invalid/],
    [
      ['replay', 'x', '--out', 'y', '--fault-rate', '2'],
      /--fault-rate <p>' argument '2' is invalid/,
    ],
    [['demo', '--bogus'], /unknown option '--bogus'/],
    [
      ['replay', 'missing.jsonl', '--out', '/no/such/folder/out.json'],
      /^winner-view: --out \/no\/such\/folder\/out\.json: cannot be written \(ENOENT\); name a file in a folder you can write$/m,
    ],
    [
      [
        'replay',
        'package.json',
        '--out',
        join(tmpdir(), 'never-written.json'),
        '--dynamodb-endpoint',
        'http://winner-view.invalid:8000',
        '--kinesis-endpoint',
        'http://winner-view.invalid:4567',
      ],
      /^winner-view: refusing to start stage local afresh \(deleting its tables and stream\) on http:\/\/winner-view\.invalid:8000: only on an emulator of this machine$/m,
    ],
    [
      ['top', '--dynamodb-endpoint', '127.0.0.1:8000'],
      /^winner-view: --dynamodb-endpoint: expected a URL with its scheme, such as http:\/\/127\.0\.0\.1:8000, got "127\.0\.0\.1:8000"$/m,
    ],
    [
      ['rebuild', '--aws', '--stage', 'prod', '--stream', 'retail'],
      /^winner-view: rebuild --aws needs --bucket: the stage's archive bucket, its ArchiveBucketName output \(aws cloudformation describe-stacks --stack-name winner-view-prod /m,
    ],
    [
      ['rebuild', '--stream', 'retail', '--bucket', 'b'],
      /^winner-view: --bucket is for --aws: locally the archive is the stack's own folder$/m,
    ],
    [
      ['consume', '--stream', 'nope'],
      /^winner-view: stream nope not found: create it, or name another with --stream$/m,
    ],
  ])('ends a user error %j in one clear line and a non-zero exit', async (args, message) => {
    const endpoint = args[0] === 'consume' ? ['--dynamodb-endpoint', dynamoEndpoint()] : []
    const failure = await cli([...args, ...endpoint]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    )
    expect(failure?.code).toBeGreaterThan(0)
    expect(failure?.stderr).toMatch(message)
  })
})
