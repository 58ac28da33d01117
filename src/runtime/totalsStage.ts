import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { unmarshall } from '@aws-sdk/util-dynamodb'
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda'
import { describeError } from './commit'
import { forEachAtMost } from './concurrency'
import { expressionParts, tableNameOf } from './items'
import {
  aggregateOfItem,
  PARTIAL_ITEM,
  PARTIAL_WRITER,
  PARTIALS_ROLE,
  partialItemOf,
} from './partials'
import {
  appliedAttributeOf,
  appliedVersionOf,
  applyRun,
  type PartialChange,
  type PartialRun,
  partialImageOf,
  type RunOutcome,
  runsOf,
  type StoredPartial,
  TOTALS_REVISION,
  type TotalsAnswer,
  type TotalsStore,
  type TotalsUpdate,
  totalsOfPartials,
  type UpdateTotals,
} from './totals'
import type { AnyView, ViewTableNames } from './view'

/** Totals items updated at once: each is one plain request, and plain updates never conflict. */
export const UPDATES_AT_ONCE = 8

type StreamImage = Record<string, AttributeValue> | undefined

/** A partial's image from a stream record's image; undefined when the record has none. */
const imageOf = (image: StreamImage) =>
  image === undefined
    ? undefined
    : partialImageOf(unmarshall(image as Parameters<typeof unmarshall>[0]))

/** A partials stream record as a change; throws on a record the partials table cannot make. */
export const partialChangeOf = (record: DynamoDBRecord): PartialChange => {
  const keys = unmarshall((record.dynamodb?.Keys ?? {}) as Parameters<typeof unmarshall>[0])
  const [item, writer, sequenceNumber] = [
    keys[PARTIAL_ITEM],
    keys[PARTIAL_WRITER],
    record.dynamodb?.SequenceNumber,
  ]
  if (typeof item !== 'string' || typeof writer !== 'string' || sequenceNumber === undefined)
    throw new Error('a change with no partial key or no sequence number')
  const before = imageOf(record.dynamodb?.OldImage as StreamImage)
  const after = imageOf(record.dynamodb?.NewImage as StreamImage)
  return {
    sequenceNumber,
    item,
    writer,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
  }
}

/** The update's expression: SET the attributes and the writer's version, ADD the sums. */
const expressionOf = (update: TotalsUpdate) => {
  const { names, values, part } = expressionParts(
    { '#applied': appliedAttributeOf(update.writer), '#revision': TOTALS_REVISION },
    { ':to': update.toVersion, ':one': 1 },
  )
  const sets = ['#applied = :to', ...part('s', Object.entries(update.set), ' = ')]
  const adds = ['#revision :one', ...part('a', Object.entries(update.add), ' ')]
  const condition = update.fromVersion === 0 ? 'attribute_not_exists(#applied)' : '#applied = :from'
  if (update.fromVersion !== 0) values[':from'] = update.fromVersion
  return {
    UpdateExpression: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  }
}

/**
 * The totals' conditional update on DynamoDB: one plain UpdateItem, applied only when
 * the item includes the writer's partial at the version the step starts from. Refused,
 * it answers with the version the item includes (from the refusal's item, or a read).
 */
const dynamoUpdate =
  (client: DynamoDBDocumentClient, names: ViewTableNames): UpdateTotals =>
  async (update): Promise<TotalsAnswer> => {
    const TableName = tableNameOf(names, update.table)
    const request = {
      TableName,
      Key: { ...update.key },
      ...expressionOf(update),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    }
    const refused = await client.send(new UpdateCommand(request)).then(
      () => undefined,
      (error: unknown) => refusedItem(error),
    )
    if (refused === undefined) return { kind: 'applied' }
    const item =
      refused.Item === undefined
        ? await readTotals(client, TableName, update)
        : unmarshallItem(refused.Item)
    return { kind: 'includes', applied: appliedVersionOf(item, update.writer) }
  }

