import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb'
import { initial, type ProductState } from '../domain/product'
import { mergeDeltas, type ScoreDelta } from '../domain/scores'
import { backoffDelay, defaultRetryPolicy, type RetryPolicy, sleep } from './backoff'
import type { TableNames } from './tables'

/** A product's new state, the position it was folded from, and what it adds to Scores. */
export interface ProductWrite {
  readonly state: ProductState
  readonly expectedSequenceNumber: string | undefined
  readonly deltas: ReadonlyArray<ScoreDelta>
}

/** DynamoDB's answer to one transaction, as a value. */
export type WriteOutcome =
  | { readonly kind: 'committed' }
  | { readonly kind: 'stale'; readonly productIds: ReadonlyArray<string> }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string }

/** A record that cannot be folded, kept with its reason so it can be read and replayed. */
export interface RejectedRecord {
  readonly eventId: string
  readonly shardId: string
  readonly sequenceNumber: string
  readonly partitionKey: string
  readonly data: string
  readonly reason: string
}

/** What the handler needs from storage. */
export interface Store {
  readonly readProducts: (productIds: ReadonlyArray<string>) => Promise<Map<string, ProductState>>
  readonly writeProducts: (writes: ReadonlyArray<ProductWrite>) => Promise<WriteOutcome>
  readonly keepRejected: (records: ReadonlyArray<RejectedRecord>) => Promise<void>
}

/** DynamoDB allows 100 items per transaction and 100 keys per BatchGetItem. */
export const MAX_TRANSACTION_ITEMS = 100
const MAX_BATCH_GET = 100
const MAX_BATCH_WRITE = 25
// An item holds 400 KB; the raw data of a rejected record is kept up to this many characters.
const MAX_REJECTED_DATA = 300_000

/** A Contributions item from a product state; absent roles stay absent (sparse indexes). */
export const productToItem = (state: ProductState): Record<string, unknown> =>
  Object.fromEntries(Object.entries(state).filter(([, value]) => value !== undefined))

/** A product state from a Contributions item. */
export const itemToProduct = (item: Record<string, unknown>): ProductState => {
  const text = (field: string): string | undefined =>
    typeof item[field] === 'string' ? item[field] : undefined
  const count = (field: string): number => (typeof item[field] === 'number' ? item[field] : 0)
  return {
    ...initial(String(item.productId)),
    creator: text('creator'),
    photographer: text('photographer'),
    brand: text('brand'),
    name: text('name'),
    category: text('category'),
    purchases: count('purchases'),
    creatorScore: count('creatorScore'),
    photographerScore: count('photographerScore'),
    lastSequenceNumber: text('lastSequenceNumber'),
    lastEventId: text('lastEventId'),
    created: text('created'),
    updated: text('updated'),
  }
}

/** A Rejected item; a payload too large for one item keeps its first 300,000 characters. */
export const rejectedToItem = (record: RejectedRecord): Record<string, unknown> =>
  record.data.length <= MAX_REJECTED_DATA
    ? { ...record }
    : { ...record, data: record.data.slice(0, MAX_REJECTED_DATA), dataLength: record.data.length }

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number]

/** One transaction: each product's conditional Put, then the merged ADDs to Scores. */
export const transactionItems = (
  names: TableNames,
  writes: ReadonlyArray<ProductWrite>,
): TransactItem[] => {
  const puts = writes.map(
    ({ state, expectedSequenceNumber }): TransactItem => ({
      Put: {
        TableName: names.contributions,
        Item: productToItem(state),
        ...(expectedSequenceNumber === undefined
          ? { ConditionExpression: 'attribute_not_exists(productId)' }
          : {
              ConditionExpression: 'lastSequenceNumber = :expected',
              ExpressionAttributeValues: { ':expected': expectedSequenceNumber },
            }),
      },
    }),
  )
  const adds = mergeDeltas(writes.flatMap((write) => write.deltas)).map(
    (delta): TransactItem => ({
      Update: {
        TableName: names.scores,
        Key: { userId: delta.userId, role: delta.role },
        UpdateExpression: 'ADD score :score, products :products',
        ExpressionAttributeValues: { ':score': delta.score, ':products': delta.products },
      },
    }),
  )
  return [...puts, ...adds]
}

const RETRYABLE_REASONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
  'InternalServerError',
])

interface CancellationReason {
  readonly Code?: string
  readonly Message?: string
}

const interpretCancellation = (
  reasons: ReadonlyArray<CancellationReason>,
  writes: ReadonlyArray<ProductWrite>,
): WriteOutcome => {
  // Items are the Puts first, in the order of `writes`, so an index names a product.
  const stale = writes.filter((_, at) => reasons[at]?.Code === 'ConditionalCheckFailed')
  if (stale.length > 0) return { kind: 'stale', productIds: stale.map((w) => w.state.productId) }
  const codes = reasons.map((r) => r.Code ?? 'None').filter((code) => code !== 'None')
  if (codes.some((code) => RETRYABLE_REASONS.has(code)))
    return { kind: 'retry', reason: codes.join(', ') }
  const invalid = reasons.find((r) => r.Code !== undefined && r.Code !== 'None')
  return invalid === undefined
    ? { kind: 'retry', reason: 'transaction cancelled without a reason' }
    : { kind: 'invalid', reason: `${invalid.Code}: ${invalid.Message ?? ''}`.trim() }
}

