import type { Command } from 'commander'
import { consume } from '../local/consume'
import type { StackOptions } from '../local/localStack'
import { DEFAULT_BATCH_SIZE, parallelizationOption, stackOptions, wholeNumber } from './flags'
import { printLeaderboard } from './output'
import { withStack } from './stack'

interface ConsumeFlags extends StackOptions {
  readonly stream?: string
  readonly batchSize: number
  readonly parallelizationFactor: number
}

/** `winner-view consume`: consume an existing stream to its end and print the leaderboard. */
export const consumeCommand = (cli: Command): Command =>
  parallelizationOption(
    stackOptions(
      cli
        .command('consume')
        .description('consume an existing stream to its end and print the leaderboard'),
    ),
  )
    .option(
      '--stream <name>',
      'the stream to read from TRIM_HORIZON or the saved checkpoints (default: the stage’s, <stage>Stream)',
    )
    .option(
      '--batch-size <n>',
      'records per handler invocation, as the event source mapping batchSize',
      wholeNumber(1, 10_000),
      DEFAULT_BATCH_SIZE,
    )
    .action(async (flags: ConsumeFlags) => {
      const streamName = flags.stream ?? `${flags.stage}Stream`
      // The stream is checked before the stage's tables are created: a typo creates nothing.
      await withStack({ ...flags, existingStream: streamName }, async (stack, signal) => {
        const result = await consume(stack, {
          streamName,
          batchSize: flags.batchSize,
          parallelizationFactor: flags.parallelizationFactor,
          signal,
        })
        await printLeaderboard(stack, result)
      })
    })