/** A refused condition's item (when the endpoint returns it); any other failure is thrown. */
const refusedItem = (error: unknown): { Item?: Record<string, AttributeValue> } => {
  const { name, Item } = error as { name?: string; Item?: Record<string, AttributeValue> }
  if (name !== 'ConditionalCheckFailedException') throw error
  return Item === undefined ? {} : { Item }
}

const unmarshallItem = (item: Record<string, AttributeValue>) =>
  unmarshall(item as Parameters<typeof unmarshall>[0])

/** A totals item read consistently, for an endpoint that refuses without the item. */
const readTotals = async (
  client: DynamoDBDocumentClient,
  TableName: string,
  update: TotalsUpdate,
) =>
  (await client.send(new GetCommand({ TableName, Key: { ...update.key }, ConsistentRead: true })))
    .Item

/** Every partial stored for an aggregate item, by a consistent query of its key. */
const storedPartials = async (
  client: DynamoDBDocumentClient,
  table: string,
  aggregate: string,
): Promise<StoredPartial[]> => {
  const partials: StoredPartial[] = []
  let ExclusiveStartKey: Record<string, unknown> | undefined
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#item = :item',
        ExpressionAttributeNames: { '#item': PARTIAL_ITEM },
        ExpressionAttributeValues: { ':item': partialItemOf(aggregate) },
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    )
    for (const item of page.Items ?? [])
      partials.push({ ...partialImageOf(item), writer: String(item[PARTIAL_WRITER]) })
    ExclusiveStartKey = page.LastEvaluatedKey
  } while (ExclusiveStartKey !== undefined)
  return partials
}

/** Attempts of a resync whose totals item keeps moving under it before its batch fails. */
const RESYNCS_TOLERATED = 3

/**
 * A resync on DynamoDB: the partials read consistently, the totals item replaced by
 * their sum with each writer's version, on the condition that its revision (every
 * update adds 1) is still the one read, so that no update made meanwhile is lost.
 */
const dynamoResync =
  (client: DynamoDBDocumentClient, names: ViewTableNames) =>
  async (aggregate: string): Promise<void> => {
    for (let attempt = 1; attempt <= RESYNCS_TOLERATED; attempt += 1)
      if (await resyncOnce(client, names, aggregate)) return
    throw new Error(`totals of ${aggregate} kept moving under a resync`)
  }

/** One attempt: false when the totals item moved between its read and its replacement. */
const resyncOnce = async (
  client: DynamoDBDocumentClient,
  names: ViewTableNames,
  aggregate: string,
): Promise<boolean> => {
  const { table, key } = aggregateOfItem(aggregate)
  const TableName = tableNameOf(names, table)
  const current = await client.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }))
  const revision = Number(current.Item?.[TOTALS_REVISION] ?? 0)
  const partials = await storedPartials(client, tableNameOf(names, PARTIALS_ROLE), aggregate)
  const put = new PutCommand({
    TableName,
    Item: { ...totalsOfPartials(aggregate, partials), [TOTALS_REVISION]: revision + 1 },
    ConditionExpression: revision === 0 ? 'attribute_not_exists(#r)' : '#r = :r',
    ExpressionAttributeNames: { '#r': TOTALS_REVISION },
    ...(revision === 0 ? {} : { ExpressionAttributeValues: { ':r': revision } }),
  })
  return client.send(put).then(
    () => true,
    (error: unknown) => {
      refusedItem(error) // anything but a refused condition is thrown
      return false
    },
  )
}

/** The totals on DynamoDB: plain conditional updates, and resyncs from the partials. */
export const dynamoTotals = (
  client: DynamoDBDocumentClient,
  names: ViewTableNames,
): TotalsStore => ({ update: dynamoUpdate(client, names), resync: dynamoResync(client, names) })

