import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type Browser, chromium, type Page } from 'playwright-core'
import type { LocalService } from '../src/local/dynamodbLocal'
import { LOCAL_AWS } from '../src/local/dynamodbLocal'
import { makeKinesisClient, putRecords, startKinesalite } from '../src/local/kinesis'
import { toOutgoing } from '../src/local/replayLog'
import { generateWorkload } from '../src/local/workload'
import { dynamoEndpoint } from './support/dynamo'

// The live page in a real browser: Debian's chromium, driven by playwright-core.

jest.setTimeout(120_000)

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const run = promisify(execFile)
const bin = join(__dirname, '..', 'bin', 'winner-view.js')
const stage = `page${process.pid}`
let kinesalite: LocalService
const servers: ChildProcess[] = []
let browser: Browser
let folder: string

const endpoints = () => [
  '--stage',
  stage,
  '--kinesis-endpoint',
  kinesalite.endpoint,
  '--dynamodb-endpoint',
  dynamoEndpoint(),
]
const cli = (...args: string[]) => run(process.execPath, [bin, ...args, ...endpoints()])

/** Starts `winner-view serve` on a free port and waits for the address it prints. */
const serve = (): Promise<string> =>
  new Promise((resolve, reject) => {
    const server = spawn(process.execPath, [bin, 'serve', '--port', '0', ...endpoints()])
    servers.push(server)
    let output = ''
    server.stdout?.on('data', (chunk) => {
      output += chunk
      const url = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1]
      if (url !== undefined) resolve(url)
    })
    server.on('exit', (code) => reject(new Error(`serve exited with ${code}`)))
  })

