import type { Either } from 'fp-ts/Either'
import type { Position } from '../domain/position'
import { marksTableOf } from './marks'
import { partialsTableOf } from './partials'
import type { TableDefinition } from './tables'

/** A record's payload as a view reads it: one of its events, or an event it does not fold. */
export type Decoded<Event> =
  | { readonly kind: 'event'; readonly event: Event }
  | { readonly kind: 'foreign' }

/**
 * What one fold adds to one item of an aggregate table: numbers added with ADD, which
 * commutes, so transactions of different keys may apply in any order. `set` holds
 * attributes that follow from the key alone (the same on every update of the item).
 */
export interface AggregateDelta {
  /** The aggregate table's role, as the view names it in `tables.aggregates`. */
  readonly table: string
  readonly key: Readonly<Record<string, string>>
  readonly add: Readonly<Record<string, number>>
  readonly set?: Readonly<Record<string, string>>
}

/** A table of a view: the role it plays, its name after the stage, and its definition. */
export interface ViewTable {
  readonly role: string
  readonly suffix: string
  readonly definition: TableDefinition
}

/** The table that holds one state per key, and the attributes the runtime's condition uses. */
export interface StateTable extends ViewTable {
  /** The attribute holding the state's key (the table's partition key). */
  readonly keyAttribute: string
  /** The attribute holding the state's position: the commit's condition compares it. */
  readonly positionAttribute: string
}

/**
 * A view of the stream, as a plain value: how records decode into its events, its keyed
 * state and pure fold, the codec between its state and its item, the commutative updates
 * a fold implies for its aggregate tables, and its tables. The runtime (`makeViewHandler`)
 * turns it into a Lambda handler that applies each event exactly once per key.
 */
export interface View<Event, State> {
  /** The service dimension of its metrics and the name its consumer is known by. */
  readonly name: string
  /**
   * An event of this view, another view's event, or the reason the record cannot be
   * read. `partitionKey` is the record's: a view whose key must be it says so here.
   */
  readonly decode: (
    payload: unknown,
    position: Position,
    partitionKey: string,
  ) => Either<string, Decoded<Event>>
  readonly keyOf: (event: Event) => string
  readonly initial: (key: string) => State
  /**
   * Pure and total. It moves the state's position exactly when it folds the event; an
   * event it passes over (folded before, or a duplicate) leaves the position where it is.
   */
  readonly evolve: (state: State, event: Event) => State
  /** The position of the last event folded into the state; undefined for `initial`. */
  readonly positionOf: (state: State) => string | undefined
  /**
   * For an event `evolve` passes over: why it is a duplicate of an event already folded,
   * to be kept in Rejected; undefined when it is a plain redelivery, skipped silently.
   */
  readonly duplicateOf?: (state: State, event: Event) => string | undefined
  /** What folding from `before` to `after` adds to the aggregate tables. */
  readonly deltas: (before: State, after: State) => ReadonlyArray<AggregateDelta>
  readonly toItem: (state: State) => Record<string, unknown>
  /** The state an item holds, or why it cannot be read (then the key's records are rejected). */
  readonly fromItem: (item: Record<string, unknown>) => Either<string, State>
  readonly tables: {
    readonly state: StateTable
    readonly aggregates: ReadonlyArray<ViewTable>
    readonly rejected: ViewTable
  }
}

/** A view whose event and state types do not matter to the caller. */
// biome-ignore lint/suspicious/noExplicitAny: a view's types are its own; callers only wire it.
export type AnyView = View<any, any>

/** The names of a view's tables in one deployment, by role. */
export type ViewTableNames = Readonly<Record<string, string>>

/**
 * Every table of a view, the state table first: its aggregates are kept as totals,
 * summed by the totals stage from the partials table the runtime adds (`partials.ts`);
 * its freshness marks last (`marks.ts`).
 */
export const tablesOf = (view: AnyView): ReadonlyArray<ViewTable> => {
  const partials = partialsTableOf(view)
  return [
    view.tables.state,
    ...view.tables.aggregates.filter((table) => table.role !== partials?.role),
    ...(partials === undefined ? [] : [partials]),
    view.tables.rejected,
    marksTableOf(view),
  ]
}
