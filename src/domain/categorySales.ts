import type { ProductEvent } from './events'
import { isAfter } from './position'
import type { Projection } from './projection'

/**
 * A second, tiny view on the same events: units sold per product with its category, so
 * that units per category is a sum. It reuses the codecs, events and projection shape.
 */
export interface CategorySales {
  readonly productId: string
  readonly category?: string
  readonly unitsSold: number
  readonly lastSequenceNumber?: string
}

const absurd = (event: never): never => event

export const categorySales: Projection<CategorySales, ProductEvent> = {
  initial: (productId) => ({ productId, unitsSold: 0 }),
  keyOf: (event) => event.productId,
  evolve: (state, event) => {
    if (!isAfter(event.position.sequenceNumber, state.lastSequenceNumber)) return state
    const moved = { ...state, lastSequenceNumber: event.position.sequenceNumber }
    switch (event.type) {
      case 'ProductCreated':
        return state.category === undefined ? { ...moved, category: event.category } : moved
      case 'ProductPhotographed':
        return moved
      case 'ProductPurchased':
        return { ...moved, unitsSold: state.unitsSold + 1 }
      default:
        return absurd(event)
    }
  },
}

/** Units sold per category; a product sold before its create event counts once it has one. */
export const unitsByCategory = (states: Iterable<CategorySales>): Map<string, number> => {
  const totals = new Map<string, number>()
  for (const { category, unitsSold } of states) {
    if (category !== undefined) totals.set(category, (totals.get(category) ?? 0) + unitsSold)
  }
  return totals
}
