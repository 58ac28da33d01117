import { compareSequenceNumbers } from '../domain/position'
import { type ArchiveSource, archivedShards, firstArchivedRecord } from '../runtime/archiveReader'
import { functionKeyOf, functionNameOf } from '../runtime/deployment'
import { readMarks } from '../runtime/dynamoMarks'
import { streamArchiveId, streamArnOf } from '../runtime/kinesisShards'
import { type FreshnessMark, MARKS_ROLE } from '../runtime/marks'
import type { AnyView } from '../runtime/view'
import type { ArchiveReplayStats } from './archiveReplay'
import type { CheckpointStore } from './checkpoints'
import type { FaultPlan } from './faults'
import { STACK_VIEWS, type Stack, type StackView } from './localStack'
import type { Mappings } from './mappings'
import { type Folded, type HandOver, handOverOf, refuseGaps, replayIntoView } from './rebuild'

export interface DeployedRebuildOptions {
  readonly streamName: string
  readonly batchSize: number
  /** The stream's archive: the stage's bucket on AWS. */
  readonly source: ArchiveSource
  /** The version's event source mappings (Lambda's API on AWS). */
  readonly mappings: Mappings
  /** Faults injected into the views' handlers (tests). */
  readonly faults?: FaultPlan
  readonly onProgress?: (advanced: number) => void
  readonly signal?: AbortSignal
}

export interface DeployedRebuildResult {
  readonly archive: Readonly<Record<string, ArchiveReplayStats>>
  /** Where the least advanced view stood on each shard when the mappings were enabled. */
  readonly handOver: ReadonlyArray<HandOver>
  /** The functions whose mapping was enabled. */
  readonly enabled: ReadonlyArray<string>
}

/** A view's deployed function in the version and the mapping it reads the stream through. */
interface ViewMapping {
  readonly functionName: string
  readonly uuid: string
}

const placeOf = (stack: Stack, view: AnyView): StackView => {
  const place = stack.views[view.name]
  if (place === undefined) throw new Error(`the stack has no tables for the view ${view.name}`)
  return place
}

const marksOf = (stack: Stack, view: AnyView): Promise<FreshnessMark[]> =>
  readMarks(placeOf(stack, view).dynamo, placeOf(stack, view).names[MARKS_ROLE] ?? '')

/**
 * Each view's mapping in the version, or an error naming every one that is missing or not
 * Disabled: a mapping that reads the stream already would fold its records before the
 * archive's older ones, which would then change nothing.
 */
const disabledMappings = async (stack: Stack, mappings: Mappings): Promise<ViewMapping[]> => {
  const found = await Promise.all(
    STACK_VIEWS.map(async (view) => {
      const functionName = functionNameOf(stack.tablesStage, functionKeyOf(view.name))
      return { functionName, mapping: await mappings.find(functionName) }
    }),
  )
  const wrong = found.flatMap(({ functionName, mapping }) =>
    mapping?.state === 'Disabled'
      ? []
      : [
          `${functionName} ${mapping === undefined ? 'has no mapping on the stream' : `reads the stream already (its mapping is ${mapping.state})`}`,
        ],
  )
  if (wrong.length > 0) {
    const keys = STACK_VIEWS.map((view) => functionKeyOf(view.name)).join(',')
    throw new Error(
      `version ${stack.version} of stage ${stack.stage} cannot be rebuilt: ${wrong.join('; ')}. Deploy it with its mappings disabled (npx osls deploy --stage ${stack.tablesStage} --param="disabledMapping=${keys}" --param="withoutMapping=archive"), or rebuild into a new version`,
    )
  }
  return found.flatMap(({ functionName, mapping }) =>
    mapping === undefined ? [] : [{ functionName, uuid: mapping.uuid }],
  )
}

/**
 * An error naming each shard where a view's marks begin elsewhere than the archive: it
 * folded the stream before (its mapping was enabled once, after records had expired), and
 * the archive's earlier records would change nothing. Marks that begin where the archive
 * does are a prefix of the shard's history: the replay goes on after them.
 */
const refuseOtherStarts = async (stack: Stack, source: ArchiveSource, archiveId: string) => {
  const starts = new Map<string, Promise<string | undefined>>()
  const archiveStart = (shardId: string) => {
    const known = starts.get(shardId) ?? firstArchivedRecord(source, archiveId, shardId)
    starts.set(shardId, known)
    return known
  }
  const wrong: string[] = []
  for (const view of STACK_VIEWS) {
    for (const mark of await marksOf(stack, view)) {
      const first = await archiveStart(mark.shardId)
      if (first !== mark.firstSequenceNumber) wrong.push(otherStart(view, mark, first))
    }
  }
  if (wrong.length > 0)
    throw new Error(
      `version ${stack.version} of stage ${stack.stage} has folded the stream before: ${wrong.join('; ')}. Rebuild into a new version`,
    )
}

