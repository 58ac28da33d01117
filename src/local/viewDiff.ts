import { compareSequenceNumbers } from '../domain/position'
import type { CategoryContents, ViewContents } from './viewReader'

type Item = Record<string, unknown>

/** How one table of two stages differs: counts, then the items on one side only or unequal. */
export interface TableDiff {
  readonly table: string
  readonly counts: readonly [number, number]
  readonly onlyInFirst: ReadonlyArray<string>
  readonly onlyInSecond: ReadonlyArray<string>
  /** Items at the same position (or with none) that differ: a real discrepancy. */
  readonly changed: ReadonlyArray<{
    readonly key: string
    readonly first: Item
    readonly second: Item
  }>
  /** Items that differ because one stage folded further (a later `lastSequenceNumber`). */
  readonly ahead: { readonly first: number; readonly second: number }
}

const KEYS: Record<string, ReadonlyArray<string>> = {
  contributions: ['productId'],
  scores: ['userId', 'role'],
  rejected: ['eventId'],
  categoryProducts: ['productId'],
  categorySales: ['categoryKey'],
}

/** Which of two items of one key folded further, by their positions; undefined when neither did. */
const furtherOf = (first: Item, second: Item): 'first' | 'second' | undefined => {
  const [a, b] = [first.lastSequenceNumber, second.lastSequenceNumber]
  if (typeof a !== 'string' || typeof b !== 'string' || a === b) return undefined
  return compareSequenceNumbers(a, b) > 0 ? 'first' : 'second'
}

/** Items compare by their attributes, in any order. */
const canonical = (item: Item): string =>
  JSON.stringify(Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1))))

/** One table of two stages compared item by item, by the table's key attributes. */
export const diffTable = (
  table: string,
  first: ReadonlyArray<Item>,
  second: ReadonlyArray<Item>,
): TableDiff => {
  const keyOf = (item: Item) => (KEYS[table] ?? []).map((k) => String(item[k])).join(' ')
  const firsts = new Map(first.map((item) => [keyOf(item), item]))
  const seconds = new Map(second.map((item) => [keyOf(item), item]))
  const ahead = { first: 0, second: 0 }
  const changed = [...firsts].flatMap(([key, item]) => {
    const other = seconds.get(key)
    if (other === undefined || canonical(other) === canonical(item)) return []
    const further = furtherOf(item, other)
    if (further !== undefined) {
      ahead[further] += 1
      return []
    }
    return [{ key, first: item, second: other }]
  })
  return {
    table,
    counts: [first.length, second.length],
    onlyInFirst: [...firsts.keys()].filter((key) => !seconds.has(key)),
    onlyInSecond: [...seconds.keys()].filter((key) => !firsts.has(key)),
    changed,
    ahead,
  }
}

/** Two stages' tables compared item by item. */
export const diffViews = (first: ViewContents, second: ViewContents): TableDiff[] => [
  diffTable('contributions', first.contributions, second.contributions),
  diffTable('scores', first.scores, second.scores),
  diffTable('rejected', first.rejected as unknown as Item[], second.rejected as unknown as Item[]),
]

/** True when two stages hold the same items. */
export const isSame = (diffs: ReadonlyArray<TableDiff>): boolean =>
  diffs.every(
    (d) =>
      d.onlyInFirst.length +
        d.onlyInSecond.length +
        d.changed.length +
        d.ahead.first +
        d.ahead.second ===
      0,
  )

/** Two stages of the category sales view compared item by item. */
export const diffCategoryViews = (
  first: CategoryContents,
  second: CategoryContents,
): TableDiff[] => [
  diffTable('categoryProducts', first.categoryProducts, second.categoryProducts),
  diffTable('categorySales', first.categorySales, second.categorySales),
  diffTable('rejected', first.rejected as unknown as Item[], second.rejected as unknown as Item[]),
]
