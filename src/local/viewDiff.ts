import type { ViewContents } from './viewReader'

type Item = Record<string, unknown>

/** How one table of two stages differs: counts, then the items on one side only or unequal. */
export interface TableDiff {
  readonly table: 'contributions' | 'scores' | 'rejected'
  readonly counts: readonly [number, number]
  readonly onlyInFirst: ReadonlyArray<string>
  readonly onlyInSecond: ReadonlyArray<string>
  readonly changed: ReadonlyArray<{
    readonly key: string
    readonly first: Item
    readonly second: Item
  }>
}

const KEYS: Record<TableDiff['table'], ReadonlyArray<string>> = {
  contributions: ['productId'],
  scores: ['userId', 'role'],
  rejected: ['eventId'],
}

/** Items compare by their attributes, in any order. */
const canonical = (item: Item): string =>
  JSON.stringify(Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1))))

const diffTable = (
  table: TableDiff['table'],
  first: ReadonlyArray<Item>,
  second: ReadonlyArray<Item>,
): TableDiff => {
  const keyOf = (item: Item) => KEYS[table].map((k) => String(item[k])).join(' ')
  const firsts = new Map(first.map((item) => [keyOf(item), item]))
  const seconds = new Map(second.map((item) => [keyOf(item), item]))
  const changed = [...firsts].flatMap(([key, item]) => {
    const other = seconds.get(key)
    return other === undefined || canonical(other) === canonical(item)
      ? []
      : [{ key, first: item, second: other }]
  })
  return {
    table,
    counts: [first.length, second.length],
    onlyInFirst: [...firsts.keys()].filter((key) => !seconds.has(key)),
    onlyInSecond: [...seconds.keys()].filter((key) => !firsts.has(key)),
    changed,
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
  diffs.every((d) => d.onlyInFirst.length + d.onlyInSecond.length + d.changed.length === 0)
