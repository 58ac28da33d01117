import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import { categorySalesToItem, itemToCategorySales } from '../adapters/items'
import { categoryViewTables } from '../adapters/tables'
import {
  type CategorySales,
  categoryDelta,
  evolveCategorySales,
  initialCategorySales,
} from '../domain/categorySales'
import { MAX_KEY_BYTES, utf8Length } from '../domain/codecs'
import { type DecodedRecord, decodeProductRecord, type ProductEvent } from '../domain/events'
import type { Position } from '../domain/position'
import { fanOutDuplicateReason } from '../domain/product'
import type { AggregateDelta, View } from '../runtime/view'

/** The key of a category's CategorySales item: `#` and the category, never empty. */
export const categoryKeyOf = (category: string): string => `#${category}`

/**
 * This view's own limit, checked where a record is decoded, so that the same log gives the
 * same tables and the same Rejected whatever its batches: a category is the partition key
 * of its CategorySales item (`#` and the category), at most 2,048 bytes in DynamoDB. A
 * create whose category is longer is refused here; refused at commit, it would take the
 * other records of its product's write in that batch along with it.
 */
export const requireKeepableCategory = (
  decoded: DecodedRecord,
): E.Either<string, DecodedRecord> => {
  if (decoded.kind !== 'event' || decoded.event.type !== 'ProductCreated') return E.right(decoded)
  const bytes = utf8Length(categoryKeyOf(decoded.event.category))
  return bytes <= MAX_KEY_BYTES
    ? E.right(decoded)
    : E.left(
        `data.category: expected at most ${(MAX_KEY_BYTES - 1).toLocaleString('en-US')} bytes (a CategorySales key), got ${(bytes - 1).toLocaleString('en-US')} bytes`,
      )
}

/** How this view reads a record: as every product view does, and within its own limits. */
const decodeCategoryRecord = (payload: unknown, position: Position, partitionKey: string) =>
  pipe(decodeProductRecord(payload, position, partitionKey), E.chain(requireKeepableCategory))

/** A product's fold, as the update of its category's CategorySales item. */
const categorySalesUpdates = (before: CategorySales, after: CategorySales): AggregateDelta[] => {
  const delta = categoryDelta(before, after)
  return delta === undefined
    ? []
    : [
        {
          table: 'categorySales',
          key: { categoryKey: categoryKeyOf(delta.category) },
          set: { category: delta.category },
          add: { unitsSold: delta.unitsSold, products: delta.products },
        },
      ]
}

/**
 * Sales by category: per product its category and units sold (CategoryProducts), per
 * category the units sold and products (CategorySales). It reads the stream as the winner
 * view does: same codecs, same routing rule, same fan-out duplicates.
 */
export const categorySalesView: View<ProductEvent, CategorySales> = {
  name: 'category-sales',
  // The same events, read by the same rules, and one limit of its own (the category's size).
  decode: decodeCategoryRecord,
  keyOf: (event) => event.productId,
  initial: initialCategorySales,
  evolve: evolveCategorySales,
  positionOf: (state) => state.lastSequenceNumber,
  duplicateOf: fanOutDuplicateReason,
  deltas: categorySalesUpdates,
  toItem: categorySalesToItem,
  fromItem: itemToCategorySales,
  tables: {
    state: {
      role: 'categoryProducts',
      ...categoryViewTables.categoryProducts,
      keyAttribute: 'productId',
      positionAttribute: 'lastSequenceNumber',
    },
    aggregates: [{ role: 'categorySales', ...categoryViewTables.categorySales }],
    rejected: { role: 'categoryRejected', ...categoryViewTables.categoryRejected },
  },
}
