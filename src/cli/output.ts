import { SingleBar } from 'cli-progress'
import type { ConsumeResult } from '../local/consume'
import { categorySalesTableOf, type Stack } from '../local/localStack'
import { leaderboard, readCategorySales, topCategories } from '../local/viewReader'

/** A progress bar on standard error, with the rate in events per second. */
export const progressBar = (label: string, total: number) => {
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} records | {rate} events/s`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: false,
  })
  const started = performance.now()
  let done = 0
  bar.start(total, 0, { rate: 0 })
  return {
    advance: (count: number) => {
      done += count
      const seconds = (performance.now() - started) / 1000
      bar.update(Math.min(done, total), { rate: Math.round(done / Math.max(seconds, 0.001)) })
    },
    stop: () => bar.stop(),
  }
}

/** What a run did, as `replay` writes it and the summary line prints it. */
export const statsOf = (result: ConsumeResult) => ({
  records: result.poller.recordsAdvanced,
  folded: result.totals.folded,
  skipped: result.totals.skipped,
  rejected: result.totals.rejected,
  batches: result.poller.batches,
  redeliveries: result.poller.redeliveries,
  faults: result.faults,
  transactions: result.totals.transactions,
  dynamodbRequests: result.dynamodbRequests,
  seconds: Number(result.seconds.toFixed(2)),
})

const shortName = (userId: string): string =>
  userId.length > 60 ? `...${userId.slice(-57)}` : userId

/** Prints the top five of each role, the top five categories, and a summary line of the run. */
export const printLeaderboard = async (stack: Stack, result: ConsumeResult) => {
  for (const role of ['creator', 'photographer'] as const) {
    console.log(`\nTop ${role}s (sales earned, products)`)
    const top = await leaderboard(stack.dynamo, stack.names, role, 5)
    for (const [rank, entry] of top.entries()) {
      console.log(
        `  ${rank + 1}. ${String(entry.score).padStart(6)}  ${String(entry.products).padStart(4)}  ${shortName(entry.userId)}`,
      )
    }
  }
  console.log('\nTop categories (units sold, products)')
  const totals = await readCategorySales(stack.dynamo, categorySalesTableOf(stack))
  for (const [rank, entry] of topCategories(totals, 5).entries()) {
    console.log(
      `  ${rank + 1}. ${String(entry.unitsSold).padStart(6)}  ${String(entry.products).padStart(4)}  ${shortName(entry.category === '' ? '(empty)' : entry.category)}`,
    )
  }
  const stats = statsOf(result)
  console.log(
    `\n${stats.records} records: ${stats.folded} folded, ${stats.skipped} skipped, ${stats.rejected} rejected; ` +
      `${stats.batches} batches, ${stats.dynamodbRequests} DynamoDB requests, ` +
      `${Math.round(stats.records / Math.max(result.seconds, 0.001))} events/s`,
  )
}

/** Writes lines to standard output in chunks, waiting when the pipe is full; a closed pipe ends quietly. */
export const writeLines = async (lines: ReadonlyArray<string>): Promise<void> => {
  let closed = false
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    closed = true
  })
  for (let at = 0; at < lines.length && !closed; at += 1000) {
    const chunk = `${lines.slice(at, at + 1000).join('\n')}\n`
    if (!process.stdout.write(chunk))
      await new Promise((resolve) => process.stdout.once('drain', resolve))
  }
}
