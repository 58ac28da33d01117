import fc from 'fast-check'
import { categorySales, unitsByCategory } from '../src/domain/categorySales'
import { foldByKey } from '../src/domain/projection'
import { logArb } from './support/arbitraries'

describe('category sales laws', () => {
  it('replaying a log changes nothing', () => {
    fc.assert(
      fc.property(logArb(), (log) => {
        const once = foldByKey(categorySales, log)
        expect(foldByKey(categorySales, log, once)).toEqual(once)
      }),
      { numRuns: 1000 },
    )
  })

  it('units per category equal the purchases of products with a create event', () => {
    fc.assert(
      fc.property(logArb(), (log) => {
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
})
