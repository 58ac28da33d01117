import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { localDynamoClient } from '../src/local/dynamodbLocal'
import { oracleRecordsOfLines, oracleView } from './support/oracle'

// The README's walkthrough, as a new user runs it: the demo, then each reading command
// with no flags at all, against the stack the demo leaves up; then `down` and `up`, and
// the view is still there. Each output is checked against the independent oracle's fold
// of the demo's own workload (`generate` with the demo's seed and edge cases).

jest.setTimeout(240_000)

const run = promisify(execFile)
const bin = join(__dirname, '..', 'bin', 'winner-view.js')
let home: string
let lines: string[]

/** The CLI as a user runs it: no endpoint flags, no AWS_ENDPOINT_URL variables. */
const userEnv = () => {
  const {
    AWS_ENDPOINT_URL: _any,
    AWS_ENDPOINT_URL_DYNAMODB: _dynamo,
    AWS_ENDPOINT_URL_KINESIS: _kinesis,
    ...env
  } = process.env
  return { ...env, WINNER_VIEW_HOME: home }
}
const cli = (...args: string[]) =>
  run(process.execPath, [bin, ...args], { env: userEnv(), maxBuffer: 16 * 1024 * 1024 })
const failureOf = (...args: string[]) =>
  cli(...args).then(
    () => undefined,
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  )

type Score = { userId: string; role: string; score: number; products: number }

/** The oracle's leaderboard of a role: score descending, then user id, as DESIGN.md orders it. */
const oracleTop = (scores: ReadonlyArray<Score>, role: string, limit: number) =>
  scores
    .filter((s) => s.role === role)
    .sort((a, b) => b.score - a.score || (a.userId < b.userId ? -1 : 1))
    .slice(0, limit)
    .map(({ userId, score, products }) => ({ userId, score, products }))

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'winner-view-walkthrough-'))
  const { stdout } = await cli('generate', '--events', '600', '--seed', '42', '--edge-cases')
  lines = stdout.split('\n').filter((line) => line !== '')
})
afterAll(async () => {
  await cli('down')
})

