import { execFile } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { tableNamesFor } from '../src/adapters/tables'
import type { LocalService } from '../src/local/dynamodbLocal'
import { startKinesalite } from '../src/local/kinesis'
import { dynamoEndpoint, testClient } from './support/dynamo'

// The commands that read the view (status, rejected, top, product, user) against a
// local stack that outlives them: the test's own kinesalite and DynamoDB Local.

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

const ANN = 'hello-retail/web-client-create-product/a/ann'
const BOB = 'product-photos/Photographer/+12065550100/bob'
const line = (origin: string, data: Record<string, unknown>, second = 0) =>
  JSON.stringify({
    schema: 'com.nordstrom/retail-stream-ingress/1-0-0',
    origin,
    timeOrigin: `2026-11-26T10:00:0${second}.000Z`,
    data,
  })
const create = (id: string, name: string) => ({
  schema: 'com.nordstrom/product/create/1-0-0',
  id,
  brand: 'Zella',
  name,
  description: '',
  category: 'Shoes',
})
const buy = (id: unknown) => ({ schema: 'com.nordstrom/product/purchase/1-0-0', id })

const LINES = [
  line(ANN, create('p1', 'Bold shoes'), 1),
  line(
    BOB,
    { schema: 'com.nordstrom/product/image/1-0-0', id: 'p1', image: 'erik.hello-retail.biz/i/p/1' },
    2,
  ),
  line('buyer', buy('p1'), 3),
  line('buyer', buy('p1'), 4),
  line(ANN, create('p2', 'Sleek bags'), 5),
  line('buyer', buy('p2'), 6),
  line('buyer', buy(7)),
  line('buyer', buy(8)),
  'not json {',
  line('u', { schema: 'com.nordstrom/user-info/login/1-0-0', id: 'u1' }),
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
    const mark = (shard: number) =>
      expect.stringMatching(
        new RegExp(
          `^ {2}shardId-00000000000${shard}: to \\d+, which arrived \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`,
        ),
      )
    expect(stdout.split('\n')).toEqual([
      `version 1 (tables of ${stage}): live`,
      expect.stringMatching(
        new RegExp(
          `^stream ${stage}Stream: 2 open of 2 shards, retention 24 h, oldest record 0\\.0 h old$`,
        ),
      ),
      `table winner-view-${stage}-Contributions: 2 items`,
      `table winner-view-${stage}-Scores: 2 items`,
      `table winner-view-${stage}-ContributionsPartials: 3 items`,
      `table winner-view-${stage}-Rejected: 3 items`,
      `table winner-view-${stage}-ContributionsMarks: 2 items`,
      `table winner-view-${stage}-CategoryProducts: 2 items`,
      `table winner-view-${stage}-CategorySales: 1 item`,
      `table winner-view-${stage}-CategoryProductsPartials: 2 items`,
      `table winner-view-${stage}-CategoryRejected: 3 items`,
      `table winner-view-${stage}-CategoryProductsMarks: 2 items`,
      'rejected records: 3',
      '  2\tdata.id',
      '  1\tdata',
      'rejected records of category-sales: 3',
      '  2\tdata.id',
      '  1\tdata',
      'freshness of winner-view: 2 shards folded from',
      mark(0),
      mark(1),
      'freshness of category-sales: 2 shards folded from',
      mark(0),
      mark(1),
      expect.stringMatching(
        new RegExp(`^archive .*/archive: ${LINES.length} records of 2 shards$`),
      ),
      expect.stringMatching(
        /^ {2}shardId-000000000000: [1-9]\d* records, the last arrived \d{4}-\d\d-\d\dT[\d:.]+Z$/,
      ),
      expect.stringMatching(
        /^ {2}shardId-000000000001: [1-9]\d* records, the last arrived \d{4}-\d\d-\d\dT[\d:.]+Z$/,
      ),
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

  it('lists the category view’s rejected records with --view', async () => {
    const { stdout } = await cli('rejected', 'list', '--view', 'category-sales')
    const reasons = stdout
      .trim()
      .split('\n')
      .map((row) => row.split('\t')[2]?.split(':')[0])
    expect(reasons.sort()).toEqual(['data', 'data.id', 'data.id'])
  })

  it('says so in one line when there is no such record', async () => {
    const failure = await cli('rejected', 'export', 'shardId-000000000000:1', '--out', 'x').then(
      () => undefined,
      (error: { stderr: string }) => error,
    )
    expect(failure?.stderr).toBe('winner-view: no rejected record shardId-000000000000:1\n')
  })
})

describe('winner-view top, product and user', () => {
  it('reads the board with a DynamoDB endpoint alone, as top needs no Kinesis', async () => {
    const { stdout } = await run(process.execPath, [
      bin,
      'top',
      '--json',
      '--stage',
      stage,
      '--dynamodb-endpoint',
      dynamoEndpoint(),
    ])
    expect(Object.keys(JSON.parse(stdout))).toEqual(['creator', 'photographer'])
  })

  it('prints the leaderboard of each role, and as JSON for scripts', async () => {
    const { stdout } = await cli('top', '--limit', '5')
    expect(stdout).toBe(
      [
        'Top creators (sales earned, products)',
        `  1.      3     2  ${ANN}`,
        'Top photographers (sales earned, products)',
        `  1.      2     1  ${BOB}`,
        '',
      ].join('\n'),
    )
    const json = JSON.parse((await cli('top', '--role', 'photographer', '--json')).stdout)
    expect(json).toEqual({ photographer: [{ userId: BOB, score: 2, products: 1 }] })
  })

  it("prints a product's roles, purchases and scores", async () => {
    const { stdout } = await cli('product', 'p1')
    expect(stdout.split('\n').slice(0, 9)).toEqual([
      'product p1',
      `  creator           ${ANN}`,
      `  photographer      ${BOB}`,
      '  brand             Zella',
      '  name              Bold shoes',
      '  category          Shoes',
      '  purchases         2',
      '  creatorScore      2',
      '  photographerScore 2',
    ])
    const json = JSON.parse((await cli('product', 'p2', '--json')).stdout)
    expect(json).toMatchObject({ productId: 'p2', creator: ANN, purchases: 1, creatorScore: 1 })
  })

  it("prints a user's scores and products through the indexes", async () => {
    const { stdout } = await cli('user', ANN)
    expect(stdout).toBe(
      [
        ANN,
        '  creator      score 3, products 2',
        '  creator      p1  Bold shoes  purchases 2',
        '  creator      p2  Sleek bags  purchases 1',
        '',
      ].join('\n'),
    )
  })

  it.each([
    [['product', 'nope'], 'winner-view: no product nope in the view\n'],
    [['user', 'nobody'], 'winner-view: no user nobody in the view\n'],
  ])('says %j is unknown in one line', async (args, message) => {
    const failure = await cli(...args).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    )
    expect(failure?.code).toBe(1)
    expect(failure?.stderr).toBe(message)
  })
})

