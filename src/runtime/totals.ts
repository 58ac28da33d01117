import {
  APPLIED_PREFIX,
  aggregateOfItem,
  PARTIAL_AGGREGATE,
  PARTIAL_ATTRIBUTES,
  PARTIAL_ITEM,
  PARTIAL_VERSION,
} from './partials'

// The items' attribute names are a storage format: never rename one, version it.

/** A partial sum as its stream shows it: its version, its sums and the attributes set. */
export interface PartialImage {
  /** The aggregate item it adds to, as `aggregateItemKey` names it. */
  readonly aggregate: string
  readonly version: number
  readonly sums: Readonly<Record<string, number>>
  readonly set: Readonly<Record<string, string>>
}

/** One change to a partial, as the partials table's stream carries it, in stream order. */
export interface PartialChange {
  /** The stream record's sequence number: where a failed batch resumes. */
  readonly sequenceNumber: string
  readonly item: string
  readonly writer: string
  /** Absent for the partial's first change. */
  readonly before?: PartialImage
  /** Absent when the partial was deleted (the runtime never deletes one). */
  readonly after?: PartialImage
}

/** A partial's changes in one batch, from the version before the first to the last one's. */
export interface PartialRun {
  readonly item: string
  readonly aggregate: string
  readonly writer: string
  /** The first change's sequence number: a batch failing on this run resumes there. */
  readonly sequenceNumber: string
  readonly fromVersion: number
  readonly to: PartialImage
  /** Every image the batch shows, by version, the one before the first change included. */
  readonly sumsAt: ReadonlyMap<number, Readonly<Record<string, number>>>
  /** The partial was deleted in the batch (never by the runtime): its totals item is resynced. */
  readonly removed: boolean
}

/** The attribute of a totals item that holds the version of a writer's partial it includes. */
export const appliedAttributeOf = (writer: string): string => `${APPLIED_PREFIX}${writer}`

/** The version of a writer's partial a totals item includes, 0 for none (or no item). */
export const appliedVersionOf = (
  item: Readonly<Record<string, unknown>> | undefined,
  writer: string,
): number => Number(item?.[appliedAttributeOf(writer)] ?? 0)

/** A totals item without the totals stage's bookkeeping: the view's attributes alone. */
export const withoutApplied = <Item extends Record<string, unknown>>(item: Item): Item =>
  Object.fromEntries(Object.entries(item).filter(([name]) => !isAppliedAttribute(name))) as Item

/** How many times a totals item was moved: a resync replaces the item only if it is unchanged. */
export const TOTALS_REVISION = `${APPLIED_PREFIX}*`

/** Whether an attribute of a totals item is the totals stage's bookkeeping, not the view's. */
export const isAppliedAttribute = (name: string): boolean => name.startsWith(APPLIED_PREFIX)

/** A partial's version; throws when the item has none (not written by the runtime). */
const versionOf = (item: Readonly<Record<string, unknown>>): number => {
  const version = item[PARTIAL_VERSION]
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    throw new Error(`a partial of ${String(item[PARTIAL_ITEM])} has no version`)
  return version
}

/** A partial's image from its item: numbers are its sums, texts the attributes it sets. */
export const partialImageOf = (item: Readonly<Record<string, unknown>>): PartialImage => {
  const sums: Record<string, number> = {}
  const set: Record<string, string> = {}
  for (const [name, value] of Object.entries(item)) {
    if (PARTIAL_ATTRIBUTES.has(name)) continue
    if (typeof value === 'number') sums[name] = value
    else if (typeof value === 'string') set[name] = value
  }
  const aggregate = item[PARTIAL_AGGREGATE]
  if (typeof aggregate !== 'string')
    throw new Error(`a partial ${String(item[PARTIAL_ITEM])} names no aggregate item`)
  return { aggregate, version: versionOf(item), sums, set }
}

type OpenRun = PartialRun & { sumsAt: Map<number, Record<string, number>> }

/** A run that starts with this change: from the image before it (none: version 0, no sums). */
const runStartingAt = (change: PartialChange, image: PartialImage): OpenRun => {
  const before = change.before ?? { version: 0, sums: {} }
  return {
    item: change.item,
    aggregate: image.aggregate,
    writer: change.writer,
    sequenceNumber: change.sequenceNumber,
    fromVersion: before.version,
    to: change.after ?? image,
    sumsAt: new Map([[before.version, before.sums]]),
    removed: false,
  }
}

/**
 * Groups a batch's changes by partial, in stream order, each partial's changes into one
 * run: from the version before its first change to its last image. A deleted partial
 * (never done by the runtime) marks its run for a resync of its totals item.
 */
export const runsOf = (changes: ReadonlyArray<PartialChange>): PartialRun[] => {
  const runs = new Map<string, OpenRun>()
  for (const change of changes) {
    const image = change.after ?? change.before
    if (image === undefined) continue
    const id = JSON.stringify([change.item, change.writer])
    runs.set(id, extended(runs.get(id) ?? runStartingAt(change, image), change.after))
  }
  return [...runs.values()]
}

