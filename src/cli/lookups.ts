import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import type { TableNames } from '../adapters/tables'
import { ROLES, type Role } from '../domain/scores'
import type { StackOptions } from '../local/localStack'
import { productItem, type UserView, usersNamed, userView } from '../local/lookups'
import { leaderboard } from '../local/viewReader'
import { readOptions, wholeNumber } from './flags'
import { withReadStack } from './stack'

type LookupFlags = StackOptions & { readonly json?: boolean }

const roleOf = (text: string): Role => {
  if (text === 'creator' || text === 'photographer') return text
  throw new InvalidArgumentError('expected creator or photographer')
}

const print = (flags: LookupFlags, value: unknown, lines: () => string[]) =>
  console.log(flags.json === true ? JSON.stringify(value, null, 2) : lines().join('\n'))

const PRODUCT_FIELDS = [
  'creator',
  'photographer',
  'brand',
  'name',
  'category',
  'purchases',
  'creatorScore',
  'photographerScore',
  'lastEventId',
  'created',
  'updated',
]

const userLines = (userId: string, view: UserView): string[] => [
  userId,
  ...view.scores.map(
    (s) => `  ${String(s.role).padEnd(12)} score ${s.score}, products ${s.products}`,
  ),
  ...ROLES.flatMap((role) =>
    view.products[role].map(
      (p) => `  ${role.padEnd(12)} ${p.productId}  ${p.name ?? ''}  purchases ${p.purchases}`,
    ),
  ),
]

/**
 * The user a name stands for, with their view: the whole id when the view knows it (no
 * scan of Scores), else the one id whose last part it is; several such ids are listed,
 * for the user to choose.
 */
const userNamed = async (client: DynamoDBDocumentClient, names: TableNames, name: string) => {
  const direct = await userView(client, names, name)
  if (direct !== undefined) return { userId: name, view: direct }
  const found = await usersNamed(client, names, name)
  const [only] = found
  if (found.length > 1)
    throw new Error(
      `${found.length} users are named ${name}: give the whole id of one of ${found.join(', ')}`,
    )
  const view = only === undefined ? undefined : await userView(client, names, only)
  if (only === undefined || view === undefined) throw new Error(`no user ${name} in the view`)
  return { userId: only, view }
}

/** `winner-view top`: the leaderboard of each role. */
const topCommand = (cli: Command): Command =>
  readOptions(cli.command('top').description('the leaderboard, from the Leaderboard index'))
    .option('--role <role>', 'creator or photographer (default: both)', roleOf)
    .option('--limit <n>', 'how many users per role', wholeNumber(1, 1000), 10)
    .option('--json', 'as JSON')
    .action(async (flags: LookupFlags & { role?: Role; limit: number }) => {
      await withReadStack(flags, async (stack) => {
        const roles = flags.role === undefined ? ROLES : [flags.role]
        const boards = await Promise.all(
          roles.map((role) => leaderboard(stack.dynamo, stack.names, role, flags.limit)),
        )
        const result = Object.fromEntries(roles.map((role, at) => [role, boards[at] ?? []]))
        print(flags, result, () =>
          roles.flatMap((role, at) => [
            `Top ${role}s (sales earned, products)`,
            ...(boards[at] ?? []).map(
              (e, rank) =>
                `  ${rank + 1}. ${String(e.score).padStart(6)}  ${String(e.products).padStart(4)}  ${e.userId}`,
            ),
          ]),
        )
      })
    })

/** `winner-view top | product | user`: read the view, as a table or as JSON. */
export const lookupCommands = (cli: Command): void => {
  topCommand(cli)
  readOptions(cli.command('product').description("a product's item: roles, purchases, scores"))
    .argument('<id>', 'the product id')
    .option('--json', 'as JSON')
    .action(async (id: string, flags: LookupFlags) => {
      await withReadStack(flags, async (stack) => {
        const item = await productItem(stack.dynamo, stack.names, id)
        if (item === undefined) throw new Error(`no product ${id} in the view`)
        print(flags, item, () => [
          `product ${id}`,
          ...PRODUCT_FIELDS.filter((f) => item[f] !== undefined).map(
            (f) => `  ${f.padEnd(18)}${String(item[f])}`,
          ),
        ])
      })
    })
  readOptions(cli.command('user').description("a user's scores and, through the indexes, products"))
    .argument(
      '<id>',
      'the user id (the origin of the events), or its last part as the page shows it',
    )
    .option('--json', 'as JSON')
    .action(async (id: string, flags: LookupFlags) => {
      await withReadStack(flags, async (stack) => {
        const { userId, view } = await userNamed(stack.dynamo, stack.names, id)
        print(flags, view, () => userLines(userId, view))
      })
    })
}
