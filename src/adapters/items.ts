import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as t from 'io-ts'
import { reasonOf, withOptional } from '../domain/codecs'
import { isSequenceNumber } from '../domain/position'
import type { ProductState } from '../domain/product'
import { mergeDeltas } from '../domain/scores'
import type { ProductWrite, RejectedRecord } from '../handlers/store'
import type { TableNames } from './tables'

// The items' attribute names are a storage format: never rename one, version it.

const SequenceNumber = new t.Type<string, string, unknown>(
  'a sequence number of 1 to 129 digits',
  (u): u is string => typeof u === 'string' && isSequenceNumber(u),
  (u, c) => (typeof u === 'string' && isSequenceNumber(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
)
const Count = new t.Type<number, number, unknown>(
  'a whole number of at least 0',
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= 0,
  (u, c) =>
    Number.isSafeInteger(u) && (u as number) >= 0 ? t.success(u as number) : t.failure(u, c),
  t.identity,
)

/**
 * A Contributions item as the view writes it. Every item was written after a fold, so
 * its position is always there: an item without one was written by another program.
 */
const ProductItem = withOptional(
  'a Contributions item',
  {
    productId: t.string,
    purchases: Count,
    creatorScore: Count,
    photographerScore: Count,
    lastSequenceNumber: SequenceNumber,
    lastEventId: t.string,
    created: t.string,
    updated: t.string,
  },
  {
    lastIngressSequenceNumber: SequenceNumber,
    creator: t.string,
    photographer: t.string,
    brand: t.string,
    name: t.string,
    category: t.string,
  },
)

/** A Contributions item from a product state; absent roles stay absent (sparse indexes). */
export const productToItem = (state: ProductState): Record<string, unknown> =>
  Object.fromEntries(Object.entries(state).filter(([, value]) => value !== undefined))

/** A product state from a Contributions item, or a reason naming what the item lacks. */
export const itemToProduct = (item: Record<string, unknown>): E.Either<string, ProductState> =>
  pipe(
    ProductItem.decode(item),
    E.bimap(
      (errors) =>
        `stored item ${JSON.stringify(String(item.productId)).slice(0, 300)}: ${reasonOf(errors)}`,
      (read): ProductState => ({
        productId: read.productId,
        creator: read.creator,
        photographer: read.photographer,
        brand: read.brand,
        name: read.name,
        category: read.category,
        purchases: read.purchases,
        creatorScore: read.creatorScore,
        photographerScore: read.photographerScore,
        lastSequenceNumber: read.lastSequenceNumber,
        lastEventId: read.lastEventId,
        lastIngressSequenceNumber: read.lastIngressSequenceNumber,
        created: read.created,
        updated: read.updated,
      }),
    ),
  )

/**
 * Base64 characters of a record's data per Rejected item: with the reason (at most 1,000
 * characters), the keys and the attribute names, an item stays well under 400 KB.
 */
export const REJECTED_DATA_PER_ITEM = 350_000

/** The key of the k-th item (k from 2) of a record whose data is split over several items. */
export const rejectedPartKey = (eventId: string, part: number): string => `${eventId}#${part}`

/**
 * The Rejected items of a record. Its data is kept whole, as received: in one item when
 * it fits, else split in order over `parts` items, the first one keyed by the record's
 * eventId and carrying everything else, the k-th keyed `${eventId}#k` with `partOf`.
 */
export const rejectedItems = (record: RejectedRecord): Array<Record<string, unknown>> => {
  if (record.data.length <= REJECTED_DATA_PER_ITEM) return [{ ...record }]
  const parts = Math.ceil(record.data.length / REJECTED_DATA_PER_ITEM)
  const slice = (part: number) =>
    record.data.slice((part - 1) * REJECTED_DATA_PER_ITEM, part * REJECTED_DATA_PER_ITEM)
  return [
    { ...record, data: slice(1), parts, dataLength: record.data.length },
    ...Array.from({ length: parts - 1 }, (_, at) => ({
      eventId: rejectedPartKey(record.eventId, at + 2),
      partOf: record.eventId,
      part: at + 2,
      data: slice(at + 2),
    })),
  ]
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number]

/**
 * The condition of a product's Put: the item is still at the position read, or still
 * absent when none was read. This is what refuses a second application of a batch.
 */
const unchangedSinceRead = (expectedSequenceNumber: string | undefined) =>
  expectedSequenceNumber === undefined
    ? { ConditionExpression: 'attribute_not_exists(productId)' }
    : {
        ConditionExpression: 'lastSequenceNumber = :expected',
        ExpressionAttributeValues: { ':expected': expectedSequenceNumber },
      }

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
        ...unchangedSinceRead(expectedSequenceNumber),
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
