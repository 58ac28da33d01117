import type { Command } from 'commander'
import { tableNamesFor } from '../adapters/tables'
import type { StackOptions } from '../local/localStack'
import { diffCategoryViews, diffViews, isSame, type TableDiff } from '../local/viewDiff'
import { readCategoryView, readView } from '../local/viewReader'
import { viewTableNamesFor } from '../runtime/tables'
import { categorySalesView } from '../views/categorySales'
import { readOptions } from './flags'
import { withReadStack } from './stack'

const FIRST_ITEMS = 5

const diffLines = (diff: TableDiff, stages: readonly [string, string]): string[] => [
  `${diff.table}: ${diff.counts[0]} items in ${stages[0]}, ${diff.counts[1]} in ${stages[1]}; ${diff.onlyInFirst.length} only in ${stages[0]}, ${diff.onlyInSecond.length} only in ${stages[1]}, ${diff.changed.length} differ${aheadText(diff, stages)}`,
  ...diff.onlyInFirst.slice(0, FIRST_ITEMS).map((key) => `  only in ${stages[0]}: ${key}`),
  ...diff.onlyInSecond.slice(0, FIRST_ITEMS).map((key) => `  only in ${stages[1]}: ${key}`),
  ...diff.changed
    .slice(0, FIRST_ITEMS)
    .flatMap(({ key, first, second }) => [
      `  differs: ${key}`,
      `    ${stages[0]}: ${JSON.stringify(first)}`,
      `    ${stages[1]}: ${JSON.stringify(second)}`,
    ]),
]

/** Items that differ only because one stage folded further, said apart from real differences. */
const aheadText = (diff: TableDiff, stages: readonly [string, string]): string => {
  const parts = [
    ...(diff.ahead.first > 0 ? [`${diff.ahead.first} further in ${stages[0]}`] : []),
    ...(diff.ahead.second > 0 ? [`${diff.ahead.second} further in ${stages[1]}`] : []),
  ]
  return parts.length === 0 ? '' : `, ${parts.join(', ')} (folded to a later position)`
}

/** `winner-view diff`: two stages' tables item by item, every view's; exit 1 when they differ. */
export const diffCommand = (cli: Command): Command =>
  readOptions(
    cli
      .command('diff')
      .description("compare two stages' tables item by item (a rebuild against the live one)"),
  )
    .requiredOption('--against <stage>', 'the stage to compare with --stage')
    .action(async (flags: StackOptions & { against: string }) => {
      await withReadStack(flags, async (stack) => {
        await stack.requireStageView(flags.against)
        // The second stage's tables, read through the same client.
        const categoryNames = (stage: string) => viewTableNamesFor(categorySalesView, stage)
        const [first, second, firstCategories, secondCategories] = await Promise.all([
          readView(stack.dynamo, stack.names),
          readView(stack.dynamo, tableNamesFor(flags.against)),
          readCategoryView(stack.dynamo, categoryNames(flags.stage)),
          readCategoryView(stack.dynamo, categoryNames(flags.against)),
        ])
        const diffs = [
          ...diffViews(first, second),
          ...diffCategoryViews(firstCategories, secondCategories),
        ]
        const stages = [flags.stage, flags.against] as const
        console.log(diffs.flatMap((d) => diffLines(d, stages)).join('\n'))
        if (!isSame(diffs)) {
          process.exitCode = 1
          const ahead = diffs.some((d) => d.ahead.first + d.ahead.second > 0)
          process.stderr.write(
            `winner-view: ${flags.stage} and ${flags.against} differ${ahead ? ' (partly because one folded further: compare again once both are idle)' : ''}\n`,
          )
        }
      })
    })
