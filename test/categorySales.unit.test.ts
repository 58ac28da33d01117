import * as E from 'fp-ts/Either'
import {
  categoryDelta,
  evolveCategorySales,
  initialCategorySales,
} from '../src/domain/categorySales'
import type { ProductEvent } from '../src/domain/events'
import { categorySalesView } from '../src/views/categorySales'
import { created, photographed, purchased } from './support/events'
import {
  createData,
  creatorOrigin,
  imageData,
  ingress,
  purchaseData,
  sequenceNumber,
} from './support/fixtures'

const fold = (events: ReadonlyArray<ProductEvent>, productId = 'p1') =>
  events.reduce(evolveCategorySales, initialCategorySales(productId))
const hats = (productId: string, n: number) => ({
  ...created(productId, 'bob', n),
  category: 'Hats',
})

describe('the category sales reducer', () => {
  it('keeps the category of the first create: a second create changes it not', () => {
    const state = fold([created('p1', 'alice', 1), hats('p1', 2)])
    expect(state).toEqual({
      productId: 'p1',
      category: 'Shoes',
      unitsSold: 0,
      lastSequenceNumber: sequenceNumber(2),
      lastIngressSequenceNumber: undefined,
    })
  })

  it('keeps an empty category as the category, and a later create does not replace it', () => {
    const state = fold([{ ...created('p1', 'alice', 1), category: '' }, hats('p1', 2)])
    expect(state.category).toBe('')
  })

  it('counts units sold before the create, and the create brings them into its category', () => {
    const before = fold([purchased('p1', 1), purchased('p1', 2)])
    expect(before).toMatchObject({ category: undefined, unitsSold: 2 })
    const after = evolveCategorySales(before, created('p1', 'alice', 3))
    expect(categoryDelta(before, after)).toEqual({ category: 'Shoes', unitsSold: 2, products: 1 })
  })

  it('adds one unit to the category for a sale after the create, and no product', () => {
    const before = fold([created('p1', 'alice', 1)])
    const after = evolveCategorySales(before, purchased('p1', 2))
    expect(categoryDelta(before, after)).toEqual({ category: 'Shoes', unitsSold: 1, products: 0 })
  })

  it('adds nothing for a product with no create, or for a second create', () => {
    expect(categoryDelta(initialCategorySales('p1'), fold([purchased('p1', 1)]))).toBeUndefined()
    const before = fold([created('p1', 'alice', 1)])
    expect(categoryDelta(before, evolveCategorySales(before, hats('p1', 2)))).toBeUndefined()
  })

  it('moves only the position for an image: no category, no unit, nothing to add', () => {
    const before = fold([created('p1', 'alice', 1)])
    const after = evolveCategorySales(before, photographed('p1', 'bob', 2))
    expect(after).toEqual({ ...before, lastSequenceNumber: sequenceNumber(2) })
    expect(categoryDelta(before, after)).toBeUndefined()
  })

  it('changes nothing for an event of another product, a redelivery, or a fan-out duplicate', () => {
    const state = fold([created('p1', 'alice', 1), purchased('p1', 2)])
    expect(evolveCategorySales(state, purchased('p2', 3))).toBe(state)
    expect(evolveCategorySales(state, purchased('p1', 2))).toBe(state)
    const ingressAt = (n: number) => ({
      shardId: 'shardId-000000000009',
      sequenceNumber: String(n),
    })
    const sale = { ...purchased('p1', 3), ingress: ingressAt(40) }
    const once = evolveCategorySales(state, sale)
    expect(once.unitsSold).toBe(2)
    expect(evolveCategorySales(once, { ...purchased('p1', 4), ingress: ingressAt(40) })).toBe(once)
  })
})

describe('the category sales view', () => {
  const position = { shardId: 'shardId-000000000000', sequenceNumber: sequenceNumber(1) }
  const decode = (data: Record<string, unknown>) =>
    categorySalesView.decode(ingress(creatorOrigin('alice'), data), position, 'p1')

  it('decodes the product events, and another schema as another view’s', () => {
    const kinds = [createData('p1'), imageData('p1'), purchaseData('p1')].map((data) =>
      E.map((d: { kind: string }) => d.kind)(decode(data)),
    )
    expect(kinds).toEqual([E.right('event'), E.right('event'), E.right('event')])
    expect(decode({ schema: 'com.nordstrom/cart/add/1-0-0', id: 'p1' })).toEqual(
      E.right({ kind: 'foreign', schema: 'com.nordstrom/cart/add/1-0-0' }),
    )
  })

  it('rejects what the winner view rejects: a product event under another partition key', () => {
    const decoded = categorySalesView.decode(
      ingress(creatorOrigin('alice'), createData('p2')),
      position,
      'p1',
    )
    expect(E.isLeft(decoded) && decoded.left).toMatch(/^partitionKey: expected the product id "p2"/)
  })

  it('adds to the CategorySales item keyed by "#" and the category, which may be empty', () => {
    const before = initialCategorySales('p1')
    const after = evolveCategorySales(before, { ...created('p1', 'alice', 1), category: '' })
    expect(categorySalesView.deltas(before, after)).toEqual([
      {
        table: 'categorySales',
        key: { categoryKey: '#' },
        set: { category: '' },
        add: { unitsSold: 0, products: 1 },
      },
    ])
    expect(categorySalesView.deltas(after, after)).toEqual([])
  })
})
