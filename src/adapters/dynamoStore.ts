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
import { interpretWriteError } from './dynamoErrors'
import { itemToProduct, rejectedToItem, transactionItems } from './items'
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

const keepRejected =
  ({ client, names, retry = defaultRetryPolicy }: DynamoStoreOptions): Store['keepRejected'] =>
  async (records) => {
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
