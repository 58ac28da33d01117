import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { backoffDelay, defaultRetryPolicy, type RetryPolicy, sleep } from './backoff'
import { CLIENT_RETRY, type ClientRetry } from './clientRetry'
import { forEachAtMost } from './concurrency'
import { interpretWriteError, isPermanent } from './dynamoErrors'
import { putMark } from './dynamoMarks'
import { expiringRejectedItems, transactionItems } from './items'
import { MARKS_ROLE } from './marks'
import type { StateWrite, Store, StoredState, WriteOutcome } from './store'
import { checkTables } from './tableCheck'
import type { AnyView, View, ViewTableNames } from './view'

const MAX_BATCH_GET = 100
const MAX_BATCH_WRITE = 25
/** Batch requests of one read, or of one keeping of rejected records, in flight at once. */
const REQUESTS_AT_ONCE = 8

const chunks = <A>(items: ReadonlyArray<A>, size: number): A[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, i * size + size),
  )

/**
 * Repeats a batch call on what DynamoDB left unprocessed, with backoff, until none is
 * left. The SDK cannot do this: an unprocessed key is a successful answer.
 */
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
  /** The view's tables' names, by role. */
  readonly names: ViewTableNames
  /** For unprocessed keys and items only; the client retries failed calls itself. */
  readonly retry?: RetryPolicy
  /** Days a Rejected item is kept before DynamoDB's time to live may delete it; none: kept. */
  readonly rejectedRetentionDays?: number
}

const unprocessedKeys = (
  table: string,
  unprocessed: GetRequest | undefined,
): GetRequest | undefined => {
  const left = unprocessed?.[table]
  return left?.Keys?.length ? { [table]: left } : undefined
}

/** A table's name by role: the names come from the view's own roles, so one is always there. */
const nameOf = (names: ViewTableNames, role: string): string => names[role] ?? role

const readStates =
  <Event, State>(
    view: View<Event, State>,
    { client, names, retry = defaultRetryPolicy }: DynamoStoreOptions,
  ) =>
  async (keys: ReadonlyArray<string>): Promise<Map<string, StoredState<State>>> => {
    const table = nameOf(names, view.tables.state.role)
    const keyAttribute = view.tables.state.keyAttribute
    const found = new Map<string, StoredState<State>>()
    // Chunks are independent reads: a cold container's first batch pays one round trip, not one per 100 keys.
    await forEachAtMost(REQUESTS_AT_ONCE, chunks([...new Set(keys)], MAX_BATCH_GET), (chunk) => {
      const request: GetRequest = {
        [table]: { Keys: chunk.map((key) => ({ [keyAttribute]: key })), ConsistentRead: true },
      }
      return drainUnprocessed(retry, 'BatchGetItem', request, async (RequestItems) => {
        const answer = await client.send(new BatchGetCommand({ RequestItems }))
        for (const item of answer.Responses?.[table] ?? []) {
          found.set(String(item[keyAttribute]), view.fromItem(item))
        }
        return unprocessedKeys(table, answer.UnprocessedKeys)
      })
    })
    return found
  }

type RejectedItem = Record<string, unknown>

/** Puts items with BatchWriteItem, asking again for what DynamoDB left unprocessed. */
const putAll = async (
  { client, retry = defaultRetryPolicy }: DynamoStoreOptions,
  table: string,
  items: ReadonlyArray<RejectedItem>,
): Promise<void> => {
  const puts: WriteRequest = { [table]: items.map((Item) => ({ PutRequest: { Item } })) }
  await drainUnprocessed(retry, 'BatchWriteItem', puts, async (RequestItems) => {
    const answer = await client.send(new BatchWriteCommand({ RequestItems }))
    const unprocessed = answer.UnprocessedItems?.[table]
    return unprocessed?.length ? { [table]: unprocessed } : undefined
  })
}

/**
 * Puts one request's items. DynamoDB refuses a whole request for one bad item, so a
 * refused request is put again item by item: one bad item never keeps the others out.
 */
const putEachIfRefused = async (
  options: DynamoStoreOptions,
  table: string,
  batch: ReadonlyArray<RejectedItem>,
): Promise<void> => {
  try {
    await putAll(options, table, batch)
  } catch (error) {
    if (batch.length === 1 || !isPermanent(error as { name?: string })) throw error
    // Every item is tried, a few at a time, before the first failure is thrown.
    const failures: unknown[] = []
    await forEachAtMost(REQUESTS_AT_ONCE, batch, (item) =>
      putAll(options, table, [item]).catch((failure: unknown) => {
        failures.push(failure)
      }),
    )
    if (failures.length > 0) throw failures[0]
  }
}

/** Keeps rejected records whole, 25 items a request, several requests at once. */
const keepRejected =
  (view: AnyView, options: DynamoStoreOptions): Store<unknown>['keepRejected'] =>
  async (records) => {
    const table = nameOf(options.names, view.tables.rejected.role)
    await forEachAtMost(
      REQUESTS_AT_ONCE,
      chunks(
        records.flatMap((r) => expiringRejectedItems(r, options.rejectedRetentionDays, Date.now())),
        MAX_BATCH_WRITE,
      ),
      (batch) => putEachIfRefused(options, table, batch),
    )
  }

const writeStates =
  <Event, State>(view: View<Event, State>, { client, names }: DynamoStoreOptions) =>
  async (writes: ReadonlyArray<StateWrite<State>>): Promise<WriteOutcome> => {
    try {
      // The SDK gives each transaction a ClientRequestToken and its retries reuse it: a
      // retry after a lost answer is the same request to DynamoDB, done once.
      await client.send(
        new TransactWriteCommand({ TransactItems: transactionItems(view, names, writes) }),
      )
      return { kind: 'committed' }
    } catch (error) {
      return interpretWriteError(error, writes)
    }
  }

/** A view's Store on DynamoDB: consistent batch reads, one transaction per write, batch puts. */
export const makeDynamoStore = <Event, State>(
  view: View<Event, State>,
  options: DynamoStoreOptions,
): Store<State> => ({
  checkTables: () => checkTables(options.client, view, options.names),
  readStates: readStates(view, options),
  writeStates: writeStates(view, options),
  keepRejected: keepRejected(view, options),
  markFolded: (mark) => putMark(options.client, nameOf(options.names, MARKS_ROLE), mark),
})

/**
 * A number as read: as a JS number when it is one exactly enough, else (beyond 2^53, as
 * another program may write) as its text, for the item codec to refuse. Left to the SDK,
 * such a number throws while the whole batch answer is read, failing every key of
 * the batch instead of the one item.
 */
const readNumber = (text: string): number | string => {
  const value = Number(text)
  return Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER ? value : text
}

/** A document client over a low-level one, dropping undefined attributes. */
export const documentClientOf = (client: DynamoDBClient): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: { wrapNumbers: readNumber },
  })

/** A DynamoDB client for any endpoint, its timeouts enforced as `retry` says. */
export const makeDynamoClient = (
  config: DynamoDBClientConfig = {},
  retry: ClientRetry = CLIENT_RETRY,
): DynamoDBClient =>
  new DynamoDBClient({
    maxAttempts: retry.maxAttempts,
    requestHandler: new NodeHttpHandler({
      requestTimeout: retry.requestTimeoutMs,
      throwOnRequestTimeout: true,
      connectionTimeout: retry.connectionTimeoutMs,
      socketTimeout: retry.socketTimeoutMs,
    }),
    ...config,
  })

/** A document client for any endpoint, with the retry settings above. */
export const makeDocumentClient = (config: DynamoDBClientConfig = {}): DynamoDBDocumentClient =>
  documentClientOf(makeDynamoClient(config))
