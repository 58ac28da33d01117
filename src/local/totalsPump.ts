import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { DynamoDBRecord } from 'aws-lambda'
import { PARTIALS_ROLE } from '../runtime/partials'
import { describeTable } from '../runtime/tableCheck'
import { dynamoTotals, makeTotalsHandler, type TotalsSummary } from '../runtime/totalsStage'
import type { AnyView, ViewTableNames } from '../runtime/view'
import type { Checkpoint, CheckpointStore } from './checkpoints'

/** Records a totals batch takes at most, as the deployment's mapping does. */
export const TOTALS_BATCH_SIZE = 1_000

/** A streams client on the same endpoint, region and credentials as a DynamoDB client. */
export const streamsClientOf = (client: DynamoDBDocumentClient): DynamoDBStreamsClient => {
  const { config } = client as unknown as DynamoDBClient
  return new DynamoDBStreamsClient({
    region: config.region,
    credentials: config.credentials,
    ...(config.isCustomEndpoint && config.endpoint !== undefined
      ? { endpoint: config.endpoint }
      : {}),
  })
}

/** A stream record as Lambda hands it to a function: its creation time in epoch seconds. */
const lambdaRecordOf = (record: StreamRecord): DynamoDBRecord => {
  const created = record.dynamodb?.ApproximateCreationDateTime
  return {
    ...(record as DynamoDBRecord),
    dynamodb: {
      ...(record.dynamodb as DynamoDBRecord['dynamodb']),
      ...(created === undefined ? {} : { ApproximateCreationDateTime: created.getTime() / 1000 }),
    },
  }
}

/** Parents before their children, as Lambda reads a DynamoDB stream's shards. */
export const parentsFirst = (shards: ReadonlyArray<Shard>): Shard[] => {
  const ids = new Set(shards.map((s) => s.ShardId))
  const done = new Set<string | undefined>()
  const ordered: Shard[] = []
  while (ordered.length < shards.length) {
    const ready = shards.filter(
      (s) =>
        !done.has(s.ShardId) &&
        (s.ParentShardId === undefined || !ids.has(s.ParentShardId) || done.has(s.ParentShardId)),
    )
    for (const shard of ready) done.add(shard.ShardId)
    ordered.push(...ready)
  }
  return ordered
}

export interface TotalsPumpOptions {
  readonly dynamo: DynamoDBDocumentClient
  readonly view: AnyView
  readonly names: ViewTableNames
  readonly log?: (summary: TotalsSummary) => void
  /** Where each stream shard was read to, kept across runs (the stream's ARN names them); none: from the oldest. */
  readonly checkpoints?: (streamArn: string) => CheckpointStore
}

/** What a drain did: the stream records it handed over, in how many batches. */
export interface TotalsDrain {
  readonly records: number
  readonly batches: number
}

/** The partials table's stream: its ARN, from the table's description. */
const streamArnOf = async (dynamo: DynamoDBDocumentClient, table: string | undefined) => {
  const arn = (await describeTable(dynamo, table ?? PARTIALS_ROLE))?.LatestStreamArn
  if (arn === undefined) throw new Error(`table ${table} has no stream: the totals cannot move`)
  return arn
}

/** Every shard of a stream, parents first. */
const shardsOf = async (streams: DynamoDBStreamsClient, StreamArn: string) => {
  const shards: Shard[] = []
  let ExclusiveStartShardId: string | undefined
  do {
    const page = await streams.send(new DescribeStreamCommand({ StreamArn, ExclusiveStartShardId }))
    shards.push(...(page.StreamDescription?.Shards ?? []))
    ExclusiveStartShardId = page.StreamDescription?.LastEvaluatedShardId
  } while (ExclusiveStartShardId !== undefined)
  return parentsFirst(shards)
}

/** An iterator after the last record handed over, or at the shard's oldest record. */
const iteratorAfter = async (
  streams: DynamoDBStreamsClient,
  StreamArn: string,
  ShardId: string,
  after: string | undefined,
) =>
  (
    await streams.send(
      new GetShardIteratorCommand({
        StreamArn,
        ShardId,
        ...(after === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
      }),
    )
  ).ShardIterator

type TotalsHandler = ReturnType<typeof makeTotalsHandler>

/** Hands a shard's records to the handler, batch by batch, until none is left, saving where it got to. */
const drainShard = async (
  streams: DynamoDBStreamsClient,
  handler: TotalsHandler,
  shard: { readonly arn: string; readonly id: string; readonly after: string | undefined },
  drained: { records: number; batches: number },
  save: (sequenceNumber: string) => Promise<void>,
): Promise<void> => {
  let iterator = await iteratorAfter(streams, shard.arn, shard.id, shard.after)
  while (iterator !== undefined) {
    const page = await streams.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: TOTALS_BATCH_SIZE }),
    )
    const found = page.Records ?? []
    const last = found[found.length - 1]?.dynamodb?.SequenceNumber
    if (last === undefined) return
    const { batchItemFailures } = await handler({ Records: found.map(lambdaRecordOf) })
    const failed = batchItemFailures[0]
    if (failed !== undefined) throw new Error(`the totals failed from ${failed.itemIdentifier}`)
    await save(last)
    drained.records += found.length
    drained.batches += 1
    iterator = page.NextShardIterator
  }
}

/**
 * The local stand-in for the totals stage's event source mapping: reads a view's
 * partials stream (DynamoDB Local serves the Streams API), hands each batch to the
 * totals handler the deployment runs, and stops once every shard is read to its end. Given checkpoints, a drain resumes where the last one
 * stopped; without, it reads each shard from its oldest record, which changes nothing the
 * last one did (the stage is idempotent).
 */
export const makeTotalsPump = ({
  dynamo,
  view,
  names,
  log = () => {},
  checkpoints,
}: TotalsPumpOptions) => {
  const streams = streamsClientOf(dynamo)
  const handler = makeTotalsHandler(view, dynamoTotals(dynamo, names), log)
  /** Reads every shard of the partials stream to its end, moving the totals. */
  const drain = async (): Promise<TotalsDrain> => {
    const arn = await streamArnOf(dynamo, names[PARTIALS_ROLE])
    const kept = checkpoints?.(arn)
    const positions = (await kept?.load()) ?? new Map<string, Checkpoint>()
    const drained = { records: 0, batches: 0 }
    for (const { ShardId: id = '' } of await shardsOf(streams, arn)) {
      const after = positions.get(id)?.sequenceNumber
      await drainShard(streams, handler, { arn, id, after }, drained, async (sequenceNumber) => {
        await kept?.save({ shardId: id, sequenceNumber, finished: false })
      })
    }
    return drained
  }
  return { drain }
}