const WORKLOAD = generateWorkload({ events: 600, seed: 5 })

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`)
  kinesalite = await startKinesalite()
  folder = await mkdtemp(join(tmpdir(), 'winner-view-page-'))
  const log = join(folder, 'first.jsonl')
  await writeFile(
    log,
    `${WORKLOAD.slice(0, 300)
      .map((r) => r.data)
      .join('\n')}\n`,
  )
  await cli('replay', log, '--out', join(folder, 'out.json'), '--shards', '2')
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
})

afterAll(async () => {
  await browser?.close()
  for (const server of servers) server.kill('SIGINT')
  await kinesalite?.stop()
})

interface Row {
  readonly userId: string
  readonly score: number
  readonly products: number
}

// Run in the page; written as text, so that this project needs no DOM types.
const ROWS = (board: string) => `[...document.querySelectorAll('#${board} tr')].map((row) => {
  const cells = [...row.querySelectorAll('td')].map((td) => td.textContent)
  return { userId: row.dataset.userId, score: Number(cells[2]), products: Number(cells[3]) }
})`

/** The rows of one board, as the page shows them: full id, sales, products. */
const rowsOf = (page: Page, board: 'creators' | 'photographers') =>
  page.evaluate<Row[]>(ROWS(board))

// Run in the page, as ROWS: the categories board, as the page shows it.
const CATEGORIES = `[...document.querySelectorAll('#categories tr')].map((row) => {
  const cells = [...row.querySelectorAll('td')].map((td) => td.textContent)
  return { category: row.dataset.category, unitsSold: Number(cells[2]), products: Number(cells[3]) }
})`

const categoriesOf = (page: Page) =>
  page.evaluate<Array<{ category: string; unitsSold: number; products: number }>>(CATEGORIES)

/** The categories that sold the most, most first, ties by category: as replay's totals rank. */
const topOf = (totals: Array<{ category: string; unitsSold: number; products: number }>) =>
  [...totals]
    .sort((a, b) => b.unitsSold - a.unitsSold || a.category.localeCompare(b.category, 'en'))
    .slice(0, 10)

const topJson = async () => JSON.parse((await cli('top', '--json')).stdout)

describe('the live leaderboard page', () => {
  it('shows the leaderboard of top --json, and follows new sales without a reload', async () => {
    const url = await serve()
    const page = await browser.newPage()
    await page.goto(`${url}?every=300`)
    await page.waitForSelector('#creators tr')
    const before = await topJson()
    expect(await rowsOf(page, 'creators')).toEqual(before.creator)
    expect(await rowsOf(page, 'photographers')).toEqual(before.photographer)
    expect(await page.getAttribute('#creators tr:first-child td:nth-child(2)', 'title')).toBe(
      before.creator[0].userId,
    )
    const replayed = JSON.parse(await readFile(join(folder, 'out.json'), 'utf8'))
    expect(await categoriesOf(page)).toEqual(topOf(replayed.categorySales))
    const totals = await page.textContent('#totals')
    await page.screenshot({ path: join(folder, 'before.png') })

    const kinesis = makeKinesisClient({ ...LOCAL_AWS, endpoint: kinesalite.endpoint })
    await putRecords(kinesis, `${stage}Stream`, toOutgoing(WORKLOAD.slice(300)))
    kinesis.destroy()
    await cli('consume', '--stream', `${stage}Stream`)
    await page.waitForFunction(
      `document.querySelector('#totals').textContent !== ${JSON.stringify(totals)}`,
    )
    const after = await topJson()
    expect(after).not.toEqual(before)
    const first = `document.querySelector('#creators tr td:nth-child(3)').textContent`
    await page.waitForFunction(`${first} === '${after.creator[0].score}'`)
    expect(await rowsOf(page, 'creators')).toEqual(after.creator)
    expect(await rowsOf(page, 'photographers')).toEqual(after.photographer)
    await page.screenshot({ path: join(folder, 'after.png') })
  })

  it('fits a phone’s width and a desktop’s, saying how fresh the board is', async () => {
    const url = await serve()
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ] as const) {
      const page = await browser.newPage({ viewport: { width, height } })
      await page.goto(url)
      await page.waitForSelector('#creators tr')
      // No sideways scrolling; at 390 px the boards stand one under another.
      expect(
        await page.evaluate<number>('document.documentElement.scrollWidth'),
      ).toBeLessThanOrEqual(width)
      const lefts = await page.evaluate<number[]>(
        `[...document.querySelectorAll('section')].map((s) => Math.round(s.getBoundingClientRect().left))`,
      )
      if (width === 390) expect(new Set(lefts).size).toBe(1)
      else expect(new Set(lefts).size).toBe(3)
      expect(await page.textContent('#fresh')).toMatch(/^newest folded event: /)
      const shot = join(folder, `page-${width}.png`)
      await page.screenshot({ path: shot, fullPage: true })
      process.stdout.write(`page at ${width} px: ${shot}\n`)
      await page.close()
    }
  })

  it('shows what the server said when a refresh fails, and marks the numbers as stale', async () => {
    const url = await serve()
    const page = await browser.newPage()
    await page.goto(`${url}?every=200`)
    await page.waitForSelector('#creators tr')
    const said = 'ResourceNotFoundException: Requested resource not found'
    await page.route('**/api/board', (route) =>
      route.fulfill({
        status: 502,
        contentType: 'application/json',
        body: JSON.stringify({ error: said }),
      }),
    )
    await page.waitForSelector('body.stale')
    expect(await page.textContent('#status')).toMatch(
      new RegExp(`^could not refresh: ${said}; the numbers are from `),
    )
    expect(await page.getAttribute('#status', 'class')).toBe('error')
    await page.unroute('**/api/board')
    await page.waitForFunction(`!document.body.classList.contains('stale')`)
    await page.close()
  })

  it('says so on a first load that fails, instead of loading forever', async () => {
    const url = await serve()
    const page = await browser.newPage()
    await page.route('**/api/board', (route) => route.fulfill({ status: 500, body: 'broken' }))
    await page.goto(url)
    await page.waitForSelector('#status.error')
    expect(await page.textContent('#totals')).toBe('the view could not be read')
    expect(await page.textContent('#status')).toBe('could not read the view: 500 broken')
    await page.close()
  })

  it('serves only reads: anything but GET is refused, and unknown paths are not found', async () => {
    const url = await serve()
    expect((await fetch(url, { method: 'POST' })).status).toBe(405)
    expect((await fetch(`${url}nope`)).status).toBe(404)
    const board = (await (await fetch(`${url}api/board`)).json()) as Record<string, unknown>
    expect(Object.keys(board)).toEqual(['creators', 'photographers', 'categories', 'totals'])
  })
})