describe('winner-view diff', () => {
  const rebuilt = `${stage}v2`
  const onEndpoints = (...args: string[]) =>
    run(process.execPath, [
      bin,
      ...args,
      '--kinesis-endpoint',
      kinesalite.endpoint,
      '--dynamodb-endpoint',
      dynamoEndpoint(),
    ])

  it('finds a rebuild from the same stream equal, and names an item changed by hand', async () => {
    await onEndpoints('consume', '--stream', `${stage}Stream`, '--stage', rebuilt)
    const same = await onEndpoints('diff', '--stage', stage, '--against', rebuilt)
    expect(same.stdout.split('\n').filter((l) => !l.startsWith(' '))).toEqual([
      `contributions: 2 items in ${stage}, 2 in ${rebuilt}; 0 only in ${stage}, 0 only in ${rebuilt}, 0 differ`,
      `scores: 2 items in ${stage}, 2 in ${rebuilt}; 0 only in ${stage}, 0 only in ${rebuilt}, 0 differ`,
      `rejected: 3 items in ${stage}, 3 in ${rebuilt}; 0 only in ${stage}, 0 only in ${rebuilt}, 0 differ`,
      `categoryProducts: 2 items in ${stage}, 2 in ${rebuilt}; 0 only in ${stage}, 0 only in ${rebuilt}, 0 differ`,
      `categorySales: 1 items in ${stage}, 1 in ${rebuilt}; 0 only in ${stage}, 0 only in ${rebuilt}, 0 differ`,
      `rejected: 3 items in ${stage}, 3 in ${rebuilt}; 0 only in ${stage}, 0 only in ${rebuilt}, 0 differ`,
      '',
    ])
    const client = testClient()
    await client.send(
      new UpdateCommand({
        TableName: tableNamesFor(rebuilt).contributions,
        Key: { productId: 'p2' },
        UpdateExpression: 'SET purchases = :n',
        ExpressionAttributeValues: { ':n': 5 },
      }),
    )
    client.destroy()
    const failure = await onEndpoints('diff', '--stage', stage, '--against', rebuilt).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    )
    expect(failure?.code).toBe(1)
    expect(failure?.stdout).toContain(
      `contributions: 2 items in ${stage}, 2 in ${rebuilt}; 0 only in ${stage}, 0 only in ${rebuilt}, 1 differ\n  differs: p2\n`,
    )
    expect(failure?.stderr).toBe(`winner-view: ${stage} and ${rebuilt} differ\n`)
  })

  it('says in one line when the stage to compare with has no view', async () => {
    const failure = await onEndpoints('diff', '--stage', stage, '--against', 'nope').then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    )
    expect(failure?.code).toBe(1)
    expect(failure?.stderr).toMatch(
      /^winner-view: no view at stage nope on http:\/\/127\.0\.0\.1:\d+ \(table winner-view-nope-Contributions does not exist; stages there: .+\): name the stage with --stage\n$/,
    )
  })

  it('says apart a product that differs only because one stage folded it further', async () => {
    const client = testClient()
    await client.send(
      new UpdateCommand({
        TableName: tableNamesFor(rebuilt).contributions,
        Key: { productId: 'p1' },
        UpdateExpression: 'SET purchases = :n, lastSequenceNumber = :later',
        ExpressionAttributeValues: { ':n': 9, ':later': '9'.repeat(60) },
      }),
    )
    client.destroy()
    const failure = await onEndpoints('diff', '--stage', stage, '--against', rebuilt).then(
      () => undefined,
      (error: { stdout: string; stderr: string }) => error,
    )
    expect(failure?.stdout).toContain(
      `contributions: 2 items in ${stage}, 2 in ${rebuilt}; 0 only in ${stage}, 0 only in ${rebuilt}, 1 differ, 1 further in ${rebuilt} (folded to a later position)\n  differs: p2\n`,
    )
    expect(failure?.stderr).toBe(
      `winner-view: ${stage} and ${rebuilt} differ (partly because one folded further: compare again once both are idle)\n`,
    )
  })
})

describe('a reading command pointed at the wrong place', () => {
  it('names the DynamoDB flag when it points at the Kinesis emulator', async () => {
    const failure = await run(process.execPath, [
      bin,
      'top',
      '--kinesis-endpoint',
      kinesalite.endpoint,
      '--dynamodb-endpoint',
      kinesalite.endpoint,
    ]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    )
    expect(failure?.code).toBe(1)
    expect(failure?.stderr).toMatch(
      /^winner-view: --dynamodb-endpoint http:\/\/127\.0\.0\.1:\d+: no DynamoDB answered there \(\w+\); is it the Kinesis endpoint\?\n$/,
    )
  })
})
