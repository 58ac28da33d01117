import { ScanCommand } from '@aws-sdk/lib-dynamodb'
import { type ArchiveSource, archivedShards, firstArchivedRecord } from '../runtime/archiveReader'
import { functionKeyOf, functionNameOf } from '../runtime/deployment'
import { streamArchiveId, streamArnOf, streamRetentionHours } from '../runtime/kinesisShards'
import { type FreshnessMark, MARKS_ROLE } from '../runtime/marks'
import type { AnyView } from '../runtime/view'
import type { ArchiveReplayStats } from './archiveReplay'
import type { CheckpointStore } from './checkpoints'
import type { FaultPlan } from './faults'
import {
  type ArchiveStarts,
  type HandOver,
  leastFoldedOf,
  leavesStreamWithin,
  otherStartsOf,
  refuseGaps,
} from './handOver'
import { recordAfter } from './kinesis'
import { placeOf, STACK_VIEWS, type Stack } from './localStack'
import type { Mappings, StreamMapping } from './mappings'
import { handOverOf, replayIntoView } from './rebuild'
import { versionMarks } from './versionSwitch'
import { readMarks } from './viewReader'

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
  /** The clock (tests: a stream's retention running out). */
  readonly now?: () => number
  /** Told the mappings' ids once the hand-over is decided, before they are enabled. */
  readonly onEnabling?: (uuids: ReadonlyArray<string>) => void
}

export interface DeployedRebuildResult {
  readonly archive: Readonly<Record<string, ArchiveReplayStats>>
  /** How many times the archive was read to its end before it stood still enough. */
  readonly passes: number
  /** Where the least advanced view stood on each shard when the mappings were enabled. */
  readonly handOver: ReadonlyArray<HandOver>
  /** The functions whose mapping was enabled. */
  readonly enabled: ReadonlyArray<string>
}

/**
 * A pass that finds the same shards and takes less than this, or folds at most a batch a
 * shard, leaves every shard's marks close to the archive's end: the stream, which the
 * archive trails by minutes, still holds what follows. Another pass goes again from the
 * marks, up to `MAX_PASSES`. (Listing a long archive takes time of its own: a pass that
 * folds little is settled however long it listed.)
 */
const SETTLED_PASS_MS = 60_000
const MAX_PASSES = 10
/** The record after the archive's last must stay in the stream this long after the check. */
const HAND_OVER_MARGIN_MS = 15 * 60_000

const marksOf = (stack: Stack, view: AnyView): Promise<FreshnessMark[]> =>
  readMarks(placeOf(stack, view).dynamo, placeOf(stack, view).names[MARKS_ROLE] ?? '')

/** Each view's function in the version, and its mappings on the stream. */
const versionMappings = (stack: Stack, mappings: Mappings) =>
  Promise.all(
    STACK_VIEWS.map(async (view) => {
      const functionName = functionNameOf(stack.tablesStage, functionKeyOf(view.name))
      return { functionName, found: await mappings.find(functionName) }
    }),
  )

const wrongMapping = (functionName: string, found: ReadonlyArray<StreamMapping>) => {
  if (found.length === 0) return [`${functionName} has no mapping on the stream`]
  if (found.length > 1)
    return [
      `${functionName} has ${found.length} mappings on the stream (${found.map((m) => m.uuid).join(', ')})`,
    ]
  const [mapping] = found
  return mapping?.state === 'Disabled'
    ? []
    : [
        `${functionName} reads the stream already (its mapping ${mapping?.uuid} is ${mapping?.state})`,
      ]
}

/**
 * Each view's one mapping in the version, or an error naming every one that is missing,
 * doubled or not Disabled: a mapping that reads the stream already folds its records
 * before the archive's older ones, which would then change nothing.
 */
const disabledMappings = async (stack: Stack, mappings: Mappings): Promise<StreamMapping[]> => {
  const found = await versionMappings(stack, mappings)
  const wrong = found.flatMap(({ functionName, found }) => wrongMapping(functionName, found))
  if (wrong.length > 0) {
    const keys = STACK_VIEWS.map((view) => functionKeyOf(view.name)).join(',')
    throw new Error(
      `version ${stack.version} of stage ${stack.stage}: ${wrong.join('; ')}. Deploy it with its mappings disabled (npx osls deploy --stage ${stack.tablesStage} --param="disabledMapping=${keys}" --param="withoutMapping=archive") before anything reads the stream, or rebuild into a new version; if a rebuild of it said it was enabling them, enable the rest (aws lambda update-event-source-mapping --uuid UUID --enabled)`,
    )
  }
  return found.flatMap(({ found }) => found)
}

/**
 * The mappings' ids once more, still Disabled and not touched since the rebuild began: one
 * enabled by hand meanwhile, even if disabled again, may have folded records out of order.
 */
