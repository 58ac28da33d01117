import { createHash } from 'node:crypto'
import { aggregateItemKey, mergeDeltas } from './plan'
import type { TableDefinition } from './tables'
import type { AggregateDelta, AnyView, View, ViewTable } from './view'

// The items' attribute names are a storage format: never rename one, version it.

/** The role of a view's partial sums: what each writer added to each aggregate item. */
export const PARTIALS_ROLE = 'partials'
/**
 * The partial's key: a SHA-256 of the aggregate item's name, so that any aggregate key
 * DynamoDB takes (up to 2,048 bytes) makes a partial key it takes too.
 */
export const PARTIAL_ITEM = 'item'
/** The aggregate item a partial sum belongs to, as `aggregateItemKey` names it. */
export const PARTIAL_AGGREGATE = 'aggregate'
/** The writer that alone adds to the partial: the source shard. */
export const PARTIAL_WRITER = 'writer'
/** How many updates the partial has had: each adds 1, so each version is one image. */
export const PARTIAL_VERSION = 'version'

export const PARTIAL_ATTRIBUTES = new Set([
  PARTIAL_ITEM,
  PARTIAL_AGGREGATE,
  PARTIAL_WRITER,
  PARTIAL_VERSION,
])

/** What begins the attributes in which a totals item notes the partials it includes. */
export const APPLIED_PREFIX = 'applied#'

/** The key of the partials of an aggregate item named `aggregate`. */
export const partialItemOf = (aggregate: string): string =>
  createHash('sha256').update(aggregate).digest('base64url')

/**
 * Partial sums, by aggregate item and writer. Its stream carries each change with the
 * images before and after, from which the totals stage moves the totals.
 */
export const partialsTable: TableDefinition = {
  AttributeDefinitions: [
    { AttributeName: PARTIAL_ITEM, AttributeType: 'S' },
    { AttributeName: PARTIAL_WRITER, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: PARTIAL_ITEM, KeyType: 'HASH' },
    { AttributeName: PARTIAL_WRITER, KeyType: 'RANGE' },
  ],
  StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
}

/** A view's partials table, named after its state table; none for a view without aggregates. */
export const partialsTableOf = (view: AnyView): ViewTable | undefined =>
  view.tables.aggregates.length === 0
    ? undefined
    : {
        role: PARTIALS_ROLE,
        suffix: `${view.tables.state.suffix}Partials`,
        definition: partialsTable,
      }

/**
 * Throws when an aggregate's attribute takes a name the partials use for themselves: a
 * view's bug, refused before any write rather than misfiled.
 */
export const requireUnreservedNames = (delta: AggregateDelta): void => {
  const names = [...Object.keys(delta.add), ...Object.keys(delta.set ?? {})]
  const taken = names.find(
    (name) => PARTIAL_ATTRIBUTES.has(name) || name.startsWith(APPLIED_PREFIX),
  )
  if (taken !== undefined)
    throw new Error(
      `the aggregate ${delta.table} names an attribute ${taken}, which its partial sums keep for themselves`,
    )
}

/**
 * DESIGN.md's aggregates, kept per writer: what a key's fold adds to an aggregate item is
 * added to that item's partial sum for the writer (the source shard) instead, in the same
 * transaction as the key's state. Writers on different shards then share no item, so
 * their transactions never conflict; the totals stage sums the partials (`totals.ts`).
 */
export const partialDeltasOf = (
  writer: string,
  deltas: ReadonlyArray<AggregateDelta>,
): AggregateDelta[] =>
  mergeDeltas(deltas).map((delta) => {
    requireUnreservedNames(delta)
    const aggregate = aggregateItemKey(delta)
    return {
      table: PARTIALS_ROLE,
      key: { [PARTIAL_ITEM]: partialItemOf(aggregate), [PARTIAL_WRITER]: writer },
      add: { ...delta.add, [PARTIAL_VERSION]: 1 },
      set: { ...delta.set, [PARTIAL_AGGREGATE]: aggregate },
    }
  })

/** The aggregate item a partial's `aggregate` names: its table's role and its key. */
export const aggregateOfItem = (
  aggregate: string,
): { readonly table: string; readonly key: Record<string, string> } => {
  const parts: unknown = JSON.parse(`[${aggregate}]`)
  if (!Array.isArray(parts) || parts.length % 2 !== 1 || parts.some((p) => typeof p !== 'string'))
    throw new Error(`a partial's aggregate ${JSON.stringify(aggregate)} names no aggregate item`)
  const [table, ...pairs] = parts as string[]
  // Own properties whatever their names (`__proto__` too), as the key had.
  const key = Object.fromEntries(
    Array.from({ length: pairs.length / 2 }, (_, at) => [pairs[2 * at], pairs[2 * at + 1]]),
  ) as Record<string, string>
  return { table: table as string, key }
}

/**
 * The view as one writer folds it: the same states, its aggregates' deltas added to the
 * writer's partial sums. The runtime plans and commits a batch with it, unchanged.
 */
export const perWriterView = <Event, State>(
  view: View<Event, State>,
  writer: string,
): View<Event, State> =>
  partialsTableOf(view) === undefined
    ? view
    : { ...view, deltas: (before, after) => partialDeltasOf(writer, view.deltas(before, after)) }
