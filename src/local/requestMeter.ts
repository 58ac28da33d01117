import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'

/** DynamoDB requests and consumed capacity, counted per operation by a client middleware. */
export interface RequestMeter {
  readonly requests: Map<string, number>
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

const addCapacity = (
  meter: RequestMeter,
  operation: string,
  consumed: Capacity | Capacity[] = [],
) => {
  const isWrite = WRITE_OPERATIONS.has(operation)
  for (const units of [consumed].flat()) {
    const total = units.CapacityUnits ?? 0
    meter.capacity.read += units.ReadCapacityUnits ?? (isWrite ? 0 : total)
    meter.capacity.write += units.WriteCapacityUnits ?? (isWrite ? total : 0)
  }
}

const countRequest = (meter: RequestMeter, operation: string, input: Record<string, unknown>) => {
  meter.requests.set(operation, (meter.requests.get(operation) ?? 0) + 1)
  if (!TABLE_OPERATIONS.has(operation)) input.ReturnConsumedCapacity ??= 'TOTAL'
}

/** Adds a meter to a client: every call is counted, and asks DynamoDB for its consumed capacity. */
export const meterRequests = (client: DynamoDBClient): RequestMeter => {
  const meter: RequestMeter = { requests: new Map(), capacity: { read: 0, write: 0 } }
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = context.commandName ?? 'unknown'
      countRequest(meter, operation, args.input as Record<string, unknown>)
      const result = await next(args)
      const output = result.output as { ConsumedCapacity?: Capacity | Capacity[] }
      addCapacity(meter, operation, output.ConsumedCapacity)
      return result
    },
    { step: 'initialize', name: 'requestMeter' },
  )
  return meter
}