const untouchedMappings = async (
  stack: Stack,
  mappings: Mappings,
  before: ReadonlyArray<StreamMapping>,
): Promise<string[]> => {
  const now = await disabledMappings(stack, mappings)
  const touched = now.filter((m) => {
    const was = before.find((b) => b.uuid === m.uuid)
    return was === undefined || was.lastModified !== m.lastModified
  })
  if (touched.length > 0)
    throw new Error(
      `version ${stack.version} of stage ${stack.stage}: the mappings ${touched.map((m) => `${m.uuid} (last modified ${m.lastModified ?? 'at no time Lambda gave'})`).join(', ')} changed during the rebuild and may have read the stream meanwhile: rebuild into a new version`,
    )
  return now.map((m) => m.uuid)
}

/** The archive's shards and each one's first record (one listing each). */
const archiveStartsOf = async (
  source: ArchiveSource,
  archiveId: string,
): Promise<ArchiveStarts> => {
  const shards = await archivedShards(source, archiveId)
  const firsts = await Promise.all(
    shards.map(
      async (s) => [s.shardId, await firstArchivedRecord(source, archiveId, s.shardId)] as const,
    ),
  )
  return { shards, firsts: new Map(firsts) }
}

/**
 * A view that has marked nothing must hold nothing: items without a mark were folded by a
 * handler whose marks were lost or never kept, from where no mark says (one item read).
 */
const unmarkedItems = async (stack: Stack, view: AnyView): Promise<string[]> => {
  const place = placeOf(stack, view)
  const table = place.names[view.tables.state.role] ?? ''
  const { Items = [] } = await place.dynamo.send(new ScanCommand({ TableName: table, Limit: 1 }))
  return Items.length === 0 ? [] : [`${view.name} holds items in ${table} but has marked nothing`]
}

/** An error naming each view and shard whose marks show the version read the stream before. */
const refuseOtherStarts = async (stack: Stack, archive: ArchiveStarts) => {
  const wrong: string[] = []
  for (const view of STACK_VIEWS) {
    const marks = await marksOf(stack, view)
    for (const why of otherStartsOf(marks, archive)) wrong.push(`${view.name} ${why}`)
    if (marks.length === 0) wrong.push(...(await unmarkedItems(stack, view)))
  }
  if (wrong.length > 0)
    throw new Error(
      `version ${stack.version} of stage ${stack.stage} has folded the stream before: ${wrong.join('; ')}. Rebuild into a new version`,
    )
}

/**
 * A view's place in the replay, from its freshness marks, which the replay stores itself
 * after each batch (`marksBeginAt` in `replayIntoView`): a stopped replay goes on after
 * them, and nothing more is kept. A closed shard is read again to its end, which fetches
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

/** One pass: every view's archive replayed from its marks to the archive's end. */
const replayPass = (
  stack: Stack,
  options: DeployedRebuildOptions,
  at: { readonly archiveId: string; readonly streamArn: string; readonly archive: ArchiveStarts },
) =>
  Promise.all(
    STACK_VIEWS.map(async (view, index) => {
      const stats = await replayIntoView(placeOf(stack, view), view, {
        source: options.source,
        archiveId: at.archiveId,
        streamArn: at.streamArn,
        checkpoints: marksAsCheckpoints(stack, view),
        marksBeginAt: (shardId) => at.archive.firsts.get(shardId),
        batchSize: options.batchSize,
        faults: options.faults,
        onProgress: index === 0 ? options.onProgress : undefined,
        signal: options.signal,
      })
      return [view.name, stats] as const
    }),
  )

/**
 * The shards the last pass read to their end: the parents in the listing it began with.
 * Lambda reads a parent to its end before its children, so a child archived means its
 * parent's archive was whole before that pass read it.
 */
const readToTheirEnd = (listed: ArchiveStarts): ReadonlySet<string> =>
  new Set(
    listed.shards.flatMap((s) => [s.parentShardId ?? [], s.adjacentParentShardId ?? []].flat()),
  )

const sameShards = (a: ArchiveStarts, b: ArchiveStarts) =>
  a.shards.length === b.shards.length &&
  a.shards.every((s) => b.shards.some((t) => t.shardId === s.shardId))

/**
 * The archive replayed pass after pass, each from the marks, until a pass finds the shards
 * it started with and was quick (`quick`): the archive grows while it is read, and a
 * parent counts as read to its end only if its children were listed before the pass.
 * Begins from the listing the checks were made on; returns the listing the last pass
 * started from, and the one after it.
 */
const replayUntilSettled = async (
  stack: Stack,
  options: DeployedRebuildOptions,
  at: { readonly archiveId: string; readonly streamArn: string },
  first: ArchiveStarts,
) => {
  const now = options.now ?? Date.now
  const totals = new Map<string, ArchiveReplayStats>()
  let listed = first
  for (let pass = 1; ; pass += 1) {
    const started = now()
    const replayed = await replayPass(stack, options, { ...at, archive: listed })
    addPass(totals, replayed)
    if (options.signal?.aborted)
      throw new Error('interrupted: run the same rebuild again to go on from there')
    const again = await archiveStartsOf(options.source, at.archiveId)
    const settled = sameShards(listed, again) && quick(now() - started, replayed, options, listed)
    if (settled || pass >= MAX_PASSES) return { totals, passes: pass, listed, again }
    listed = again
  }
}

