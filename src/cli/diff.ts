import type { Command } from 'commander'
import { tableNamesFor } from '../adapters/tables'
import type { Stack, StackOptions } from '../local/localStack'
import { diffCategoryViews, diffViews, isSame, type TableDiff } from '../local/viewDiff'
import { readCategoryView, readView } from '../local/viewReader'
import { viewTableNamesFor } from '../runtime/tables'
import { categorySalesView } from '../views/categorySales'
import { readOptions } from './flags'
import { withReadStack } from './stack'

const FIRST_ITEMS = 5

export const diffLines = (diff: TableDiff, stages: readonly [string, string]): string[] => [
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

/** Every view's tables of two stages (versions), item by item, read through one client. */
export const diffStages = async (
  stack: Pick<Stack, 'dynamo'>,
  [first, second]: readonly [string, string],
): Promise<TableDiff[]> => {
  const categoryNames = (stage: string) => viewTableNamesFor(categorySalesView, stage)
  const [views, categories] = await Promise.all([
    Promise.all([
      readView(stack.dynamo, tableNamesFor(first)),
      readView(stack.dynamo, tableNamesFor(second)),
    ]),
    Promise.all([
      readCategoryView(stack.dynamo, categoryNames(first)),
      readCategoryView(stack.dynamo, categoryNames(second)),
    ]),
  ])
  return [...diffViews(...views), ...diffCategoryViews(...categories)]
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
        // Each stage's live version, unless a version's own stage is named (`local-v2`).
        const against = await stack.liveStageOf(flags.against)
        await stack.requireStageView(against)
        const stages = [stack.tablesStage, against] as const
        const diffs = await diffStages(stack, stages)
        console.log(diffs.flatMap((d) => diffLines(d, stages)).join('\n'))
        if (!isSame(diffs)) {
          process.exitCode = 1
          const ahead = diffs.some((d) => d.ahead.first + d.ahead.second > 0)
          process.stderr.write(
            `winner-view: ${stages[0]} and ${stages[1]} differ${ahead ? ' (partly because one folded further: compare again once both are idle)' : ''}\n`,
          )
        }
      })
    })
