import type { ProductEvent } from './events'
import { eventIdOf, isAfter } from './position'
import { foldWith, type Projection } from './projection'

/**
 * What the view knows of one product; replaying the log reproduces it exactly. Every
 * field is always present (absent ones hold `undefined`), so all states share one shape.
 */
export interface ProductState {
  readonly productId: string
  readonly creator: string | undefined
  readonly photographer: string | undefined
  readonly brand: string | undefined
  readonly name: string | undefined
  readonly category: string | undefined
  readonly purchases: number
  readonly creatorScore: number
  readonly photographerScore: number
  readonly lastSequenceNumber: string | undefined
  readonly lastEventId: string | undefined
  readonly created: string | undefined
  readonly updated: string | undefined
}

/** Who holds each role and the details the create event brought. */
type Roles = Pick<ProductState, 'creator' | 'photographer' | 'brand' | 'name' | 'category'>

/** A product of which nothing was folded yet. */
export const initial = (productId: string): ProductState => ({
  productId,
  creator: undefined,
  photographer: undefined,
  brand: undefined,
  name: undefined,
  category: undefined,
  purchases: 0,
  creatorScore: 0,
  photographerScore: 0,
  lastSequenceNumber: undefined,
  lastEventId: undefined,
  created: undefined,
  updated: undefined,
})

const pointIfSet = (userId: string | undefined): number => (userId === undefined ? 0 : 1)

/**
 * The state after one folded event: its roles, one sale or none (credited to the roles
 * held before the sale), and the event's position and time. Written as one literal, not
 * spreads, so that folding stays fast.
 */
const folded = (
  state: ProductState,
  event: ProductEvent,
  roles: Roles,
  sales: 0 | 1,
): ProductState => ({
  productId: state.productId,
  creator: roles.creator,
  photographer: roles.photographer,
  brand: roles.brand,
  name: roles.name,
  category: roles.category,
  purchases: state.purchases + sales,
  creatorScore: state.creatorScore + sales * pointIfSet(state.creator),
  photographerScore: state.photographerScore + sales * pointIfSet(state.photographer),
  lastSequenceNumber: event.position.sequenceNumber,
  lastEventId: eventIdOf(event.position),
  created: state.created ?? event.time,
  updated: event.time,
})

const absurd = (event: never): never => event

/**
 * Folds one event. An event at or below the last folded position (or of another
 * product) changes nothing; the first creator and the first photographer win; a
 * purchase earns a point for each role registered before it.
 */
export const evolve = (state: ProductState, event: ProductEvent): ProductState => {
  if (event.productId !== state.productId) return state
  if (!isAfter(event.position.sequenceNumber, state.lastSequenceNumber)) return state
  switch (event.type) {
    case 'ProductCreated': {
      if (state.creator !== undefined) return folded(state, event, state, 0)
      const { userId: creator, brand, name, category } = event
      return folded(
        state,
        event,
        { creator, photographer: state.photographer, brand, name, category },
        0,
      )
    }
    case 'ProductPhotographed':
      if (state.photographer !== undefined) return folded(state, event, state, 0)
      return folded(state, event, { ...state, photographer: event.userId }, 0)
    case 'ProductPurchased':
      return folded(state, event, state, 1)
    default:
      return absurd(event)
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
