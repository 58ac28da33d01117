import {
  interpretWriteError,
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
