import { fold, initial } from '../src/domain/product'
import { mergeDeltas, scoreDeltas } from '../src/domain/scores'
import { created, photographed, purchased } from './support/events'

describe('scoreDeltas', () => {
  it('gives a newly set creator one product and the sales it earned in the fold', () => {
    const after = fold(initial('p1'), [
      created('p1', 'alice', 1),
      purchased('p1', 2),
      purchased('p1', 3),
    ])
    expect(scoreDeltas(initial('p1'), after)).toEqual([
      { userId: 'alice', role: 'creator', score: 2, products: 1 },
    ])
  })

  it('gives an already set role its new sales and no new product', () => {
    const before = fold(initial('p1'), [created('p1', 'alice', 1), photographed('p1', 'bob', 2)])
    const after = fold(before, [purchased('p1', 3)])
    expect(scoreDeltas(before, after)).toEqual([
      { userId: 'alice', role: 'creator', score: 1, products: 0 },
      { userId: 'bob', role: 'photographer', score: 1, products: 0 },
    ])
  })

  it('is empty when the fold changed no score and set no role', () => {
    const before = fold(initial('p1'), [created('p1', 'alice', 1)])
    expect(scoreDeltas(before, fold(before, [created('p1', 'carol', 2)]))).toEqual([])
  })
})

describe('mergeDeltas', () => {
  it('sums deltas of the same user and role and keeps the others apart', () => {
    const merged = mergeDeltas([
      { userId: 'alice', role: 'creator', score: 2, products: 1 },
      { userId: 'alice', role: 'photographer', score: 1, products: 1 },
      { userId: 'alice', role: 'creator', score: 3, products: 0 },
    ])
    expect(merged).toEqual([
      { userId: 'alice', role: 'creator', score: 5, products: 1 },
      { userId: 'alice', role: 'photographer', score: 1, products: 1 },
    ])
  })
})
