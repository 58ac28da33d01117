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
import type { ProductWrite, Store, StoredProduct, WriteOutcome } from '../handlers/store'
import { backoffDelay, defaultRetryPolicy, type RetryPolicy, sleep } from './backoff'
import { interpretWriteError, isPermanent } from './dynamoErrors'
import { itemToProduct, rejectedItems, transactionItems } from './items'
import { checkTables } from './tableCheck'
import type { TableNames } from './tables'

const MAX_BATCH_GET = 100
const MAX_BATCH_WRITE = 25

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
  readonly names: TableNames
  /** For unprocessed keys and items only; the client retries failed calls itself. */
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
  async (productIds: ReadonlyArray<string>): Promise<Map<string, StoredProduct>> => {
    const table = names.contributions
    const found = new Map<string, StoredProduct>()
    for (const ids of chunks([...new Set(productIds)], MAX_BATCH_GET)) {
      const keys: GetRequest = {
        [table]: { Keys: ids.map((productId) => ({ productId })), ConsistentRead: true },
      }
      await drainUnprocessed(retry, 'BatchGetItem', keys, async (RequestItems) => {
        const answer = await client.send(new BatchGetCommand({ RequestItems }))
        for (const item of answer.Responses?.[table] ?? []) {
          found.set(String(item.productId), itemToProduct(item))
        }
        return unprocessedKeys(table, answer.UnprocessedKeys)
      })
    }
    return found
  }

type RejectedItem = Record<string, unknown>

/** Puts items with BatchWriteItem, asking again for what DynamoDB left unprocessed. */
const putAll = async (
  { client, names, retry = defaultRetryPolicy }: DynamoStoreOptions,
  items: ReadonlyArray<RejectedItem>,
): Promise<void> => {
  const table = names.rejected
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
  batch: ReadonlyArray<RejectedItem>,
): Promise<void> => {
  try {
    await putAll(options, batch)
  } catch (error) {
    if (batch.length === 1 || !isPermanent(error as { name?: string })) throw error
    const failures = await Promise.allSettled(batch.map((item) => putAll(options, [item])))
    const failed = failures.find((result) => result.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }
}

/** Keeps rejected records whole, 25 items a request. */
const keepRejected =
  (options: DynamoStoreOptions): Store['keepRejected'] =>
  async (records) => {
    for (const batch of chunks(records.flatMap(rejectedItems), MAX_BATCH_WRITE)) {
      await putEachIfRefused(options, batch)
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
  checkTables: () => checkTables(options.client, options.names),
  readProducts: readProducts(options),
  writeProducts: writeProducts(options),
  keepRejected: keepRejected(options),
})

/**
 * A number as read: as a JS number when it is one exactly enough, else (beyond 2^53, as
 * another program may write) as its text, for the item codec to refuse. Left to the SDK,
 * such a number throws while the whole batch answer is read, failing every product of
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

/**
 * The SDK's own retry handles throttling, server errors and timeouts of single calls:
 * three attempts, each cut off after five seconds, so a hung connection cannot eat the
 * function's time. The view's own loop handles only what the SDK cannot know.
 */
export const CLIENT_RETRY = { maxAttempts: 3, requestTimeoutMs: 5_000, connectionTimeoutMs: 2_000 }

/** A DynamoDB client for any endpoint, with the retry settings above. */
export const makeDynamoClient = (config: DynamoDBClientConfig = {}): DynamoDBClient =>
  new DynamoDBClient({
    maxAttempts: CLIENT_RETRY.maxAttempts,
    requestHandler: new NodeHttpHandler({
      requestTimeout: CLIENT_RETRY.requestTimeoutMs,
      connectionTimeout: CLIENT_RETRY.connectionTimeoutMs,
    }),
    ...config,
  })

/** A document client for any endpoint, with the retry settings above. */
export const makeDocumentClient = (config: DynamoDBClientConfig = {}): DynamoDBDocumentClient =>
  documentClientOf(makeDynamoClient(config))
