import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { type LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { type ArchivedShardStatus, archiveStatus } from '../runtime/archiveReader'
import { streamArchiveId } from '../runtime/kinesisShards'
import type { FreshnessMark } from '../runtime/marks'
import { describeTable } from '../runtime/tableCheck'
import { readLivePointer } from '../runtime/versions'
import { listShards, oldestRecordOf, streamRef } from './kinesis'
import { rejectedTableOf, STACK_VIEWS, type Stack } from './localStack'
import { versionMarks } from './versionSwitch'
import { scanAll } from './viewReader'

/** A rebuild replays the stream from TRIM_HORIZON: under this retention, warn. */
export const MIN_RETENTION_HOURS = 7 * 24

export interface StreamStatus {
  readonly name: string
  readonly retentionHours: number
  readonly openShards: number
  readonly shards: ReadonlyArray<{ readonly shardId: string; readonly open: boolean }>
  /** How old the oldest record still in the stream is, in hours; undefined when empty. */
  readonly oldestRecordHours: number | undefined
}

export interface StageStatus {
  /** The version shown, the stage whose tables hold it, and the stage's live version. */
  readonly version: { readonly shown: number; readonly tablesStage: string; readonly live: number }
  /** Per view, how far it has folded each shard (its freshness marks). */
  readonly freshness: ReadonlyArray<{ readonly view: string; readonly marks: FreshnessMark[] }>
  readonly stream: StreamStatus
  readonly tables: ReadonlyArray<{ readonly name: string; readonly items: number | undefined }>
  /** Rejected records per kind of reason (the field a reason names, or the fan-out duplicate). */
  readonly rejectedByReason: ReadonlyArray<{ readonly reason: string; readonly records: number }>
  /** The same for each other view (the category view), by view name. */
  readonly otherViewsRejected: ReadonlyArray<{
    readonly view: string
    readonly byReason: ReadonlyArray<{ readonly reason: string; readonly records: number }>
  }>
  /** With --aws: each view's function and its event source mapping's state. */
  readonly mappings?: ReadonlyArray<MappingStatus>
  /** How far the stream's archive has got, shard by shard, and where it is (local stacks). */
  readonly archive?: {
    readonly location: string
    readonly shards: ReadonlyArray<ArchivedShardStatus>
  }
  readonly warnings: ReadonlyArray<string>
}

const hoursSince = (date: Date): number => (Date.now() - date.getTime()) / 3_600_000

/** The stream's retention, shards, and the age of its oldest record. */
export const streamStatus = async (
  kinesis: KinesisClient,
  streamName: string,
): Promise<StreamStatus> => {
  const { StreamDescriptionSummary: summary } = await kinesis.send(
    new DescribeStreamSummaryCommand(streamRef(streamName)),
  )
  const shards = await listShards(kinesis, streamName)
  const arrivals = await Promise.all(
    shards.map(
      async (shard) =>
        (await oldestRecordOf(kinesis, streamName, shard.ShardId ?? ''))
          ?.ApproximateArrivalTimestamp,
    ),
  )
  const oldest = arrivals.filter((date) => date !== undefined).map(hoursSince)
  return {
    name: streamName,
    retentionHours: summary?.RetentionPeriodHours ?? 0,
    openShards: summary?.OpenShardCount ?? 0,
    shards: shards.map((shard) => ({
      shardId: shard.ShardId ?? '',
      open: shard.SequenceNumberRange?.EndingSequenceNumber === undefined,
    })),
    oldestRecordHours: oldest.length === 0 ? undefined : Math.max(...oldest),
  }
}

/** The kind of a reason, for counting: the field it names, or the fan-out duplicate. */
export const reasonKind = (reason: string): string => {
  if (reason.startsWith('fan-out duplicate')) return 'fan-out duplicate'
  const colon = reason.indexOf(': ')
  return colon === -1 ? reason.slice(0, 80) : reason.slice(0, Math.min(colon, 80))
}

const countByReason = (items: ReadonlyArray<Record<string, unknown>>) => {
  const counts = new Map<string, number>()
  for (const item of items.filter((i) => i.partOf === undefined)) {
    const kind = reasonKind(String(item.reason))
    counts.set(kind, (counts.get(kind) ?? 0) + 1)
  }
  return [...counts]
    .map(([reason, records]) => ({ reason, records }))
    .sort((a, b) => b.records - a.records || a.reason.localeCompare(b.reason, 'en'))
}

const itemCount = async (client: DynamoDBDocumentClient, table: string) =>
  (await describeTable(client, table))?.ItemCount

/** A deployed function's event source mapping: its state and last processing result. */
export interface MappingStatus {
  readonly functionName: string
  readonly state: string
  readonly lastProcessingResult: string
}

/** A deployed function's event source mapping, or `none` when the stage has left it out. */
export const mappingStatus = async (
  lambda: LambdaClient,
  functionName: string,
): Promise<MappingStatus> => {
  const { EventSourceMappings = [] } = await lambda.send(
    new ListEventSourceMappingsCommand({ FunctionName: functionName }),
  )
  const [mapping] = EventSourceMappings
  return {
    functionName,
    state: mapping?.State ?? 'none',
    lastProcessingResult: mapping?.LastProcessingResult ?? 'none',
  }
}

const warningsOf = (stream: StreamStatus): string[] => {
  const warnings: string[] = []
  if (stream.retentionHours < MIN_RETENTION_HOURS)
    warnings.push(
      `stream ${stream.name} keeps records ${stream.retentionHours} h, under 7 days: a rebuild from TRIM_HORIZON replays only what is left (raise it with IncreaseStreamRetentionPeriod)`,
    )
  if (
    stream.oldestRecordHours !== undefined &&
    stream.oldestRecordHours > stream.retentionHours * 0.8
  )
    warnings.push(
      `the oldest record is ${stream.oldestRecordHours.toFixed(1)} h old, near the ${stream.retentionHours} h retention: records are ageing out`,
    )
  return warnings
}

/** Everything `winner-view status` shows of a stage. */
export const stageStatus = async (
  stack: Stack,
  streamName: string,
  lambda?: { readonly client: LambdaClient; readonly functionNames: ReadonlyArray<string> },
): Promise<StageStatus> => {
  const stream = await streamStatus(stack.kinesis, streamName)
  // Every view's tables: the winner view's first, as the stack lists its views.
  const names = Object.values(stack.views).flatMap((view) => Object.values(view.names))
  const counts = await Promise.all(names.map((name) => itemCount(stack.dynamo, name)))
  const rejected = await scanAll(stack.dynamo, stack.names.rejected)
  const otherViewsRejected = await Promise.all(
    STACK_VIEWS.slice(1).map(async (view) => ({
      view: view.name,
      byReason: countByReason(await scanAll(stack.dynamo, rejectedTableOf(stack, view.name))),
    })),
  )
  const mappings =
    lambda === undefined
      ? undefined
      : await Promise.all(lambda.functionNames.map((name) => mappingStatus(lambda.client, name)))
  const archive =
    stack.archive === undefined
      ? undefined
      : {
          location: stack.archive.root,
          shards: await archiveStatus(
            stack.archive,
            await streamArchiveId(stack.kinesis, streamName),
          ),
        }
  return {
    version: {
      shown: stack.version,
      tablesStage: stack.tablesStage,
      live: (await readLivePointer(stack.dynamo, stack.stage)).version,
    },
    freshness: await versionMarks(stack.dynamo, stack.tablesStage),
    stream,
    tables: names.map((name, at) => ({ name, items: counts[at] })),
    ...(archive === undefined ? {} : { archive }),
    rejectedByReason: countByReason(rejected),
    otherViewsRejected,
    ...(mappings === undefined ? {} : { mappings }),
    warnings: warningsOf(stream),
  }
}