const otherStart = (view: AnyView, mark: FreshnessMark, archived: string | undefined) =>
  `${view.name} began ${mark.shardId} at ${mark.firstSequenceNumber}, the archive ${archived === undefined ? 'holds none of it' : `at ${archived}`}`

/**
 * A view's place in the replay, from its freshness marks: the handler marks each batch as
 * it commits (the last record finished), so the marks are where a stopped replay goes on
 * from, and nothing more is kept. A closed shard is read again to its end, which fetches
 * nothing it has folded.
 */
const marksAsCheckpoints = (stack: Stack, view: AnyView): CheckpointStore => ({
  load: async () =>
    new Map(
      (await marksOf(stack, view)).map((mark) => [
        mark.shardId,
        { shardId: mark.shardId, sequenceNumber: mark.sequenceNumber, finished: false },
      ]),
    ),
  save: async () => {},
})

/**
 * Where the least advanced view stands on each shard: its lowest mark, and a closed shard
 * (a parent in the archive) read to its end. A shard some view has marked and another
 * has not (its marks could not be stored) fails: the hand-over would take it as whole.
 */
const leastFolded = async (stack: Stack, parents: ReadonlySet<string>): Promise<Folded> => {
  const byView = await Promise.all(STACK_VIEWS.map((view) => marksOf(stack, view)))
  const folded = new Map<string, { sequenceNumber: string; finished: boolean }>()
  for (const shardId of new Set(byView.flat().map((mark) => mark.shardId))) {
    const positions = byView.map(
      (marks) => marks.find((m) => m.shardId === shardId)?.sequenceNumber,
    )
    const unmarked = STACK_VIEWS.filter((_, at) => positions[at] === undefined)
    if (unmarked.length > 0)
      throw new Error(
        `${unmarked.map((v) => v.name).join(', ')} marked nothing of ${shardId}, which the other views folded (its marks could not be stored: see the log): run the same rebuild again`,
      )
    const least = positions.reduce((a = '', b = '') => (compareSequenceNumbers(a, b) <= 0 ? a : b))
    folded.set(shardId, { sequenceNumber: least ?? '', finished: parents.has(shardId) })
  }
  return folded
}

/**
 * Rebuilds a deployed version of a stage from the stream's archive, then hands over to
 * its own mappings: each view's archive replayed through its handler on this machine into
 * the version's tables (resumable: its marks say where it stands; the deployed totals
 * functions move the totals), then, if the stream still holds what follows on every shard,
 * the version's mappings enabled. They were created disabled at TRIM_HORIZON, so they
 * read the stream from the oldest record it holds: the overlap folds nothing twice.
 */
export const rebuildDeployed = async (
  stack: Stack,
  options: DeployedRebuildOptions,
): Promise<DeployedRebuildResult> => {
  const mappings = await disabledMappings(stack, options.mappings)
  const archiveId = await streamArchiveId(stack.kinesis, options.streamName)
  await refuseOtherStarts(stack, options.source, archiveId)
  const streamArn = await streamArnOf(stack.kinesis, options.streamName)
  const replays = await Promise.all(
    STACK_VIEWS.map(async (view, at) => {
      const stats = await replayIntoView(placeOf(stack, view), view, {
        source: options.source,
        archiveId,
        streamArn,
        checkpoints: marksAsCheckpoints(stack, view),
        batchSize: options.batchSize,
        faults: options.faults,
        onProgress: at === 0 ? options.onProgress : undefined,
        signal: options.signal,
      })
      return [view.name, stats] as const
    }),
  )
  if (options.signal?.aborted)
    throw new Error('interrupted: run the same rebuild again to go on from there')
  const shards = await archivedShards(options.source, archiveId)
  const parents = new Set(
    shards.flatMap((s) => [s.parentShardId ?? [], s.adjacentParentShardId ?? []].flat()),
  )
  const handOver = await handOverOf(
    stack.kinesis,
    options.streamName,
    await leastFolded(stack, parents),
  )
  refuseGaps(handOver)
  for (const mapping of mappings) await options.mappings.enable(mapping.uuid)
  return {
    archive: Object.fromEntries(replays),
    handOver,
    enabled: mappings.map((m) => m.functionName),
  }
}
