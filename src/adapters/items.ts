import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as t from 'io-ts'
import type { CategorySales } from '../domain/categorySales'
import { reasonOf, withOptional } from '../domain/codecs'
import { isSequenceNumber } from '../domain/position'
import type { ProductState } from '../domain/product'

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

/** A CategoryProducts item as the category sales view writes it, after a fold. */
const CategorySalesItem = withOptional(
  'a CategoryProducts item',
  { productId: t.string, unitsSold: Count, lastSequenceNumber: SequenceNumber },
  { category: t.string, lastIngressSequenceNumber: SequenceNumber },
)

/** A CategoryProducts item from a product's category state; an absent category stays absent. */
export const categorySalesToItem = (state: CategorySales): Record<string, unknown> =>
  Object.fromEntries(Object.entries(state).filter(([, value]) => value !== undefined))

/** A product's category state from its item, or a reason naming what the item lacks. */
export const itemToCategorySales = (
  item: Record<string, unknown>,
): E.Either<string, CategorySales> =>
  pipe(
    CategorySalesItem.decode(item),
    E.bimap(
      (errors) =>
        `stored item ${JSON.stringify(String(item.productId)).slice(0, 300)}: ${reasonOf(errors)}`,
      (read): CategorySales => ({
        productId: read.productId,
        category: read.category,
        unitsSold: read.unitsSold,
        lastSequenceNumber: read.lastSequenceNumber,
        lastIngressSequenceNumber: read.lastIngressSequenceNumber,
      }),
    ),
  )
