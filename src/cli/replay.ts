import { constants } from 'node:fs'
import { access, readFile, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { Command } from 'commander'
import { categorySalesTableOf } from '../local/localStack'
import { recordOutcomes, recordsOfLines } from '../local/replayLog'
import { readCategorySales, readView } from '../local/viewReader'
import { probability, type RunFlags, runOptions } from './flags'
import { statsOf, summaryLine } from './output'
import { publishAndConsume, withStack } from './stack'

const readLog = (file: string): Promise<Buffer> =>
  readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'ENOENT' ? `${file}: no such file` : `${file}: ${error.message}`)
  })

/** Fails at once, before any work, when `--out` cannot be written (a missing folder, no permission). */
const requireWritable = async (out: string): Promise<void> => {
  try {
    await access(dirname(resolve(out)), constants.W_OK)
    await access(out, constants.W_OK).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? String(error)
    throw new Error(
      `--out ${out}: cannot be written (${why}); name a file in a folder you can write`,
    )
  }
}

/** `winner-view replay`: put each line of a file as a record, consume, write the tables as JSON. */
export const replayCommand = (cli: Command): Command =>
  runOptions(
    cli
      .command('replay')
      .description(
        'put each line of a JSON-lines file as a record, consume, write the tables as JSON',
      ),
  )
    .argument('<file>', 'a JSON-lines event log')
    .requiredOption(
      '--out <file>',
      'where to write {contributions, scores, rejected, stats, categorySales}',
    )
    .option(
      '--fault-rate <p>',
      'chance per batch of a crash before the checkpoint or a partial failure',
      probability,
      0,
    )
    .action(async (file: string, flags: RunFlags & { out: string; faultRate: number }) => {
      await requireWritable(flags.out)
      const records = recordsOfLines(await readLog(file))
      // A replay's result is this log's alone: its own emulators, or its stage afresh.
      await withStack({ ...flags, ownStack: true, fresh: true }, async (stack, signal) => {
        const result = await publishAndConsume(stack, records, flags, signal, flags.faultRate)
        const view = await readView(stack.dynamo, stack.names)
        const categorySales = await readCategorySales(stack.dynamo, categorySalesTableOf(stack))
        const outcomes = recordOutcomes(records, view.rejected.length)
        await writeFile(
          flags.out,
          `${JSON.stringify({ ...view, stats: statsOf(result, outcomes), categorySales }, null, 2)}\n`,
        )
        process.stderr.write(
          `wrote ${flags.out}: ${view.contributions.length} products, ${view.scores.length} scores; ${summaryLine(result, outcomes)}\n`,
        )
      })
    })
