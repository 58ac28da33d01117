import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import type { Command } from 'commander'
import { tableNamesFor } from '../adapters/tables'
import { readBoard } from '../local/board'
import { categorySalesTableOf, type Stack, type StackOptions } from '../local/localStack'
import { viewTableNamesFor } from '../runtime/tables'
import { categorySalesView } from '../views/categorySales'
import { readOptions, wholeNumber } from './flags'
import { withReadStack } from './stack'

const PAGE = readFileSync(join(__dirname, 'board.html'), 'utf8')

/**
 * The board of the stage's live version as the pointer names it now, unless the page was
 * asked for a version: a switch moves a running page to the new version.
 */
const boardOfLiveVersion = async (stack: Stack, limit: number) => {
  const stage = stack.pinned ? stack.tablesStage : await stack.liveStageOf(stack.stage)
  return readBoard(
    stack.dynamo,
    tableNamesFor(stage),
    viewTableNamesFor(categorySalesView, stage).categorySales ?? categorySalesTableOf(stack),
    limit,
  )
}

/** The page and its JSON: GET / and GET /api/board; nothing else, nothing written. */
const boardServer = (stack: Stack, limit: number): Server =>
  createServer((request, response) => {
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
      response.end(body)
    }
    if (request.method !== 'GET') return send(405, 'text/plain', 'read only\n')
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    if (path === '/') return send(200, 'text/html; charset=utf-8', PAGE)
    if (path !== '/api/board') return send(404, 'text/plain', 'not found\n')
    boardOfLiveVersion(stack, limit).then(
      (board) => send(200, 'application/json', JSON.stringify(board)),
      (error: unknown) => send(502, 'application/json', JSON.stringify({ error: String(error) })),
    )
  })

/** `winner-view serve`: a live leaderboard page on localhost, until Ctrl-C. */
export const serveCommand = (cli: Command): Command =>
  readOptions(
    cli.command('serve').description('a live leaderboard page and its JSON, on localhost'),
  )
    .option('--port <n>', 'the port (0: a free one)', wholeNumber(0, 65_535), 8080)
    .option('--host <address>', 'the address to bind (reading only; keep it local)', '127.0.0.1')
    .option('--limit <n>', 'users per role on the board', wholeNumber(1, 100), 10)
    .action(async (flags: StackOptions & { port: number; host: string; limit: number }) => {
      await withReadStack(flags, async (stack, signal) => {
        const server = boardServer(stack, flags.limit)
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen(flags.port, flags.host, resolve)
        })
        const address = server.address()
        const port = typeof address === 'object' && address !== null ? address.port : flags.port
        console.log(
          `serving the winner view of stage ${flags.stage} on http://${flags.host}:${port}/`,
        )
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))
        server.close()
      })
    })
