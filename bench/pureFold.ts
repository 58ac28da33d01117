import { categorySales, unitsByCategory } from '../src/domain/categorySales'
import type { ProductEvent } from '../src/domain/events'
import { decodeEvent } from '../src/domain/events'
import { initial, type ProductState, products } from '../src/domain/product'
import { foldByKey } from '../src/domain/projection'
import { mergeDeltas, type ScoreDelta, scoreDeltas } from '../src/domain/scores'
import type { ViewContents } from '../src/local/viewReader'

/** The events of a JSON-lines log, each product's in file order; lines that do not decode are left out. */
export const eventsOf = (lines: ReadonlyArray<string>): ProductEvent[] =>
  lines.flatMap((line, at) => {
    let payload: unknown
    try {
      payload = JSON.parse(line)
    } catch {
      return []
    }
    const decoded = decodeEvent(payload, {
      shardId: 'shardId-000000000000',
      sequenceNumber: String(at + 1),
    })
    return decoded._tag === 'Right' && decoded.right.kind === 'event' ? [decoded.right.event] : []
  })

/** What every run must equal: the pure fold of the log, its products and their merged scores. */
export interface PureFold {
  readonly contributions: ReadonlyArray<ProductState>
  readonly scores: ReadonlyArray<ScoreDelta>
}

export const pureFoldOf = (events: ReadonlyArray<ProductEvent>): PureFold => {
  const contributions = [...foldByKey(products, events).values()]
  const deltas = contributions.flatMap((state) => scoreDeltas(initial(state.productId), state))
  return { contributions, scores: mergeDeltas(deltas) }
}

/** The category sales view's totals as the pure fold of the log says: per category, units and products. */
export const categoryFoldOf = (
  events: ReadonlyArray<ProductEvent>,
): Map<string, { readonly unitsSold: number; readonly products: number }> => {
  const states = [...foldByKey(categorySales, events).values()]
  const units = unitsByCategory(states)
  return new Map(
    [...units].map(([category, unitsSold]) => [
      category,
      { unitsSold, products: states.filter((s) => s.category === category).length },
    ]),
  )
}

/** Semantic fields only: the baseline keeps no positions and no per-role scores on products. */
export const sameView = (
  stored: Pick<ViewContents, 'contributions' | 'scores'>,
  expected: PureFold,
) => {
  const pick = (items: ReadonlyArray<Record<string, unknown>> | ReadonlyArray<ProductState>) =>
    items.map(({ productId, creator, photographer, purchases }) => ({
      productId,
      creator,
      photographer,
      purchases,
    }))
  const scoresDiffer =
    expected.scores.filter(
      (s) =>
        !stored.scores.some(
          (t) =>
            t.userId === s.userId &&
            t.role === s.role &&
            t.score === s.score &&
            t.products === s.products,
        ),
    ).length + Math.max(0, stored.scores.length - expected.scores.length)
  const productsDiffer = pick(expected.contributions).filter(
    (e) =>
      JSON.stringify(e) !==
      JSON.stringify(pick(stored.contributions).find((s) => s.productId === e.productId)),
  ).length
  return { equal: scoresDiffer === 0 && productsDiffer === 0, scoresDiffer, productsDiffer }
}

/** The pure fold alone, in memory: events folded per second, over repeated passes of at least 2 s. */
export const measurePureFold = (events: ReadonlyArray<ProductEvent>) => {
  foldByKey(products, events)
  let folded = 0
  const started = performance.now()
  while (performance.now() - started < 2000) {
    foldByKey(products, events)
    folded += events.length
  }
  return Math.round(folded / ((performance.now() - started) / 1000))
}
