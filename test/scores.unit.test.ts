import { fnv1a } from '../src/domain/hash'
import { fold, initial } from '../src/domain/product'
import {
  LEADERBOARD_PARTITIONS,
  leaderboardKeyOf,
  leaderboardKeysOf,
  mergeDeltas,
  scoreDeltas,
} from '../src/domain/scores'
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

describe('the leaderboard partitions', () => {
  it('files each user of a role under one of its partitions, always the same, and uses them all', () => {
    const users = Array.from({ length: 400 }, (_, at) => `user-${at}`)
    const keys = users.map((userId) => leaderboardKeyOf('creator', userId))
    expect(users.map((userId) => leaderboardKeyOf('creator', userId))).toEqual(keys)
    expect(new Set(keys)).toEqual(new Set(leaderboardKeysOf('creator')))
    expect(leaderboardKeysOf('photographer')).toEqual(
      Array.from({ length: LEADERBOARD_PARTITIONS }, (_, k) => `photographer#${k}`),
    )
    // No partition holds much more than its share (50 of 400 over 8).
    const counts = [...new Set(keys)].map((key) => keys.filter((k) => k === key).length)
    expect(Math.max(...counts)).toBeLessThan(80)
  })

  it('names the partition by the role and a number below the count', () => {
    expect(leaderboardKeyOf('photographer', 'ada')).toMatch(/^photographer#[0-7]$/)
    expect(leaderboardKeyOf('creator', '')).toMatch(/^creator#[0-7]$/)
  })
})

describe('the hash that spreads users over leaderboard partitions', () => {
  it('is 32-bit FNV-1a: the published test vectors', () => {
    // From the FNV reference's test suite (draft-eastlake-fnv, 32-bit FNV-1a).
    expect(fnv1a('')).toBe(0x811c9dc5)
    expect(fnv1a('a')).toBe(0xe40c292c)
    expect(fnv1a('foobar')).toBe(0xbf9cf968)
  })
})