describe('the README walkthrough', () => {
  let demo: string
  const oracle = () => oracleView(oracleRecordsOfLines(lines))

  it('npm start: the demo prints the counts the oracle predicts and leaves a stack up', async () => {
    demo = (await cli('demo', '--events', '600', '--shards', '2')).stdout
    const { skipped, rejected } = oracle()
    expect(demo).toContain(
      `600 records: ${600 - skipped - rejected} folded, ${skipped} skipped, ${rejected} rejected;`,
    )
    expect(demo).toMatch(/The local stack stays up .* Look at it:\n {2}npx winner-view top\n/)
  })

  it('top shows the demo’s leaderboard, ties by user id', async () => {
    const board = JSON.parse((await cli('top', '--json', '--limit', '5')).stdout)
    const scores = oracle().scores as Score[]
    expect(board).toEqual({
      creator: oracleTop(scores, 'creator', 5),
      photographer: oracleTop(scores, 'photographer', 5),
    })
    const text = (await cli('top')).stdout.split('\n')
    expect(text[0]).toBe('Top creators (sales earned, products)')
  })

  it('product and user show what the demo suggested looking up', async () => {
    const product = /npx winner-view product (\S+)/.exec(demo)?.[1] ?? ''
    const user = /npx winner-view user (\S+)/.exec(demo)?.[1] ?? ''
    const expected = oracle().contributions.find((c) => c.productId === product)
    const item = JSON.parse((await cli('product', product, '--json')).stdout)
    expect(expected).toBeDefined()
    expect(item).toMatchObject({ ...expected })
    const shown = (await cli('user', user)).stdout.split('\n')
    const userId = shown[0] ?? ''
    expect(userId.endsWith(`/${user}`)).toBe(true)
    const score = (oracle().scores as Score[]).find(
      (s) => s.userId === userId && s.role === 'photographer',
    )
    expect(shown[1]).toBe(`  photographer score ${score?.score}, products ${score?.products}`)
  })

  it('status and rejected list show the demo’s tables and rejected records', async () => {
    const { contributions, scores, rejected } = oracle()
    const status = (await cli('status')).stdout.split('\n')
    expect(status[0]).toBe('version 1 (tables of local): live')
    expect(status[1]).toMatch(/^stream localStream: 2 open of 2 shards/)
    expect(status).toContain(`table winner-view-local-Contributions: ${contributions.length} items`)
    expect(status).toContain(`table winner-view-local-Scores: ${scores.length} items`)
    expect(status).toContain(`rejected records: ${rejected}`)
    const listed = (await cli('rejected', 'list')).stdout.trim().split('\n')
    expect(listed).toHaveLength(rejected)
  })

  it('serve answers with the same board', async () => {
    const server = spawn(process.execPath, [bin, 'serve', '--port', '0'], { env: userEnv() })
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout.on('data', (chunk: Buffer) => {
        const found = /on (http:\/\/\S+\/)/.exec(String(chunk))?.[1]
        if (found !== undefined) resolve(found)
      })
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)))
    })
    const board = (await (await fetch(`${url}api/board`)).json()) as {
      creators: unknown[]
    }
    server.kill('SIGINT')
    expect(board.creators.slice(0, 3)).toEqual(
      oracleTop(oracle().scores as Score[], 'creator', 3).map((e) => expect.objectContaining(e)),
    )
  })

  it('a stage typo in consume says the stream is not found and creates no table', async () => {
    expect(await failureOf('consume', '--stage', 'lcaol')).toEqual({
      code: 1,
      stderr:
        'winner-view: stream lcaolStream not found: create it, or name another with --stream\n',
    })
    expect(await failureOf('top', '--stage', 'lcaol')).toMatchObject({ code: 1 })
  })

  it('a stage that has no view says so in one line, exits 1 and creates nothing', async () => {
    expect(await failureOf('top', '--stage', 'lcoal')).toEqual({
      code: 1,
      stderr: expect.stringMatching(
        /^winner-view: no view at stage lcoal on http:\/\/127\.0\.0\.1:\d+ \(table winner-view-lcoal-Contributions does not exist; stages there: local\): name the stage with --stage\n$/,
      ),
    })
    const { dynamodb } = JSON.parse(await readFile(join(home, 'stack.json'), 'utf8'))
    const client = localDynamoClient(dynamodb)
    const { TableNames = [] } = await client.send(new ListTablesCommand({}))
    client.destroy()
    expect(TableNames.filter((name) => name.includes('lcoal'))).toEqual([])
  })

  it('watch it move: more events published to the running stack and consumed move the board', async () => {
    const before = JSON.parse((await cli('top', '--json', '--limit', '1')).stdout)
    const { stdout } = await cli('generate', '--events', '300', '--seed', '7', '--start', 'now')
    const more = join(home, 'more.jsonl')
    await writeFile(more, stdout)
    expect((await cli('publish', more)).stdout).toBe('published 300 records to localStream\n')
    expect((await cli('consume')).stdout).toMatch(/\n300 records: /)
    const after = JSON.parse((await cli('top', '--json', '--limit', '1')).stdout)
    const all = oracleView(
      oracleRecordsOfLines([...lines, ...stdout.split('\n').filter((l) => l !== '')]),
    )
    expect(after).not.toEqual(before)
    expect(after.creator).toEqual(oracleTop(all.scores as Score[], 'creator', 1))
  })

  it('after down, a reading command says there is no stack; after up, the view is still there', async () => {
    const before = (await cli('top', '--json')).stdout
    expect((await cli('down')).stdout).toMatch(/^local stack stopped; its data stays in /)
    expect(await failureOf('top')).toEqual({
      code: 1,
      stderr:
        'winner-view: no local stack is running: start one with `npm start` (the demo) or `winner-view up`, or name its endpoints with --dynamodb-endpoint (and --kinesis-endpoint)\n',
    })
    expect((await cli('up')).stdout).toMatch(/^local stack up: Kinesis http/)
    expect((await cli('top', '--json')).stdout).toBe(before)
  })
})