/** Interprets a TransactWriteItems failure: a failed condition or a bad item is a value. */
export const interpretWriteError = (
  error: unknown,
  writes: ReadonlyArray<ProductWrite>,
): WriteOutcome => {
  const failure = error as {
    name?: string
    message?: string
    CancellationReasons?: CancellationReason[]
  }
  if (failure.name === 'TransactionCanceledException') {
    return interpretCancellation(failure.CancellationReasons ?? [], writes)
  }
  if (failure.name === 'ValidationException') {
    return { kind: 'invalid', reason: `ValidationException: ${failure.message ?? ''}` }
  }
  // Throttling, conflicts, network faults, and errors of configuration (a missing table)
  // are retried, then reported so Lambda retries the batch: nothing is dropped for them.
  return {
    kind: 'retry',
    reason: `${failure.name ?? 'Error'}: ${failure.message ?? String(error)}`,
  }
}

const chunks = <A>(items: ReadonlyArray<A>, size: number): A[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, i * size + size),
  )

/** Repeats a batch call on what DynamoDB left unprocessed, with backoff, until none is left. */
const drainUnprocessed = async <A>(
  policy: RetryPolicy,
  what: string,
  first: A,
  send: (request: A) => Promise<A | undefined>,
): Promise<void> => {
  let pending: A | undefined = first
  for (let attempt = 1; pending !== undefined; attempt += 1) {
    if (attempt > policy.maxAttempts)
      throw new Error(`${what}: items still unprocessed after ${policy.maxAttempts} attempts`)
    if (attempt > 1) await sleep(backoffDelay(policy, attempt - 1))
    pending = await send(pending)
  }
}

type GetRequest = NonNullable<BatchGetCommandInput['RequestItems']>
type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>

export interface DynamoStoreOptions {
  readonly client: DynamoDBDocumentClient
  readonly names: TableNames
  readonly retry?: RetryPolicy
}

const unprocessedKeys = (
  table: string,
  unprocessed: GetRequest | undefined,
): GetRequest | undefined => {
  const left = unprocessed?.[table]
  return left?.Keys?.length ? { [table]: left } : undefined
}

const readProducts =
  ({ client, names, retry = defaultRetryPolicy }: DynamoStoreOptions) =>
  async (productIds: ReadonlyArray<string>): Promise<Map<string, ProductState>> => {
    const table = names.contributions
    const found = new Map<string, ProductState>()
    for (const ids of chunks([...new Set(productIds)], MAX_BATCH_GET)) {
      const keys: GetRequest = {
        [table]: { Keys: ids.map((productId) => ({ productId })), ConsistentRead: true },
      }
      await drainUnprocessed(retry, 'BatchGetItem', keys, async (RequestItems) => {
        const answer = await client.send(new BatchGetCommand({ RequestItems }))
        for (const state of (answer.Responses?.[table] ?? []).map(itemToProduct)) {
          found.set(state.productId, state)
        }
        return unprocessedKeys(table, answer.UnprocessedKeys)
      })
    }
    return found
  }

const keepRejected =
  ({ client, names, retry = defaultRetryPolicy }: DynamoStoreOptions) =>
  async (records: ReadonlyArray<RejectedRecord>): Promise<void> => {
    const table = names.rejected
    for (const batch of chunks(records, MAX_BATCH_WRITE)) {
      const puts: WriteRequest = {
        [table]: batch.map((r) => ({ PutRequest: { Item: rejectedToItem(r) } })),
      }
      await drainUnprocessed(retry, 'BatchWriteItem', puts, async (RequestItems) => {
        const answer = await client.send(new BatchWriteCommand({ RequestItems }))
        const unprocessed = answer.UnprocessedItems?.[table]
        return unprocessed?.length ? { [table]: unprocessed } : undefined
      })
    }
  }

const writeProducts =
  ({ client, names }: DynamoStoreOptions) =>
  async (writes: ReadonlyArray<ProductWrite>): Promise<WriteOutcome> => {
    try {
      await client.send(
        new TransactWriteCommand({ TransactItems: transactionItems(names, writes) }),
      )
      return { kind: 'committed' }
    } catch (error) {
      return interpretWriteError(error, writes)
    }
  }

/** The Store on DynamoDB: consistent batch reads, one transaction per write, batch puts. */
export const makeDynamoStore = (options: DynamoStoreOptions): Store => ({
  readProducts: readProducts(options),
  writeProducts: writeProducts(options),
  keepRejected: keepRejected(options),
})

/** A document client over a low-level one, dropping undefined attributes. */
export const documentClientOf = (client: DynamoDBClient): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } })

/** A document client for any endpoint. */
export const makeDocumentClient = (config: DynamoDBClientConfig = {}): DynamoDBDocumentClient =>
  documentClientOf(new DynamoDBClient(config))
