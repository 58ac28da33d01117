import { categorySales, unitsByCategory } from '../src/domain/categorySales'
import { foldByKey } from '../src/domain/projection'
import { created, purchased } from './support/events'

describe('the category sales view', () => {
  it('counts units per category, including units sold before the create', () => {
    const states = foldByKey(categorySales, [
      purchased('p1', 1),
      created('p1', 'alice', 2),
      purchased('p1', 3),
      created('p2', 'bob', 4),
      { ...created('p2', 'bob', 5), category: 'Hats' },
      purchased('p2', 6),
      purchased('p3', 7),
    ])
    expect(unitsByCategory(states.values())).toEqual(new Map([['Shoes', 3]]))
  })

  it('ignores a purchase delivered again', () => {
    const states = foldByKey(categorySales, [
      created('p1', 'a', 1),
      purchased('p1', 2),
      purchased('p1', 2),
    ])
    expect(states.get('p1')?.unitsSold).toBe(1)
  })
})
