import type { ProductCreated, ProductEvent } from './events'
import { isAlreadyFolded, isFanOutDuplicate } from './product'
import type { Projection } from './projection'

/**
 * The sales-by-category view's state of one product: its category (from the first
 * create) and the units sold. Every field is always present, as in the product state.
 */
export interface CategorySales {
  readonly productId: string
  readonly category: string | undefined
  readonly unitsSold: number
  readonly lastSequenceNumber: string | undefined
  /** The ingress sequence number of the last folded egress event (see fan-out duplicates). */
  readonly lastIngressSequenceNumber: string | undefined
}

/** A product of which nothing was folded yet. */
export const initialCategorySales = (productId: string): CategorySales => ({
  productId,
  category: undefined,
  unitsSold: 0,
  lastSequenceNumber: undefined,
  lastIngressSequenceNumber: undefined,
})

/** The first create wins: it sets the category, once. */
export const registerCategory = (state: CategorySales, event: ProductCreated): string | undefined =>
  state.category ?? event.category

const absurd = (event: never): never => event

/**
 * Folds one event: the first create sets the category, a purchase is one unit, and every
 * folded event moves the position, an image's too (so that this view judges fan-out
 * duplicates exactly as the winner view does). An event already folded, or a fan-out
 * duplicate (the product view's rules, reused), changes nothing.
 */
export const evolveCategorySales = (state: CategorySales, event: ProductEvent): CategorySales => {
  if (isAlreadyFolded(state, event) || isFanOutDuplicate(state, event)) return state
  const moved = {
    productId: state.productId,
    lastSequenceNumber: event.position.sequenceNumber,
    lastIngressSequenceNumber: event.ingress?.sequenceNumber ?? state.lastIngressSequenceNumber,
  }
  switch (event.type) {
    case 'ProductCreated':
      return { ...moved, category: registerCategory(state, event), unitsSold: state.unitsSold }
    case 'ProductPhotographed':
      return { ...moved, category: state.category, unitsSold: state.unitsSold }
    case 'ProductPurchased':
      return { ...moved, category: state.category, unitsSold: state.unitsSold + 1 }
    default:
      return absurd(event)
  }
}

/** The category sales reducer as a projection: one state per product id. */
export const categorySales: Projection<CategorySales, ProductEvent> = {
  initial: initialCategorySales,
  evolve: evolveCategorySales,
  keyOf: (event) => event.productId,
}

/** What one fold adds to a category's totals: units sold and products newly in it. */
export interface CategoryDelta {
  readonly category: string
  readonly unitsSold: number
  readonly products: number
}

/**
 * What a fold from `before` to `after` adds to its category. A product counts for its
 * category from its create on, with every unit sold so far, sales before the create too.
 */
export const categoryDelta = (
  before: CategorySales,
  after: CategorySales,
): CategoryDelta | undefined => {
  if (after.category === undefined) return undefined
  if (before.category === undefined)
    return { category: after.category, unitsSold: after.unitsSold, products: 1 }
  const unitsSold = after.unitsSold - before.unitsSold
  return unitsSold === 0 ? undefined : { category: after.category, unitsSold, products: 0 }
}

/** Units sold per category; a product sold before its create event counts once it has one. */
export const unitsByCategory = (states: Iterable<CategorySales>): Map<string, number> => {
  const totals = new Map<string, number>()
  for (const { category, unitsSold } of states) {
    if (category !== undefined) totals.set(category, (totals.get(category) ?? 0) + unitsSold)
  }
  return totals
}
