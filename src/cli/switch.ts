import type { Command } from 'commander'
import type { StackOptions } from '../local/localStack'
import { applySwitch, lagText, planSwitch, type SwitchPlan } from '../local/versionSwitch'
import { MAX_VERSION } from '../runtime/versions'
import { diffLines, diffStages } from './diff'
import { readOptions, wholeNumber } from './flags'
import { withReadStack } from './stack'

interface SwitchFlags extends StackOptions {
  readonly to: number
  readonly maxLag: number
  readonly dryRun?: boolean
}

/** Says where the live version has no mark: the rule can then hold nothing back. */
const warnUnmarked = (plan: SwitchPlan): void => {
  for (const view of plan.unmarked)
    process.stderr.write(
      `warning: version ${plan.from} of stage ${plan.stage} has no freshness mark of ${view}: nothing says how far it has folded, so nothing holds version ${plan.to} back there\n`,
    )
}

/** What a switch would do, in one line; exit 1 when it would refuse, as the switch would. */
const dryRun = (plan: SwitchPlan): void => {
  const verdict =
    plan.lagging.length === 0 ? 'would switch' : `would refuse: ${lagText(plan.lagging)}`
  console.log(`stage ${plan.stage}: version ${plan.from} is live; to ${plan.to}: ${verdict}`)
  if (plan.lagging.length > 0) process.exitCode = 1
}

/** `winner-view switch`: the stage's readers moved to another version, once it has caught up. */
export const switchCommand = (cli: Command): Command =>
  readOptions(
    cli
      .command('switch')
      .description(
        "make another version of a stage's views the one readers see, once it has caught up with the live one (switching back is the same command)",
      ),
  )
    .requiredOption(
      '--to <version>',
      'the version to make live (1: the stage’s own tables; n: those of <stage>-v<n>)',
      wholeNumber(1, MAX_VERSION),
    )
    .option(
      '--max-lag <seconds>',
      'how far, in arrival time, the version may trail the live one on a shard',
      wholeNumber(0, 86_400),
      60,
    )
    .option('--dry-run', 'show the differences and whether it would switch, and switch nothing')
    .action(async (flags: SwitchFlags) => {
      await withReadStack(flags, async (stack) => {
        const plan = await planSwitch(stack, flags.to, flags.maxLag * 1000)
        if (plan.from === plan.to) {
          console.log(`version ${plan.to} of stage ${plan.stage} is live already`)
          return
        }
        await stack.requireStageView(plan.stages[1])
        warnUnmarked(plan)
        const diffs = await diffStages(stack, plan.stages)
        console.log(diffs.flatMap((d) => diffLines(d, plan.stages)).join('\n'))
        if (flags.dryRun === true) return dryRun(plan)
        await applySwitch(stack, plan)
        console.log(
          `stage ${plan.stage}: version ${plan.to} is live (was ${plan.from}); back with: winner-view switch --stage ${plan.stage} --to ${plan.from}, while version ${plan.from} is still fed`,
        )
      })
    })
