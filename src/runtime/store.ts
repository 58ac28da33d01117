import type { Either } from 'fp-ts/Either'
import type { FreshnessMark } from './marks'
import type { AggregateDelta } from './view'

/** A key's new state, the position it was folded from, and what it adds to the aggregates. */
export interface StateWrite<State> {
  readonly key: string
  readonly state: State
  /** The stored state's position when it was read; undefined when nothing was stored. */
  readonly expectedPosition: string | undefined
  readonly deltas: ReadonlyArray<AggregateDelta>
}

/** The store's answer to one transaction, as a value. */
export type WriteOutcome =
  | { readonly kind: 'committed' }
  /** The condition failed for these keys: someone else folded them first. */
  | { readonly kind: 'stale'; readonly keys: ReadonlyArray<string> }
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

/** A stored state as read back: the state, or why the stored item cannot be read. */
export type StoredState<State> = Either<string, State>

/** What the batch pipeline needs from storage: the port the DynamoDB adapter implements. */
export interface Store<State> {
  /** Throws, naming the table and the fault, when the tables are missing or misconfigured. */
  readonly checkTables: () => Promise<void>
  /** Consistent reads; keys never written are absent from the map. */
  readonly readStates: (
    keys: ReadonlyArray<string>,
  ) => Promise<ReadonlyMap<string, StoredState<State>>>
  /** One transaction: every state on its condition, and the aggregates' ADDs. */
  readonly writeStates: (writes: ReadonlyArray<StateWrite<State>>) => Promise<WriteOutcome>
  readonly keepRejected: (records: ReadonlyArray<RejectedRecord>) => Promise<void>
  /** Stores how far the view has folded a shard, unless a later mark is stored already. */
  readonly markFolded: (mark: FreshnessMark) => Promise<void>
}

/** DynamoDB allows 100 items per transaction: Puts and aggregate updates together. */
export const MAX_TRANSACTION_ITEMS = 100
