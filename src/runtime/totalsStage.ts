import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { unmarshall } from '@aws-sdk/util-dynamodb'
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda'
import { describeError } from './commit'
import { forEachAtMost } from './concurrency'
import { PARTIAL_ITEM, PARTIAL_WRITER } from './partials'
import {
  appliedAttributeOf,
  applyRun,
  type PartialChange,
  type PartialRun,
  partialImageOf,
  type RunOutcome,
  runsOf,
  type TotalsAnswer,
  type TotalsUpdate,
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
  const before = imageOf(record.dynamodb?.OldImage as StreamImage)
  const after = imageOf(record.dynamodb?.NewImage as StreamImage)
  return {
    sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
    item: String(keys[PARTIAL_ITEM]),
    writer: String(keys[PARTIAL_WRITER]),
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
  }
}

/** The update's expression: SET the attributes and the writer's version, ADD the sums. */
const expressionOf = (update: TotalsUpdate) => {
  const names: Record<string, string> = { '#applied': appliedAttributeOf(update.writer) }
  const values: Record<string, unknown> = { ':to': update.toVersion }
  const part = (prefix: string, entries: ReadonlyArray<[string, unknown]>, joint: string) =>
    entries.map(([name, value], at) => {
      names[`#${prefix}${at}`] = name
      values[`:${prefix}${at}`] = value
      return `#${prefix}${at}${joint}:${prefix}${at}`
    })
  const sets = ['#applied = :to', ...part('s', Object.entries(update.set), ' = ')]
  const adds = part('a', Object.entries(update.add), ' ')
  const condition = update.fromVersion === 0 ? 'attribute_not_exists(#applied)' : '#applied = :from'
  if (update.fromVersion !== 0) values[':from'] = update.fromVersion
  return {
    UpdateExpression: `SET ${sets.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  }
}

/** The version of the writer's partial a totals item includes, 0 for none. */
const appliedIn = (item: Record<string, unknown> | undefined, writer: string): number =>
  Number(item?.[appliedAttributeOf(writer)] ?? 0)

/**
 * The totals' conditional update on DynamoDB: one plain UpdateItem, applied only when
 * the item includes the writer's partial at the version the step starts from. Refused,
 * it answers with the version the item includes (from the refusal's item, or a read).
 */
export const dynamoTotals =
  (client: DynamoDBDocumentClient, names: ViewTableNames): UpdateTotals =>
  async (update): Promise<TotalsAnswer> => {
    const TableName = names[update.table]
    if (TableName === undefined) throw new Error(`no table is named for the role ${update.table}`)
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
    return { kind: 'includes', applied: appliedIn(item, update.writer) }
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

/** Applies every run, a few at a time; the index of the first record of each failed run. */
const applyAll = async (update: UpdateTotals, runs: ReadonlyArray<PartialRun>) => {
  const outcomes: RunOutcome[] = []
  const failed: Array<{ run: PartialRun; failure: string }> = []
  await forEachAtMost(UPDATES_AT_ONCE, runs, async (run) => {
    try {
      outcomes.push(await applyRun(update, run))
    } catch (error) {
      failed.push({ run, failure: describeError(error) })
    }
  })
  return { outcomes, failed }
}

/**
 * The totals stage's handler for a batch of the partials table's stream: sums each
 * partial's changes into its totals item (`applyRun`), and returns the first record of
 * the earliest run that failed, so that Lambda delivers it again from there. Every run
 * before it was applied; those after it are applied, and included on the next delivery.
 */
export const makeTotalsHandler =
  (view: AnyView, update: UpdateTotals, log: (summary: TotalsSummary) => void) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const started = Date.now()
    const records = event.Records
    const changes = records.map(partialChangeOf)
    const runs = runsOf(changes)
    const { outcomes, failed } = await applyAll(update, runs)
    const firstFailed = failed
      .map(({ run, failure }) => ({
        at: changes.findIndex((c) => c.sequenceNumber === run.sequenceNumber),
        failure,
      }))
      .sort((a, b) => a.at - b.at)[0]
    const failedFrom =
      firstFailed === undefined ? null : (changes[firstFailed.at]?.sequenceNumber ?? null)
    log({
      level: failedFrom === null ? 'info' : 'warn',
      message: 'totals',
      view: view.name,
      records: records.length,
      partials: runs.length,
      updates: outcomes.filter((o) => o === 'applied').length,
      included: outcomes.filter((o) => o === 'included').length,
      failedFrom,
      failure: firstFailed?.failure ?? null,
      durationMs: Date.now() - started,
      newestChangeAgeMs: newestChangeAge(records),
    })
    return { batchItemFailures: failedFrom === null ? [] : [{ itemIdentifier: failedFrom }] }
  }
