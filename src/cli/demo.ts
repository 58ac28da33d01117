import type { Command } from 'commander'
import { toOutgoing } from '../local/replayLog'
import { generateWorkload } from '../local/workload'
import { type RunFlags, runOptions, wholeNumber } from './flags'
import { printLeaderboard } from './output'
import { publishAndConsume, withStack } from './stack'

/** `winner-view demo`: generate a workload, consume it, print the leaderboard. */
export const demoCommand = (cli: Command): Command =>
  runOptions(
    cli.command('demo').description('generate a workload, consume it, print the leaderboard'),
  )
    .option('--events <n>', 'events to generate', wholeNumber(1, 1_000_000), 5000)
    .action(async (flags: RunFlags & { events: number }) => {
      const records = toOutgoing(
        generateWorkload({ events: flags.events, seed: flags.seed, edgeCases: true }),
      )
      await withStack(flags, async (stack, signal) =>
        printLeaderboard(stack, await publishAndConsume(stack, records, flags, signal)),
      )
      console.log(
        'Watch a board live: `winner-view serve` beside `winner-view consume`, on endpoints that outlive them (README: "Look at it").',
      )
    })
