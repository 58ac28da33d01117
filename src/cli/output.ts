import { SingleBar } from 'cli-progress'
import type { ConsumeResult } from '../local/consume'
import { categorySalesTableOf, type Stack } from '../local/localStack'
import type { RecordOutcomes } from '../local/replayLog'
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

/**
 * What a run did, as `replay` writes it and the summary line prints it. With the records'
 * outcomes, each record counts once whatever its deliveries; without (a stream consumed as
 * it is), the counts are per delivery and say so.
 */
export const statsOf = (result: ConsumeResult, outcomes?: RecordOutcomes) => ({
  records: result.poller.recordsAdvanced,
  ...(outcomes ?? {
    foldedDeliveries: result.totals.folded,
    skippedDeliveries: result.totals.skipped,
    rejectedDeliveries: result.totals.rejected,
  }),
  deliveries: result.poller.recordsDelivered,
  deliveredAgain: result.poller.recordsDelivered - result.poller.recordsAdvanced,
  batches: result.poller.batches,
  redeliveries: result.poller.redeliveries,
  faults: result.faults,
  transactions: result.totals.transactions,
  dynamodbRequests: result.dynamodbRequests,
  seconds: Number(result.seconds.toFixed(2)),
})

/** The summary line of a run: each record once, and what the deliveries cost. */
export const summaryLine = (result: ConsumeResult, outcomes?: RecordOutcomes): string => {
  const stats = statsOf(result, outcomes)
  const counts =
    outcomes === undefined
      ? `${result.totals.folded} folded, ${result.totals.skipped} skipped, ${result.totals.rejected} rejected (counted per delivery)`
      : `${outcomes.folded} folded, ${outcomes.skipped} skipped, ${outcomes.rejected} rejected`
  const again =
    stats.deliveredAgain === 0
      ? ''
      : `; ${stats.deliveredAgain} records delivered again (${stats.redeliveries} batches, ${stats.faults} injected faults)`
  return (
    `${stats.records} records: ${counts}; ${stats.batches} batches, ${stats.dynamodbRequests} DynamoDB requests, ` +
    `${Math.round(stats.records / Math.max(result.seconds, 0.001))} events/s${again}`
  )
}

const shortName = (userId: string): string =>
  userId.length > 60 ? `...${userId.slice(-57)}` : userId

/** Prints the top five of each role, the top five categories, and a summary line of the run. */
export const printLeaderboard = async (
  stack: Stack,
  result: ConsumeResult,
  outcomes?: RecordOutcomes,
) => {
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
  console.log(`\n${summaryLine(result, outcomes)}`)
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
