import type { ProductCreated, ProductEvent, ProductPhotographed } from './events'
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
  /** The ingress sequence number of the last folded egress event (see fan-out duplicates). */
  readonly lastIngressSequenceNumber: string | undefined
  readonly created: string | undefined
  readonly updated: string | undefined
}

/** Who holds each role and the details the create event brought. */
type Roles = Pick<ProductState, 'creator' | 'photographer' | 'brand' | 'name' | 'category'>

/** Units sold and the points each role earned from them. */
type Sales = Pick<ProductState, 'purchases' | 'creatorScore' | 'photographerScore'>

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
  lastIngressSequenceNumber: undefined,
  created: undefined,
  updated: undefined,
})

/** The first create wins: it sets the creator and the product's details, once. */
export const registerCreator = (roles: Roles, event: ProductCreated): Roles =>
  roles.creator !== undefined
    ? roles
    : {
        creator: event.userId,
        photographer: roles.photographer,
        brand: event.brand,
        name: event.name,
        category: event.category,
      }

/** The first image wins: it sets the photographer, once. */
export const registerPhotographer = (roles: Roles, event: ProductPhotographed): Roles =>
  roles.photographer !== undefined ? roles : { ...roles, photographer: event.userId }

const pointIfSet = (userId: string | undefined): number => (userId === undefined ? 0 : 1)

/**
 * A sale is one unit, and a point for each role registered before it: a role earns from
 * the sales folded after it was registered, never from earlier ones.
 */
export const creditSale = (state: ProductState): Sales => ({
  purchases: state.purchases + 1,
  creatorScore: state.creatorScore + pointIfSet(state.creator),
  photographerScore: state.photographerScore + pointIfSet(state.photographer),
})

/**
 * The state after one folded event: its roles, its sales, and the event's position and
 * time. Written as one literal, not spreads, so that folding stays fast.
 */
const folded = (
  state: ProductState,
  event: ProductEvent,
  roles: Roles,
  sales: Sales,
): ProductState => ({
  productId: state.productId,
  creator: roles.creator,
  photographer: roles.photographer,
  brand: roles.brand,
  name: roles.name,
  category: roles.category,
  purchases: sales.purchases,
  creatorScore: sales.creatorScore,
  photographerScore: sales.photographerScore,
  lastSequenceNumber: event.position.sequenceNumber,
  lastEventId: eventIdOf(event.position),
  lastIngressSequenceNumber: event.ingress?.sequenceNumber ?? state.lastIngressSequenceNumber,
  created: state.created ?? event.time,
  updated: event.time,
})

const absurd = (event: never): never => event

/** An event at or below the last folded position, or of another product, changes nothing. */
export const isAlreadyFolded = (
  state: Pick<ProductState, 'productId' | 'lastSequenceNumber'>,
  event: ProductEvent,
): boolean =>
  event.productId !== state.productId ||
  !isAfter(event.position.sequenceNumber, state.lastSequenceNumber)

/**
 * An egress event whose ingress record is at or below the last one folded is the
 * fan-out writing the same envelope again: it repeats an event already counted.
 */
export const isFanOutDuplicate = (
  state: Pick<ProductState, 'lastIngressSequenceNumber'>,
  event: ProductEvent,
): boolean =>
  event.ingress !== undefined &&
  !isAfter(event.ingress.sequenceNumber, state.lastIngressSequenceNumber)

/**
 * Why an egress event a fold passes over is kept in Rejected: it is the fan-out writing
 * an envelope again, naming the ingress record whose event is already folded.
 */
export const fanOutDuplicateReason = (
  state: Pick<ProductState, 'productId' | 'lastSequenceNumber' | 'lastIngressSequenceNumber'>,
  event: ProductEvent,
): string | undefined =>
  event.ingress !== undefined && !isAlreadyFolded(state, event) && isFanOutDuplicate(state, event)
    ? `fan-out duplicate of ${eventIdOf(event.ingress)}: that event is already folded`
    : undefined

/**
 * Folds one event: the first creator and the first photographer win, a purchase earns a
 * point for each role registered before it, and every folded event moves the position.
 * An event already folded, or a fan-out duplicate, changes nothing.
 */
export const evolve = (state: ProductState, event: ProductEvent): ProductState => {
  if (isAlreadyFolded(state, event) || isFanOutDuplicate(state, event)) return state
  switch (event.type) {
    case 'ProductCreated':
      return folded(state, event, registerCreator(state, event), state)
    case 'ProductPhotographed':
      return folded(state, event, registerPhotographer(state, event), state)
    case 'ProductPurchased':
      return folded(state, event, state, creditSale(state))
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
