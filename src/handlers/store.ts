import type { Either } from 'fp-ts/Either'
import type { ProductState } from '../domain/product'
import type { ScoreDelta } from '../domain/scores'

/** A product's new state, the position it was folded from, and what it adds to Scores. */
export interface ProductWrite {
  readonly state: ProductState
  readonly expectedSequenceNumber: string | undefined
  readonly deltas: ReadonlyArray<ScoreDelta>
}

/** The store's answer to one transaction, as a value. */
export type WriteOutcome =
  | { readonly kind: 'committed' }
  /** The condition failed for these products: someone else folded them first. */
  | { readonly kind: 'stale'; readonly productIds: ReadonlyArray<string> }
  /** A conflict or throttling the store could not absorb: worth another attempt soon. */
  | { readonly kind: 'conflict'; readonly reason: string }
  /** No retry can store this transaction (a ValidationException, say). */
  | { readonly kind: 'invalid'; readonly reason: string }
  /** The store did not answer after its own retries: leave the records for Lambda. */
  | { readonly kind: 'unavailable'; readonly reason: string }

/** A record that cannot be folded, kept with its reason so it can be read and replayed. */
export interface RejectedRecord {
  readonly eventId: string
  readonly shardId: string
  readonly sequenceNumber: string
  readonly partitionKey: string
  readonly data: string
  readonly reason: string
}

/** A stored product as read back: its state, or why the stored item cannot be read. */
export type StoredProduct = Either<string, ProductState>

/** What the batch pipeline needs from storage: the port the DynamoDB adapter implements. */
export interface Store {
  /** Throws, naming the table and the fault, when the tables are missing or misconfigured. */
  readonly checkTables: () => Promise<void>
  /** Consistent reads; products never written are absent from the map. */
  readonly readProducts: (
    productIds: ReadonlyArray<string>,
  ) => Promise<ReadonlyMap<string, StoredProduct>>
  readonly writeProducts: (writes: ReadonlyArray<ProductWrite>) => Promise<WriteOutcome>
  readonly keepRejected: (records: ReadonlyArray<RejectedRecord>) => Promise<void>
}

/** DynamoDB allows 100 items per transaction: Puts and Scores updates together. */
export const MAX_TRANSACTION_ITEMS = 100
