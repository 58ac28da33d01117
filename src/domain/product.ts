import type { ProductEvent } from './events'
import { eventIdOf, isAfter } from './position'
import { foldWith, type Projection } from './projection'

/** What the view knows of one product; replaying the log reproduces it exactly. */
export interface ProductState {
  readonly productId: string
  readonly creator?: string
  readonly photographer?: string
  readonly brand?: string
  readonly name?: string
  readonly category?: string
  readonly purchases: number
  readonly creatorScore: number
  readonly photographerScore: number
  readonly lastSequenceNumber?: string
  readonly lastEventId?: string
  readonly created?: string
  readonly updated?: string
}

/** A product of which nothing was folded yet. */
export const initial = (productId: string): ProductState => ({
  productId,
  purchases: 0,
  creatorScore: 0,
  photographerScore: 0,
})

const absurd = (event: never): never => event

const pointIfSet = (userId: string | undefined): number => (userId === undefined ? 0 : 1)

/** The rule of each event type, ignoring the position. */
const applyFact = (state: ProductState, event: ProductEvent): ProductState => {
  switch (event.type) {
    case 'ProductCreated':
      if (state.creator !== undefined) return state
      return {
        ...state,
        creator: event.userId,
        brand: event.brand,
        name: event.name,
        category: event.category,
      }
    case 'ProductPhotographed':
      return state.photographer !== undefined ? state : { ...state, photographer: event.userId }
    case 'ProductPurchased':
      return {
        ...state,
        purchases: state.purchases + 1,
        creatorScore: state.creatorScore + pointIfSet(state.creator),
        photographerScore: state.photographerScore + pointIfSet(state.photographer),
      }
    default:
      return absurd(event)
  }
}

/**
 * Folds one event. An event at or below the last folded position (or of another
 * product) changes nothing; the first creator and the first photographer win; a
 * purchase earns a point for each role registered before it.
 */
export const evolve = (state: ProductState, event: ProductEvent): ProductState => {
  if (event.productId !== state.productId) return state
  if (!isAfter(event.position.sequenceNumber, state.lastSequenceNumber)) return state
  return {
    ...applyFact(state, event),
    lastSequenceNumber: event.position.sequenceNumber,
    lastEventId: eventIdOf(event.position),
    created: state.created ?? event.time,
    updated: event.time,
  }
}

/** The product reducer as a projection: one state per product id. */
export const products: Projection<ProductState, ProductEvent> = {
  initial,
  evolve,
  keyOf: (event) => event.productId,
}

/** Folds a product's events, in shard order, into its state. */
export const fold = (state: ProductState, events: ReadonlyArray<ProductEvent>): ProductState =>
  foldWith(products, state, events)
