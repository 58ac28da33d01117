import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'

/** DynamoDB requests and consumed capacity, counted per operation by a client middleware. */
export interface RequestMeter {
  readonly requests: Map<string, number>
  /**
   * Read units of every call (indexes included), and write units of the tables written,
   * as AWS bills them (for a transaction, from its items: see `transactionWriteUnits`).
   * Index writes are left out: DynamoDB Local does not report a transaction's.
   */
  readonly capacity: { read: number; write: number }
}

interface Capacity {
  readonly CapacityUnits?: number
  readonly ReadCapacityUnits?: number
  readonly WriteCapacityUnits?: number
}

const WRITE_OPERATIONS = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
])
const TABLE_OPERATIONS = new Set([
  'CreateTableCommand',
  'DescribeTableCommand',
  'ListTablesCommand',
])

/** Requests of every operation so far. */
export const totalRequests = (meter: RequestMeter): number =>
  [...meter.requests.values()].reduce((a, b) => a + b, 0)

/** Requests that write (PutItem, UpdateItem, BatchWriteItem, TransactWriteItems, DeleteItem). */
export const writeRequests = (meter: RequestMeter): number =>
  [...meter.requests]
    .filter(([name]) => WRITE_OPERATIONS.has(name))
    .reduce((n, [, count]) => n + count, 0)

interface ConsumedCapacity extends Capacity {
  /** With ReturnConsumedCapacity INDEXES: the table's own part, without its indexes. */
  readonly Table?: Capacity
}

type TransactItem = Partial<Record<'Put' | 'Update' | 'Delete' | 'ConditionCheck', unknown>>

/** An item's size as its JSON text (a little more than DynamoDB counts); 1 KB if it has none. */
const sizeOf = (item: unknown): number => {
  try {
    return item === undefined ? 1 : Buffer.byteLength(JSON.stringify(item))
  } catch {
    return 1 // A value JSON cannot write (a BigInt): counted as small, never an error.
  }
}

/**
 * The write units AWS bills a transaction's items on their tables: two a KB per item
 * (one to prepare, one to commit), rounded up per item; a Put's size taken from its
 * item, an update's, a delete's and a condition check's as one KB. DynamoDB Local
 * reports a transaction's units without regard to its items. A transaction that fails
 * is not counted (AWS still bills a refused condition).
 */
export const transactionWriteUnits = (items: ReadonlyArray<TransactItem>): number =>
  items.reduce((units, item) => {
    const put = item.Put as { Item?: unknown } | undefined
    return units + 2 * Math.max(1, Math.ceil(sizeOf(put?.Item) / 1024))
  }, 0)

/** Reads count every unit (a query of an index is paid on the index); writes the table's own. */
const addCapacity = (
  meter: RequestMeter,
  operation: string,
  consumed: ConsumedCapacity | ConsumedCapacity[] = [],
) => {
  const isWrite = WRITE_OPERATIONS.has(operation)
  for (const units of [consumed].flat()) {
    const total = units.CapacityUnits ?? 0
    meter.capacity.read += units.ReadCapacityUnits ?? (isWrite ? 0 : total)
    if (isWrite) meter.capacity.write += units.Table?.CapacityUnits ?? total
  }
}

const countRequest = (meter: RequestMeter, operation: string, input: Record<string, unknown>) => {
  meter.requests.set(operation, (meter.requests.get(operation) ?? 0) + 1)
  if (!TABLE_OPERATIONS.has(operation)) input.ReturnConsumedCapacity ??= 'INDEXES'
}

/** Adds a meter to a client: every call is counted, and asks DynamoDB for its consumed capacity. */
export const meterRequests = (client: DynamoDBClient): RequestMeter => {
  const meter: RequestMeter = { requests: new Map(), capacity: { read: 0, write: 0 } }
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = context.commandName ?? 'unknown'
      countRequest(meter, operation, args.input as Record<string, unknown>)
      const result = await next(args)
      const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }
      const input = args.input as { TransactItems?: TransactItem[] }
      if (operation === 'TransactWriteItemsCommand')
        meter.capacity.write += transactionWriteUnits(input.TransactItems ?? [])
      else addCapacity(meter, operation, output.ConsumedCapacity)
      return result
    },
    { step: 'initialize', name: 'requestMeter' },
  )
  return meter
}
