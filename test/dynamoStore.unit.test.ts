import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import {
  interpretWriteError,
  makeDynamoStore,
  type ProductWrite,
  transactionItems,
} from '../src/adapters/dynamoStore'
import { initial } from '../src/domain/product'

const write = (productId: string, expectedSequenceNumber?: string): ProductWrite => ({
  state: { ...initial(productId), creator: 'alice', lastSequenceNumber: '9' },
  expectedSequenceNumber,
  deltas: [{ userId: 'alice', role: 'creator', score: 1, products: 0 }],
})
const names = { contributions: 'C', scores: 'S', rejected: 'R' }
const cancelled = (...codes: string[]) =>
  Object.assign(new Error('cancelled'), {
    name: 'TransactionCanceledException',
    CancellationReasons: codes.map((Code) => ({ Code })),
  })

describe('the DynamoDB store', () => {
  it('puts each product on the position it was read at, and merges ADDs on one Scores item', () => {
    const items = transactionItems(names, [write('p1'), write('p2', '7')])
    expect(
      items.map((item) => item.Put?.ConditionExpression ?? item.Update?.UpdateExpression),
    ).toEqual([
      'attribute_not_exists(productId)',
      'lastSequenceNumber = :expected',
      'ADD score :score, products :products',
    ])
    expect(items[2]?.Update?.ExpressionAttributeValues).toEqual({ ':score': 2, ':products': 0 })
  })

  it('reads a failed condition as stale products, named by position', () => {
    const outcome = interpretWriteError(cancelled('None', 'ConditionalCheckFailed', 'None'), [
      write('p1'),
      write('p2'),
    ])
    expect(outcome).toEqual({ kind: 'stale', productIds: ['p2'] })
  })

  it('reads a conflict or throttling as worth retrying', () => {
    expect(interpretWriteError(cancelled('TransactionConflict'), [write('p1')]).kind).toBe('retry')
    expect(
      interpretWriteError(Object.assign(new Error('slow'), { name: 'ThrottlingException' }), [])
        .kind,
    ).toBe('retry')
  })

  it('reads a ValidationException as permanent', () => {
    const error = Object.assign(new Error('Item size has exceeded'), {
      name: 'ValidationException',
    })
    expect(interpretWriteError(error, [write('p1')])).toEqual({
      kind: 'invalid',
      reason: 'ValidationException: Item size has exceeded',
    })
  })
})

// DynamoDB Local never leaves keys unprocessed, so a scripted client plays that part.
const scriptedClient = (answers: unknown[], calls: unknown[]) =>
  ({
    send: async (command: { input: unknown }) => {
      calls.push(command.input)
      return answers.shift()
    },
  }) as unknown as DynamoDBDocumentClient

const quick = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 }

describe('batch calls with unprocessed items', () => {
  it('asks again for the keys DynamoDB left unprocessed, with consistent reads', async () => {
    const calls: unknown[] = []
    const client = scriptedClient(
      [
        {
          Responses: { C: [{ productId: 'p1', purchases: 1 }] },
          UnprocessedKeys: { C: { Keys: [{ productId: 'p2' }], ConsistentRead: true } },
        },
        { Responses: { C: [{ productId: 'p2', purchases: 2 }] }, UnprocessedKeys: {} },
      ],
      calls,
    )
    const found = await makeDynamoStore({ client, names, retry: quick }).readProducts(['p1', 'p2'])
    expect([...found.values()].map((p) => [p.productId, p.purchases])).toEqual([
      ['p1', 1],
      ['p2', 2],
    ])
    expect(calls[1]).toEqual({
      RequestItems: { C: { Keys: [{ productId: 'p2' }], ConsistentRead: true } },
    })
  })

  it('puts again the rejected records left unprocessed, and gives up after the last attempt', async () => {
    const record = {
      eventId: 'e',
      shardId: 's',
      sequenceNumber: '1',
      partitionKey: 'k',
      data: 'eA==',
      reason: 'r',
    }
    const left = { UnprocessedItems: { R: [{ PutRequest: { Item: record } }] } }
    const calls: unknown[] = []
    await makeDynamoStore({
      client: scriptedClient([left, {}], calls),
      names,
      retry: quick,
    }).keepRejected([record])
    expect(calls).toHaveLength(2)
    const stuck = makeDynamoStore({
      client: scriptedClient([left, left, left], []),
      names,
      retry: quick,
    })
    await expect(stuck.keepRejected([record])).rejects.toThrow(
      'BatchWriteItem: items still unprocessed after 3 attempts',
    )
  })
})
