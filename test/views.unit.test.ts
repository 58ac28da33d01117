import * as E from 'fp-ts/Either'
import { evolveCategorySales, initialCategorySales } from '../src/domain/categorySales'
import { evolve, fanOutDuplicateReason, initial } from '../src/domain/product'
import { perWriterView } from '../src/runtime/partials'
import { tableEnvironment, viewTableNamesFor } from '../src/runtime/tables'
import { tablesOf } from '../src/runtime/view'
import { categorySalesView } from '../src/views/categorySales'
import { winnerView } from '../src/views/winner'
import { created, photographed, purchased } from './support/events'

// Each view's wiring, against literal expectations: its name, tables, keys, positions,
// item codec and deltas, as the deployment, the readers and the runtime rely on them.

describe('the winner view’s wiring', () => {
  it('names its tables, their roles and the attributes the runtime’s condition uses', () => {
    expect(winnerView.name).toBe('winner-view')
    expect(viewTableNamesFor(winnerView, 'prod')).toEqual({
      contributions: 'winner-view-prod-Contributions',
      scores: 'winner-view-prod-Scores',
      partials: 'winner-view-prod-ContributionsPartials',
      marks: 'winner-view-prod-ContributionsMarks',
      rejected: 'winner-view-prod-Rejected',
    })
    expect(winnerView.tables.state).toMatchObject({
      role: 'contributions',
      keyAttribute: 'productId',
      positionAttribute: 'lastSequenceNumber',
    })
    expect(tableEnvironment(viewTableNamesFor(winnerView, 'dev'))).toEqual({
      TABLE_CONTRIBUTIONS_NAME: 'winner-view-dev-Contributions',
      TABLE_SCORES_NAME: 'winner-view-dev-Scores',
      TABLE_PARTIALS_NAME: 'winner-view-dev-ContributionsPartials',
      TABLE_MARKS_NAME: 'winner-view-dev-ContributionsMarks',
      TABLE_REJECTED_NAME: 'winner-view-dev-Rejected',
    })
  })

  it('keys a state by its product, and positions it at its last folded sequence number', () => {
    const state = evolve(initial('p1'), created('p1', 'ann', 7))
    expect(winnerView.keyOf(created('p9', 'ann', 1))).toBe('p9')
    expect(winnerView.initial('p1')).toEqual(initial('p1'))
    expect(winnerView.positionOf(state)).toBe(state.lastSequenceNumber)
    expect(winnerView.positionOf(initial('p1'))).toBe(undefined)
  })

  it('writes a state as an item it reads back the same', () => {
    const state = [
      photographed('p1', 'bob', 2),
      created('p1', 'ann', 3),
      purchased('p1', 4),
    ].reduce(evolve, initial('p1'))
    expect(winnerView.fromItem(winnerView.toItem(state))).toEqual(E.right(state))
    expect(winnerView.toItem(state)).toMatchObject({
      productId: 'p1',
      creator: 'ann',
      photographer: 'bob',
      purchases: 1,
    })
  })

  it('adds a sale to both roles’ Scores items, in their leaderboard partitions', () => {
    const before = [created('p1', 'ann', 1), photographed('p1', 'bob', 2)].reduce(
      evolve,
      initial('p1'),
    )
    const after = evolve(before, purchased('p1', 3))
    const deltas = winnerView.deltas(before, after)
    expect(deltas).toHaveLength(2)
    expect(deltas).toEqual(
      expect.arrayContaining([
        {
          table: 'scores',
          key: { userId: 'ann', role: 'creator' },
          add: { score: 1, products: 0 },
          set: { leaderboardKey: expect.stringMatching(/^creator#[0-7]$/) },
        },
        {
          table: 'scores',
          key: { userId: 'bob', role: 'photographer' },
          add: { score: 1, products: 0 },
          set: { leaderboardKey: expect.stringMatching(/^photographer#[0-7]$/) },
        },
      ]),
    )
    expect(winnerView.deltas(after, after)).toEqual([])
  })

  it('judges duplicates by the fan-out rule, and passes over a plain redelivery unnamed', () => {
    const state = evolve(initial('p1'), created('p1', 'ann', 1))
    expect(winnerView.duplicateOf).toBe(fanOutDuplicateReason)
    expect(categorySalesView.duplicateOf).toBe(fanOutDuplicateReason)
    expect(winnerView.duplicateOf?.(state, created('p1', 'ann', 1))).toBe(undefined)
  })
})

describe('the category sales view’s wiring', () => {
  it('names its tables, their roles and the attributes the runtime’s condition uses', () => {
    expect(categorySalesView.name).toBe('category-sales')
    expect(viewTableNamesFor(categorySalesView, 'prod')).toEqual({
      categoryProducts: 'winner-view-prod-CategoryProducts',
      categorySales: 'winner-view-prod-CategorySales',
      partials: 'winner-view-prod-CategoryProductsPartials',
      categoryRejected: 'winner-view-prod-CategoryRejected',
      marks: 'winner-view-prod-CategoryProductsMarks',
    })
    expect(categorySalesView.tables.state).toMatchObject({
      role: 'categoryProducts',
      keyAttribute: 'productId',
      positionAttribute: 'lastSequenceNumber',
    })
    expect(tablesOf(categorySalesView).map((t) => t.definition.KeySchema)).toEqual([
      [{ AttributeName: 'productId', KeyType: 'HASH' }],
      [{ AttributeName: 'categoryKey', KeyType: 'HASH' }],
      [
        { AttributeName: 'item', KeyType: 'HASH' },
        { AttributeName: 'writer', KeyType: 'RANGE' },
      ],
      [{ AttributeName: 'eventId', KeyType: 'HASH' }],
      [{ AttributeName: 'shardId', KeyType: 'HASH' }],
    ])
  })

  it('keys a state by its product, positions it, and writes it as an item it reads back the same', () => {
    const state = [created('p1', 'ann', 3), purchased('p1', 4)].reduce(
      evolveCategorySales,
      initialCategorySales('p1'),
    )
    expect(categorySalesView.keyOf(purchased('p7', 1))).toBe('p7')
    expect(categorySalesView.initial('p1')).toEqual(initialCategorySales('p1'))
    expect(categorySalesView.positionOf(state)).toBe(state.lastSequenceNumber)
    expect(categorySalesView.positionOf(initialCategorySales('p1'))).toBe(undefined)
    expect(categorySalesView.evolve(initialCategorySales('p1'), created('p1', 'ann', 3))).toEqual(
      evolveCategorySales(initialCategorySales('p1'), created('p1', 'ann', 3)),
    )
    expect(categorySalesView.fromItem(categorySalesView.toItem(state))).toEqual(E.right(state))
  })

  it('sends its deltas to the writer’s partials, never to CategorySales directly', () => {
    const view = perWriterView(categorySalesView, 'shardId-000000000003')
    const before = initialCategorySales('p1')
    const after = evolveCategorySales(before, { ...created('p1', 'ann', 1), category: 'Hats' })
    expect(view.deltas(before, after)).toEqual([
      {
        table: 'partials',
        key: { item: expect.any(String), writer: 'shardId-000000000003' },
        add: { unitsSold: 0, products: 1, version: 1 },
        set: {
          category: 'Hats',
          aggregate: '"categorySales","categoryKey","#Hats"',
        },
      },
    ])
  })
})