/** One line per batch of the totals stage: counts and positions, never an item. */
export interface TotalsSummary {
  readonly level: 'info' | 'warn'
  readonly message: 'totals'
  readonly view: string
  readonly records: number
  /** Partials changed in the batch: each moves its totals item once at most. */
  readonly partials: number
  readonly updates: number
  /** Partials whose change the totals included already (a batch delivered again). */
  readonly included: number
  /** Totals items made whole again from their partials (a change lost, or a partial deleted). */
  readonly resyncs: number
  readonly failedFrom: string | null
  readonly failure: string | null
  readonly durationMs: number
  /** Now less the newest change's time in the stream: how far the totals trail. */
  readonly newestChangeAgeMs: number | null
}

const newestChangeAge = (records: ReadonlyArray<DynamoDBRecord>): number | null => {
  const times = records.map((r) => r.dynamodb?.ApproximateCreationDateTime ?? 0)
  return times.length === 0 ? null : Math.max(0, Date.now() - Math.max(...times) * 1000)
}

/** Applies every run, a few at a time; each failed run with its failure. */
const applyAll = async (store: TotalsStore, runs: ReadonlyArray<PartialRun>) => {
  const outcomes: RunOutcome[] = []
  const failed: Array<{ run: PartialRun; failure: string }> = []
  await forEachAtMost(UPDATES_AT_ONCE, runs, async (run) => {
    try {
      outcomes.push(await applyRun(store, run))
    } catch (error) {
      failed.push({ run, failure: describeError(error) })
    }
  })
  return { outcomes, failed }
}

/**
 * The batch's records as changes, up to the first that cannot be read (a partial the
 * runtime did not write): it and those after it are left for the batch's failure.
 */
const changesOf = (records: ReadonlyArray<DynamoDBRecord>) => {
  const changes: PartialChange[] = []
  for (const [at, record] of records.entries()) {
    try {
      changes.push(partialChangeOf(record))
    } catch (error) {
      return { changes, unreadable: { at, failure: `stream record: ${describeError(error)}` } }
    }
  }
  return { changes, unreadable: undefined }
}

/** The earliest record to deliver again: the first of the earliest failed run, or an unreadable one. */
const earliestFailure = (
  records: ReadonlyArray<DynamoDBRecord>,
  failed: ReadonlyArray<{ run: PartialRun; failure: string }>,
  unreadable: { at: number; failure: string } | undefined,
) =>
  [
    ...failed.map(({ run, failure }) => ({
      at: records.findIndex((r) => r.dynamodb?.SequenceNumber === run.sequenceNumber),
      failure,
    })),
    ...(unreadable === undefined ? [] : [unreadable]),
  ].sort((a, b) => a.at - b.at)[0]

/**
 * The totals stage's handler for a batch of the partials table's stream: sums each
 * partial's changes into its totals item (`applyRun`), and returns the first record of
 * the earliest run that failed (or of the first record it cannot read), so that Lambda
 * delivers it again from there. Every run before it was applied; those after it are
 * applied, and included on the next delivery.
 */
export const makeTotalsHandler =
  (view: AnyView, store: TotalsStore, log: (summary: TotalsSummary) => void) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const started = Date.now()
    const records = event.Records
    const { changes, unreadable } = changesOf(records)
    const runs = runsOf(changes)
    const { outcomes, failed } = await applyAll(store, runs)
    const first = earliestFailure(records, failed, unreadable)
    const failedFrom =
      first === undefined ? null : (records[first.at]?.dynamodb?.SequenceNumber ?? null)
    const count = (outcome: RunOutcome) => outcomes.filter((o) => o === outcome).length
    log({
      level: failedFrom === null ? 'info' : 'warn',
      message: 'totals',
      view: view.name,
      records: records.length,
      partials: runs.length,
      updates: count('applied'),
      included: count('included'),
      resyncs: count('resynced'),
      failedFrom,
      failure: first?.failure ?? null,
      durationMs: Date.now() - started,
      newestChangeAgeMs: newestChangeAge(records),
    })
    return { batchItemFailures: failedFrom === null ? [] : [{ itemIdentifier: failedFrom }] }
  }
