import fc from 'fast-check'
import { categoryDelta, categorySales, unitsByCategory } from '../src/domain/categorySales'
import type { ProductEvent } from '../src/domain/events'
import { foldByKey } from '../src/domain/projection'
import { logArb } from './support/arbitraries'

const categoryLogArb = logArb()

/** Sums of the deltas of folding a log one event at a time, per category. */
const deltaSums = (log: ReadonlyArray<ProductEvent>) => {
  const states = new Map<string, ReturnType<typeof categorySales.initial>>()
  const sums = new Map<string, { unitsSold: number; products: number }>()
  for (const event of log) {
    const before = states.get(event.productId) ?? categorySales.initial(event.productId)
    const after = categorySales.evolve(before, event)
    states.set(event.productId, after)
    const delta = categoryDelta(before, after)
    if (delta === undefined) continue
    const seen = sums.get(delta.category) ?? { unitsSold: 0, products: 0 }
    sums.set(delta.category, {
      unitsSold: seen.unitsSold + delta.unitsSold,
      products: seen.products + delta.products,
    })
  }
  return sums
}

describe('category sales laws', () => {
  it('replaying a log changes nothing', () => {
    fc.assert(
      fc.property(categoryLogArb, (log) => {
        const once = foldByKey(categorySales, log)
        expect(foldByKey(categorySales, log, once)).toEqual(once)
      }),
      { numRuns: 1000 },
    )
  })

  it('units per category equal the purchases of products with a create event', () => {
    fc.assert(
      fc.property(categoryLogArb, (log) => {
        const createdIds = new Set(
          log.filter((e) => e.type === 'ProductCreated').map((e) => e.productId),
        )
        const sold = log.filter(
          (e) => e.type === 'ProductPurchased' && createdIds.has(e.productId),
        ).length
        const totals = unitsByCategory(foldByKey(categorySales, log).values())
        expect([...totals.values()].reduce((a, b) => a + b, 0)).toBe(sold)
      }),
      { numRuns: 1000 },
    )
  })

  it('the deltas of a fold, summed, are each category’s units and its products with a create', () => {
    fc.assert(
      fc.property(categoryLogArb, (log) => {
        const states = [...foldByKey(categorySales, log).values()]
        const expected = new Map<string, { unitsSold: number; products: number }>()
        for (const { category, unitsSold } of states) {
          if (category === undefined) continue
          const seen = expected.get(category) ?? { unitsSold: 0, products: 0 }
          expected.set(category, {
            unitsSold: seen.unitsSold + unitsSold,
            products: seen.products + 1,
          })
        }
        expect(deltaSums(log)).toEqual(expected)
      }),
      { numRuns: 1000 },
    )
  })
})
