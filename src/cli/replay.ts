import { readFile, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { categorySalesTableOf } from '../local/localStack'
import { recordsOfLines } from '../local/replayLog'
import { readCategorySales, readView } from '../local/viewReader'
import { probability, type RunFlags, runOptions } from './flags'
import { statsOf } from './output'
import { publishAndConsume, withStack } from './stack'

const readLog = (file: string): Promise<string> =>
  readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'ENOENT' ? `${file}: no such file` : `${file}: ${error.message}`)
  })

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
      const records = recordsOfLines(await readLog(file))
      await withStack(flags, async (stack, signal) => {
        const result = await publishAndConsume(stack, records, flags, signal, flags.faultRate)
        const view = await readView(stack.dynamo, stack.names)
        const categorySales = await readCategorySales(stack.dynamo, categorySalesTableOf(stack))
        await writeFile(
          flags.out,
          `${JSON.stringify({ ...view, stats: statsOf(result), categorySales }, null, 2)}\n`,
        )
        process.stderr.write(
          `wrote ${flags.out}: ${view.contributions.length} products, ${view.scores.length} scores, ${view.rejected.length} rejected\n`,
        )
      })
    })
