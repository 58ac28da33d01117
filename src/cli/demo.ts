import type { Command } from 'commander'
import type { Stack } from '../local/localStack'
import { shortNameOf, userIds, userView } from '../local/lookups'
import { recordOutcomes, toOutgoing } from '../local/replayLog'
import { stackHome, startStack } from '../local/stackHome'
import { leaderboard, readView } from '../local/viewReader'
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
  // The stack already running, or one started now.
  return startStack(stackHome(), flags)
}

/** What the demo's closing lines suggest looking up. */
interface Suggestions {
  readonly product?: string
  readonly user?: string
}

/**
 * A product and a user the view holds, for the demo's closing lines: the best seller of
 * the first top photographer whose short name (the page's) is theirs alone.
 */
const somethingToLookUp = async (stack: Stack): Promise<Suggestions> => {
  const everyone = await userIds(stack.dynamo, stack.names)
  const sharing = (name: string) => everyone.filter((id) => shortNameOf(id) === name).length
  for (const { userId } of await leaderboard(stack.dynamo, stack.names, 'photographer', 10)) {
    const user = shortNameOf(userId)
    if (sharing(user) !== 1) continue
    const view = await userView(stack.dynamo, stack.names, userId)
    const [best] = [...(view?.products.photographer ?? [])].sort(
      (a, b) => Number(b.purchases) - Number(a.purchases),
    )
    return { user, ...(best === undefined ? {} : { product: String(best.productId) }) }
  }
  return {}
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
      const tried = await withStack({ ...flags, fresh: true }, async (stack, signal) => {
        const result = await publishAndConsume(stack, records, flags, signal)
        const { rejected } = await readView(stack.dynamo, stack.names)
        await printLeaderboard(stack, result, recordOutcomes(records, rejected.length))
        return somethingToLookUp(stack)
      })
      if (kept !== undefined)
        console.log(
          [
            `\nThe local stack stays up (Kinesis ${kept.kinesis}, DynamoDB ${kept.dynamodb}, data in ${stackHome()}). Look at it:`,
            '  npx winner-view top',
            ...(tried.product === undefined ? [] : [`  npx winner-view product ${tried.product}`]),
            ...(tried.user === undefined ? [] : [`  npx winner-view user ${tried.user}`]),
            '  npx winner-view status',
            '  npx winner-view rejected list',
            '  npx winner-view serve          (the page, on http://127.0.0.1:8080/)',
            'and `npx winner-view down` stops it.',
          ].join('\n'),
        )
    })
