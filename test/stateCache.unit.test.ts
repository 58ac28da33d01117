import { makeStateCache } from '../src/runtime/stateCache'

describe('the state cache', () => {
  it('gives back what it was told to remember, and nothing for a key it forgot', () => {
    const cache = makeStateCache<string>(10)
    cache.remember('p1', 'one')
    cache.remember('p2', 'two')
    cache.forget('p2')
    expect([cache.get('p1'), cache.get('p2'), cache.get('p3')]).toEqual([
      'one',
      undefined,
      undefined,
    ])
  })

  it('drops the least recently used key beyond its capacity, a read counting as a use', () => {
    const cache = makeStateCache<string>(2)
    cache.remember('p1', 'one')
    cache.remember('p2', 'two')
    cache.get('p1')
    cache.remember('p3', 'three')
    expect([cache.get('p1'), cache.get('p2'), cache.get('p3')]).toEqual(['one', undefined, 'three'])
    cache.remember('p1', 'one again')
    cache.remember('p4', 'four')
    expect([cache.get('p1'), cache.get('p3'), cache.get('p4')]).toEqual([
      'one again',
      undefined,
      'four',
    ])
  })

  it('keeps nothing and never guesses with a capacity of 0', () => {
    const cache = makeStateCache<string>(0)
    cache.remember('p1', 'one')
    cache.learnFromRead(false)
    expect(cache.get('p1')).toBe(undefined)
    expect(cache.guessesNew()).toBe(false)
  })

  it('guesses keys new once a read found none stored, until a read finds one or a condition refuses', () => {
    const cache = makeStateCache<string>(5)
    expect(cache.guessesNew()).toBe(false)
    cache.learnFromRead(false)
    expect(cache.guessesNew()).toBe(true)
    cache.learnFromRefusal()
    expect(cache.guessesNew()).toBe(false)
    cache.learnFromRead(false)
    cache.learnFromRead(true)
    expect(cache.guessesNew()).toBe(false)
  })
})
