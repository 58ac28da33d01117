import { type FreshnessMark, type Lag, laggingShards, MARKS_ROLE } from '../runtime/marks'
import { viewTableNamesFor } from '../runtime/tables'
import { moveLivePointer, readLivePointer, versionStageOf } from '../runtime/versions'
import type { Stack } from './localStack'
import { STACK_VIEWS } from './localStack'
import { readMarks } from './viewReader'

/** Where one view of the candidate version trails the live one. */
export interface ViewLag {
  readonly view: string
  readonly lags: ReadonlyArray<Lag>
}

export interface SwitchPlan {
  readonly stage: string
  readonly from: number
  readonly to: number
  /** The stages whose tables hold the live version and the candidate. */
  readonly stages: readonly [string, string]
  /** Empty: the candidate has caught up and the pointer may move. */
  readonly lagging: ReadonlyArray<ViewLag>
  /** Views of which the live version has no mark: nothing to compare the candidate with. */
  readonly unmarked: ReadonlyArray<string>
}

/** A version's marks, per view, in the stack's order of views (`status` shows them). */
export const versionMarks = (
  dynamo: Stack['dynamo'],
  tablesStage: string,
): Promise<Array<{ readonly view: string; readonly marks: FreshnessMark[] }>> =>
  Promise.all(
    STACK_VIEWS.map(async (view) => ({
      view: view.name,
      marks: await readMarks(dynamo, viewTableNamesFor(view, tablesStage)[MARKS_ROLE] ?? ''),
    })),
  )

/** A version's marks, by the view's name. */
const marksOf = async (stack: Pick<Stack, 'dynamo'>, tablesStage: string) =>
  new Map((await versionMarks(stack.dynamo, tablesStage)).map((v) => [v.view, v.marks]))

/**
 * Whether `to` may become the stage's live version: per view, the shards where its marks
 * trail the live version's by more than `maxLagMs` (`laggingShards`). Reads only.
 */
export const planSwitch = async (
  stack: Pick<Stack, 'dynamo' | 'stage'>,
  to: number,
  maxLagMs: number,
): Promise<SwitchPlan> => {
  const { version: from } = await readLivePointer(stack.dynamo, stack.stage)
  const stages = [versionStageOf(stack.stage, from), versionStageOf(stack.stage, to)] as const
  const [live, candidate] = await Promise.all(stages.map((s) => marksOf(stack, s)))
  const lagging = STACK_VIEWS.map((view) => ({
    view: view.name,
    lags: laggingShards(live?.get(view.name) ?? [], candidate?.get(view.name) ?? [], maxLagMs),
  })).filter((v) => v.lags.length > 0)
  const unmarked = STACK_VIEWS.map((view) => view.name).filter(
    (name) => (live?.get(name) ?? []).length === 0,
  )
  return { stage: stack.stage, from, to, stages, lagging, unmarked }
}

/** Moves the pointer as planned, unless the candidate trails or another switch moved it since. */
export const applySwitch = async (stack: Pick<Stack, 'dynamo'>, plan: SwitchPlan) => {
  if (plan.lagging.length > 0)
    throw new Error(
      `version ${plan.to} of stage ${plan.stage} has not caught up with version ${plan.from}: ${lagText(plan.lagging)}`,
    )
  return moveLivePointer(stack.dynamo, plan.stage, plan.from, plan.to)
}

/** How one shard trails, in words. */
const lagWords = ({ how, live, candidate }: Lag): string => {
  if (how === 'not folded' || candidate === undefined) return 'nothing folded'
  if (how === 'starts later')
    return `begins at ${candidate.firstSequenceNumber}, after ${live.firstSequenceNumber}: it misses history`
  return `${Math.round((live.arrivedAtMs - candidate.arrivedAtMs) / 1000)} s behind`
}

/** The lagging shards, a few named, for one line. */
export const lagText = (lagging: ReadonlyArray<ViewLag>): string =>
  lagging
    .map(({ view, lags }) => {
      const named = lags.slice(0, 3).map((lag) => `${lag.shardId} (${lagWords(lag)})`)
      const more = lags.length > 3 ? ` and ${lags.length - 3} more` : ''
      return `${view} trails on ${named.join(', ')}${more}`
    })
    .join('; ')
