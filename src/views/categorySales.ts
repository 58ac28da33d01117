import { categorySalesToItem, itemToCategorySales } from '../adapters/items'
import { categoryViewTables } from '../adapters/tables'
import {
  type CategorySales,
  categoryDelta,
  evolveCategorySales,
  initialCategorySales,
} from '../domain/categorySales'
import { decodeProductRecord, type ProductEvent } from '../domain/events'
import { fanOutDuplicateReason } from '../domain/product'
import type { AggregateDelta, View } from '../runtime/view'

/** The key of a category's CategorySales item: `#` and the category, never empty. */
export const categoryKeyOf = (category: string): string => `#${category}`

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
  // The same events, read by the same rules: a record one view rejects, the other does too.
  decode: decodeProductRecord,
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
