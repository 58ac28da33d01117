import type { Command } from 'commander'
import { recordOutcomes, toOutgoing } from '../local/replayLog'
import { runningStack, stackHome, startStack } from '../local/stackHome'
import { readView } from '../local/viewReader'
import { generateWorkload } from '../local/workload'
import { type RunFlags, runOptions, wholeNumber } from './flags'
import { printLeaderboard } from './output'
import { publishAndConsume, withStack } from './stack'

/**
 * The stack the demo leaves behind for the commands after it: the one running, or one
 * started in the background; none when endpoints were given.
 */
const keptStack = async (flags: RunFlags) => {
  const given =
    flags.kinesisEndpoint ??
    flags.dynamodbEndpoint ??
    process.env.AWS_ENDPOINT_URL_DYNAMODB ??
    process.env.AWS_ENDPOINT_URL_KINESIS ??
    process.env.AWS_ENDPOINT_URL
  if (given !== undefined) return undefined
  const home = stackHome()
  return (await runningStack(home)) ?? (await startStack(home, flags))
}

/** `winner-view demo`: generate a workload, consume it, print the leaderboard. */
export const demoCommand = (cli: Command): Command =>
  runOptions(
    cli
      .command('demo')
      .description(
        'generate a workload into the stage afresh, consume it, print the leaderboard; the local stack stays up',
      ),
  )
    .option('--events <n>', 'events to generate', wholeNumber(1, 1_000_000), 5000)
    .action(async (flags: RunFlags & { events: number }) => {
      const records = toOutgoing(
        generateWorkload({ events: flags.events, seed: flags.seed, edgeCases: true }),
      )
      const kept = await keptStack(flags)
      await withStack({ ...flags, fresh: true }, async (stack, signal) => {
        const result = await publishAndConsume(stack, records, flags, signal)
        const { rejected } = await readView(stack.dynamo, stack.names)
        await printLeaderboard(stack, result, recordOutcomes(records, rejected.length))
      })
      if (kept !== undefined)
        console.log(
          `The local stack stays up (Kinesis ${kept.kinesis}, DynamoDB ${kept.dynamodb}): try \`npx winner-view top\`, \`status\` or \`serve\`; \`npx winner-view down\` stops it (README: "Look at it").`,
        )
    })