/** A run with one more change: its new image, or a deletion (none). */
const extended = (run: OpenRun, after: PartialImage | undefined): OpenRun => {
  if (after === undefined) return { ...run, removed: true }
  run.sumsAt.set(after.version, after.sums)
  return { ...run, to: after.version >= run.to.version ? after : run.to }
}

/** A writer's partial as stored now: what a resync sums. */
export interface StoredPartial extends PartialImage {
  readonly writer: string
}

/** A totals item made whole from every partial of its aggregate item, each writer's version noted. */
export const totalsOfPartials = (
  aggregate: string,
  partials: ReadonlyArray<StoredPartial>,
): Record<string, string | number> => {
  const { key } = aggregateOfItem(aggregate)
  const item: Record<string, string | number> = { ...key }
  for (const partial of partials) {
    Object.assign(item, partial.set)
    for (const [name, value] of Object.entries(partial.sums))
      item[name] = Number(item[name] ?? 0) + value
    item[appliedAttributeOf(partial.writer)] = partial.version
  }
  return item
}

/** What the totals need from a run, given the version of the partial they already include. */
export type TotalsStep =
  | { readonly kind: 'included' }
  | {
      readonly kind: 'add'
      readonly fromVersion: number
      readonly add: Readonly<Record<string, number>>
    }
  /** The totals include a version the batch does not show: an earlier change was never applied. */
  | { readonly kind: 'gap'; readonly applied: number }

/**
 * The one rule of the totals stage: a total includes each writer's partial up to a
 * version, and moves from it to the run's last version by adding the difference of the
 * two images. A run the totals include already adds nothing, so a batch delivered again
 * (or split differently) counts once.
 */
export const stepFrom = (run: PartialRun, applied: number): TotalsStep => {
  if (applied >= run.to.version) return { kind: 'included' }
  const base = run.sumsAt.get(applied)
  if (base === undefined) return { kind: 'gap', applied }
  const add: Record<string, number> = {}
  for (const name of new Set([...Object.keys(base), ...Object.keys(run.to.sums)]))
    add[name] = (run.to.sums[name] ?? 0) - (base[name] ?? 0)
  return { kind: 'add', fromVersion: applied, add }
}

/** A conditional update of one totals item: add, set, and note the writer's new version. */
export interface TotalsUpdate {
  readonly table: string
  readonly key: Readonly<Record<string, string>>
  readonly set: Readonly<Record<string, string>>
  readonly add: Readonly<Record<string, number>>
  readonly writer: string
  /** Applied only if the item includes exactly this version of the writer's partial (0: none). */
  readonly fromVersion: number
  readonly toVersion: number
}

/** The store's answer: applied, or the version of the writer's partial the item includes. */
export type TotalsAnswer =
  | { readonly kind: 'applied' }
  | { readonly kind: 'includes'; readonly applied: number }

/** Where the totals are kept: one conditional update at a time per totals item and writer. */
export type UpdateTotals = (update: TotalsUpdate) => Promise<TotalsAnswer>

/** The totals' store: conditional updates, and a resync of one item from its partials. */
export interface TotalsStore {
  readonly update: UpdateTotals
  /**
   * Makes the totals item of `aggregate` the sum of every partial stored for it now (a
   * consistent read), noting each writer's version, on the condition that the item did
   * not move meanwhile. Later changes then apply from those versions.
   */
  readonly resync: (aggregate: string) => Promise<void>
}

export type RunOutcome = 'applied' | 'included' | 'resynced'

/** Attempts before a run whose totals item keeps moving under it fails its batch. */
const MOVES_TOLERATED = 3

/**
 * Moves a totals item by a run: first on the guess that it includes the version before
 * the run (the common case, one request), then from the version it says it includes.
 * When it includes a version the batch does not show (a change lost to the stream's
 * retention, a totals table restored or recreated) or the partial was deleted, the item
 * is resynced from every partial stored for it: exact again, never guessed.
 */
export const applyRun = async (store: TotalsStore, run: PartialRun): Promise<RunOutcome> => {
  let applied = run.fromVersion
  for (let attempt = 1; attempt <= MOVES_TOLERATED; attempt += 1) {
    const step = stepOrResync(run, applied)
    if (step.kind === 'included') return 'included'
    if (step.kind === 'gap') return resynced(store, run)
    const answer = await store.update(updateOf(run, step))
    if (answer.kind === 'applied') return 'applied'
    applied = answer.applied
  }
  throw new Error(`totals of ${run.aggregate} kept moving under ${run.writer}'s partial`)
}

/** A deleted partial's run needs a resync, as a gap does. */
export const stepOrResync = (run: PartialRun, applied: number): TotalsStep =>
  run.removed ? { kind: 'gap', applied } : stepFrom(run, applied)

const resynced = async (store: TotalsStore, run: PartialRun): Promise<RunOutcome> => {
  await store.resync(run.aggregate)
  return 'resynced'
}

/** The conditional update that moves a run's totals item by a step. */
export const updateOf = (
  run: PartialRun,
  step: Extract<TotalsStep, { kind: 'add' }>,
): TotalsUpdate => {
  const { table, key } = aggregateOfItem(run.aggregate)
  return {
    table,
    key,
    set: run.to.set,
    add: step.add,
    writer: run.writer,
    fromVersion: step.fromVersion,
    toVersion: run.to.version,
  }
}