/** Whether a pass took under a minute, or folded at most a batch a shard (by the view that folded most). */
const quick = (
  tookMs: number,
  pass: ReadonlyArray<readonly [string, ArchiveReplayStats]>,
  options: DeployedRebuildOptions,
  listed: ArchiveStarts,
): boolean =>
  tookMs < SETTLED_PASS_MS ||
  Math.max(0, ...pass.map(([, stats]) => stats.records)) <= options.batchSize * listed.shards.length

/** A pass's figures added to each view's. */
const addPass = (
  totals: Map<string, ArchiveReplayStats>,
  pass: ReadonlyArray<readonly [string, ArchiveReplayStats]>,
) => {
  for (const [view, stats] of pass) totals.set(view, addStats(totals.get(view), stats))
}

const addStats = (
  a: ArchiveReplayStats | undefined,
  b: ArchiveReplayStats,
): ArchiveReplayStats => ({
  shards: b.shards,
  batches: (a?.batches ?? 0) + b.batches,
  records: (a?.records ?? 0) + b.records,
  redeliveries: (a?.redeliveries ?? 0) + b.redeliveries,
})

/** A shard whose record after the least advanced mark leaves the stream within the margin, named. */
const expiringShard = async (
  stack: Stack,
  streamName: string,
  h: HandOver,
  clock: { readonly retentionMs: number; readonly nowMs: number },
): Promise<string[]> => {
  if (h.archivedTo === undefined || h.finished) return []
  const next = await recordAfter(stack.kinesis, streamName, h.shardId, h.archivedTo)
  const arrived = next?.ApproximateArrivalTimestamp
  if (arrived === undefined) return []
  return leavesStreamWithin(arrived.getTime(), clock.retentionMs, clock.nowMs, HAND_OVER_MARGIN_MS)
    ? [`${h.shardId} (the record after ${h.archivedTo} arrived ${arrived.toISOString()})`]
    : []
}

/**
 * An error naming each shard where the record after the least advanced view's mark leaves
 * the stream within the margin: the mappings, once enabled, might not read it in time.
 */
const refuseExpiring = async (
  stack: Stack,
  options: DeployedRebuildOptions,
  handOver: ReadonlyArray<HandOver>,
) => {
  const clock = {
    retentionMs: (await streamRetentionHours(stack.kinesis, options.streamName)) * 3_600_000,
    nowMs: (options.now ?? Date.now)(),
  }
  const expiring: string[] = []
  for (const h of handOver)
    expiring.push(...(await expiringShard(stack, options.streamName, h, clock)))
  if (expiring.length > 0)
    throw new Error(
      `the stream lets go of what follows the archive within ${HAND_OVER_MARGIN_MS / 60_000} minutes on ${expiring.join(', ')}: run the same rebuild again, which goes on from the marks to where the archive has got since`,
    )
}

/**
 * Rebuilds a deployed version of a stage from the stream's archive, then hands over to
 * its own mappings: each view's archive replayed through its handler on this machine into
 * the version's tables (resumable: its marks say where it stands; the deployed totals
 * functions move the totals), then, if the stream still holds what follows on every shard
 * with room to spare, the version's mappings enabled. They were created disabled at
 * TRIM_HORIZON, so they read the stream from the oldest record it holds: the overlap folds
 * nothing twice.
 */
export const rebuildDeployed = async (
  stack: Stack,
  options: DeployedRebuildOptions,
): Promise<DeployedRebuildResult> => {
  const before = await disabledMappings(stack, options.mappings)
  const archiveId = await streamArchiveId(stack.kinesis, options.streamName)
  const starts = await archiveStartsOf(options.source, archiveId)
  await refuseOtherStarts(stack, starts)
  const streamArn = await streamArnOf(stack.kinesis, options.streamName)
  const replayed = await replayUntilSettled(stack, options, { archiveId, streamArn }, starts)
  const byView = await versionMarks(stack.dynamo, stack.tablesStage)
  const withRecords = [...replayed.again.firsts].flatMap(([shard, first]) =>
    first === undefined ? [] : [shard],
  )
  const folded = leastFoldedOf(byView, withRecords, readToTheirEnd(replayed.listed))
  const handOver = await handOverOf(stack.kinesis, options.streamName, folded)
  refuseGaps(handOver)
  await refuseExpiring(stack, options, handOver)
  const uuids = await untouchedMappings(stack, options.mappings, before)
  options.onEnabling?.(uuids)
  await options.mappings.enable(uuids)
  return {
    archive: Object.fromEntries(replayed.totals),
    passes: replayed.passes,
    handOver,
    enabled: byView.map(({ view }) => functionNameOf(stack.tablesStage, functionKeyOf(view))),
  }
}
