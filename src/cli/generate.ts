import { type Command, InvalidArgumentError, Option } from 'commander'
import { generateWorkload } from '../local/workload'
import { wholeNumber } from './flags'
import { writeLines } from './output'

/** A start time for commander: an ISO-8601 time, or `now`. */
const startTime = (text: string): number => {
  const time = text === 'now' ? Date.now() : Date.parse(text)
  if (Number.isNaN(time)) throw new InvalidArgumentError('expected an ISO-8601 time, or now')
  return time
}

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
    .option(
      '--start <time>',
      'when the first event happens: an ISO-8601 time, or now (default 2026-11-01T00:00:00Z)',
      startTime,
    )
    .action(
      async (flags: { events: number; seed: number; edgeCases?: boolean; start?: number }) => {
        const lines = generateWorkload({
          events: flags.events,
          seed: flags.seed,
          edgeCases: flags.edgeCases ?? false,
          ...(flags.start === undefined ? {} : { start: flags.start }),
        })
        await writeLines(lines.map((r) => r.data))
      },
    )
