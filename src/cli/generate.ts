import { type Command, Option } from 'commander'
import { generateWorkload } from '../local/workload'
import { wholeNumber } from './flags'
import { writeLines } from './output'

/** `winner-view generate`: write a generated workload as JSON lines to standard output. */
export const generateCommand = (cli: Command): Command =>
  cli
    .command('generate')
    .description('write a generated workload as JSON lines to standard output')
    .requiredOption('--events <n>', 'events to generate', wholeNumber(1, 2_000_000))
    .option('--seed <n>', 'seed of the generator', wholeNumber(0, 2 ** 32 - 1), 42)
    .addOption(
      new Option(
        '--edge-cases',
        'mix in duplicates, photos before creates, unknown products, other views, bad records',
      ),
    )
    .action(async (flags: { events: number; seed: number; edgeCases?: boolean }) => {
      const lines = generateWorkload({
        events: flags.events,
        seed: flags.seed,
        edgeCases: flags.edgeCases ?? false,
      })
      await writeLines(lines.map((r) => r.data))
    })
