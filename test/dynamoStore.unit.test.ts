import { Readable } from 'node:stream'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import * as E from 'fp-ts/Either'
import { itemToProduct } from '../src/adapters/items'
import { initial, type ProductState } from '../src/domain/product'
import { interpretWriteError } from '../src/runtime/dynamoErrors'
import { documentClientOf, makeDynamoStore } from '../src/runtime/dynamoStore'
import { transactionItems } from '../src/runtime/items'
import type { StateWrite } from '../src/runtime/store'
import { winnerView } from '../src/views/winner'

const write = (productId: string, expectedPosition?: string): StateWrite<ProductState> => ({
  key: productId,
  state: { ...initial(productId), creator: 'alice', lastSequenceNumber: '9' },
  expectedPosition,
  deltas: [
    { table: 'scores', key: { userId: 'alice', role: 'creator' }, add: { score: 1, products: 0 } },
  ],
})
const names = { contributions: 'C', scores: 'S', rejected: 'R' }
const cancelled = (...codes: string[]) =>
  Object.assign(new Error('cancelled'), {
    name: 'TransactionCanceledException',
    CancellationReasons: codes.map((Code) => ({ Code })),
  })

describe('the DynamoDB store', () => {
  it('puts each product on the position it was read at, and merges ADDs on one Scores item', () => {
    const items = transactionItems(winnerView, names, [write('p1'), write('p2', '7')])
    expect(
      items.map((item) => item.Put?.ConditionExpression ?? item.Update?.UpdateExpression),
    ).toEqual(['attribute_not_exists(#key)', '#position = :expected', 'ADD #a0 :a0, #a1 :a1'])
    expect(items.map((item) => item.Put?.ExpressionAttributeNames ?? {})).toEqual([
      { '#key': 'productId' },
      { '#position': 'lastSequenceNumber' },
      {},
    ])
    expect(items[1]?.Put?.ExpressionAttributeValues).toEqual({ ':expected': '7' })
    expect(items[2]?.Update).toEqual({
      TableName: 'S',
      Key: { userId: 'alice', role: 'creator' },
      UpdateExpression: 'ADD #a0 :a0, #a1 :a1',
      ExpressionAttributeNames: { '#a0': 'score', '#a1': 'products' },
      ExpressionAttributeValues: { ':a0': 2, ':a1': 0 },
    })
  })

  it('reads a failed condition as stale products, named by position', () => {
    const outcome = interpretWriteError(cancelled('None', 'ConditionalCheckFailed', 'None'), [
      write('p1'),
      write('p2'),
    ])
    expect(outcome).toEqual({ kind: 'stale', keys: ['p2'] })
  })

  it('reads a conflict or throttling inside a transaction as worth another attempt', () => {
    expect(interpretWriteError(cancelled('TransactionConflict'), [write('p1')]).kind).toBe(
      'conflict',
    )
    expect(interpretWriteError(cancelled('None', 'ThrottlingError'), [write('p1')]).kind).toBe(
      'conflict',
    )
  })

  it('reads an error the SDK already retried (throttling, a server error) as unavailable', () => {
    const error = Object.assign(new Error('slow down'), { name: 'ThrottlingException' })
    expect(interpretWriteError(error, [write('p1')])).toEqual({
      kind: 'unavailable',
      reason: 'ThrottlingException: slow down',
    })
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

/** A Contributions item as the view writes it. */
const item = (productId: string, purchases: number) => ({
  productId,
  purchases,
  creatorScore: 0,
  photographerScore: 0,
  lastSequenceNumber: '7',
  lastEventId: 'shardId-000000000000:7',
  created: '2026-11-26T10:00:00.000Z',
  updated: '2026-11-26T10:00:00.000Z',
})

describe('reading a Contributions item back', () => {
  it('reads an item the view wrote into its state', () => {
    expect(itemToProduct({ ...item('p1', 2), creator: 'alice' })).toEqual(
      E.right({
        ...initial('p1'),
        ...item('p1', 2),
        creator: 'alice',
      }),
    )
  })

  it.each([
    [
      'without lastSequenceNumber',
      { ...item('p1', 1), lastSequenceNumber: undefined },
      /lastSequenceNumber/,
    ],
    ['with a count that is not a number', { ...item('p1', 1), purchases: '3' }, /purchases/],
    ['with a negative count', { ...item('p1', 1), creatorScore: -1 }, /creatorScore/],
    ['with a creator that is not a string', { ...item('p1', 1), creator: 5 }, /creator/],
  ])('refuses an item %s, naming the product and the attribute', (_, stored, attribute) => {
    const read = itemToProduct(stored)
    expect(E.isLeft(read) && read.left).toMatch(/^stored item "p1": /)
    expect(E.isLeft(read) && read.left).toMatch(attribute)
  })
})

describe('batch calls with unprocessed items', () => {
  it('asks again for the keys DynamoDB left unprocessed, with consistent reads', async () => {
    const calls: unknown[] = []
    const client = scriptedClient(
      [
        {
          Responses: { C: [item('p1', 1)] },
          UnprocessedKeys: { C: { Keys: [{ productId: 'p2' }], ConsistentRead: true } },
        },
        { Responses: { C: [item('p2', 2)] }, UnprocessedKeys: {} },
      ],
      calls,
    )
    const found = await makeDynamoStore(winnerView, { client, names, retry: quick }).readStates([
      'p1',
      'p2',
    ])
    expect(
      [...found.values()].map((p) => (E.isRight(p) ? [p.right.productId, p.right.purchases] : p)),
    ).toEqual([
      ['p1', 1],
      ['p2', 2],
    ])
    expect(calls[1]).toEqual({
      RequestItems: { C: { Keys: [{ productId: 'p2' }], ConsistentRead: true } },
    })
  })

  it('reads the chunks of 100 keys of a large read at once, 8 in flight at most', async () => {
    let inFlight = 0
    let most = 0
    const asked: string[][] = []
    const client = {
      send: async (command: {
        input: { RequestItems: { C: { Keys: { productId: string }[] } } }
      }) => {
        const keys = command.input.RequestItems.C.Keys.map((k) => k.productId)
        asked.push(keys)
        inFlight += 1
        most = Math.max(most, inFlight)
        await new Promise((resolve) => setTimeout(resolve, 5))
        inFlight -= 1
        return { Responses: { C: keys.map((key) => item(key, 1)) }, UnprocessedKeys: {} }
      },
    } as unknown as DynamoDBDocumentClient
    const keys = Array.from({ length: 1050 }, (_, at) => `p${at}`)
    const found = await makeDynamoStore(winnerView, { client, names, retry: quick }).readStates(
      keys,
    )
    expect(found.size).toBe(1050)
    expect(asked.map((chunk) => chunk.length)).toEqual([
      ...Array.from({ length: 10 }, () => 100),
      50,
    ])
    expect(most).toBe(8)
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
    await makeDynamoStore(winnerView, {
      client: scriptedClient([left, {}], calls),
      names,
      retry: quick,
    }).keepRejected([record])
    expect(calls).toHaveLength(2)
    const stuck = makeDynamoStore(winnerView, {
      client: scriptedClient([left, left, left], []),
      names,
      retry: quick,
    })
    await expect(stuck.keepRejected([record])).rejects.toThrow(
      'BatchWriteItem: items still unprocessed after 3 attempts',
    )
  })
})

describe('numbers another program wrote', () => {
  it('reads an item with a number beyond 2^53 as that product unreadable, not the batch', async () => {
    const number = (n: string) => ({ N: n })
    const stored = (id: string, purchases: string) => ({
      productId: { S: id },
      purchases: number(purchases),
      creatorScore: number('0'),
      photographerScore: number('0'),
      lastSequenceNumber: { S: '7' },
      lastEventId: { S: 'shardId-000000000000:7' },
      created: { S: '2026-11-26T10:00:00.000Z' },
      updated: { S: '2026-11-26T10:00:00.000Z' },
    })
    const answer = JSON.stringify({
      Responses: { C: [stored('p1', '1'), stored('p2', '12345678901234567890.5')] },
      UnprocessedKeys: {},
    })
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestHandler: {
        handle: async () => ({
          response: {
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from(answer)]),
          },
        }),
      } as never,
    })
    const found = await makeDynamoStore(winnerView, {
      client: documentClientOf(client),
      names,
    }).readStates(['p1', 'p2'])
    expect(E.isRight(found.get('p1') ?? E.left(''))).toBe(true)
    expect(found.get('p2')).toEqual(
      E.left(
        'stored item "p2": purchases: expected a whole number of at least 0, got "12345678901234567890.5"',
      ),
    )
    client.destroy()
  })
})
