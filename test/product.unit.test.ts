import { evolve, fold, initial } from '../src/domain/product'
import { planKey } from '../src/runtime/plan'
import { winnerView } from '../src/views/winner'
import { created, photographed, purchased } from './support/events'
import { sequenceNumber } from './support/fixtures'

describe('the product reducer', () => {
  it('starts a product with no roles, no purchases and no position', () => {
    expect(initial('p1')).toEqual({
      productId: 'p1',
      purchases: 0,
      creatorScore: 0,
      photographerScore: 0,
    })
  })

  it('sets creator and details from the first create event', () => {
    const state = fold(initial('p1'), [created('p1', 'alice', 1)])
    expect(state).toMatchObject({
      creator: 'alice',
      brand: 'Nordstrom',
      name: 'Product p1',
      category: 'Shoes',
    })
  })

  it('keeps the first creator when a second create arrives', () => {
    const state = fold(initial('p1'), [
      created('p1', 'alice', 1),
      { ...created('p1', 'carol', 2), name: 'Other' },
    ])
    expect(state).toMatchObject({ creator: 'alice', name: 'Product p1' })
  })

  it('keeps the first photographer when a second image arrives', () => {
    const state = fold(initial('p1'), [photographed('p1', 'bob', 1), photographed('p1', 'dave', 2)])
    expect(state.photographer).toBe('bob')
  })

  it('counts a purchase for the product and for each role already registered', () => {
    const state = fold(initial('p1'), [
      created('p1', 'alice', 1),
      photographed('p1', 'bob', 2),
      purchased('p1', 3),
    ])
    expect(state).toMatchObject({ purchases: 1, creatorScore: 1, photographerScore: 1 })
  })

  it('credits a role only with the purchases folded after it was registered', () => {
    const state = fold(initial('p1'), [
      purchased('p1', 1),
      created('p1', 'alice', 2),
      purchased('p1', 3),
      photographed('p1', 'bob', 4),
      purchased('p1', 5),
    ])
    expect(state).toMatchObject({ purchases: 3, creatorScore: 2, photographerScore: 1 })
  })

  it('credits the photographer of a photo that came before the create', () => {
    const state = fold(initial('p1'), [
      photographed('p1', 'bob', 1),
      purchased('p1', 2),
      created('p1', 'alice', 3),
    ])
    expect(state).toMatchObject({
      photographer: 'bob',
      creator: 'alice',
      photographerScore: 1,
      creatorScore: 0,
    })
  })

  it('ignores an event at the last folded position', () => {
    const once = fold(initial('p1'), [created('p1', 'alice', 1), purchased('p1', 2)])
    expect(evolve(once, purchased('p1', 2))).toBe(once)
  })

  it('ignores an event below the last folded position, even from another shard', () => {
    const state = fold(initial('p1'), [created('p1', 'alice', 1), purchased('p1', 5)])
    expect(evolve(state, purchased('p1', 3, 'shardId-000000000009'))).toBe(state)
  })

  it('compares positions as numbers: a longer sequence number is later', () => {
    const short = { ...purchased('p1', 0), position: { shardId: 's', sequenceNumber: '99' } }
    const long = { ...purchased('p1', 0), position: { shardId: 's', sequenceNumber: '100' } }
    expect(fold(initial('p1'), [short, long]).purchases).toBe(2)
  })

  it('takes the position from a child shard after a reshard', () => {
    const child = purchased('p1', 10, 'shardId-000000000004')
    const state = fold(initial('p1'), [purchased('p1', 1), child])
    expect(state).toMatchObject({
      purchases: 2,
      lastEventId: `shardId-000000000004:${sequenceNumber(10)}`,
    })
  })

  it('moves the position and updated time with every folded event, created only with the first', () => {
    const first = created('p1', 'alice', 1)
    const last = photographed('p1', 'alice', 7)
    const state = fold(initial('p1'), [first, created('p1', 'x', 4), last])
    expect(state).toMatchObject({
      lastSequenceNumber: last.position.sequenceNumber,
      lastEventId: `${last.position.shardId}:${last.position.sequenceNumber}`,
      created: first.time,
      updated: last.time,
    })
  })

  it('ignores an event of another product', () => {
    const state = initial('p1')
    expect(evolve(state, purchased('p2', 1))).toBe(state)
  })

  it('does not fold an egress event whose ingress record was folded already, and names where', () => {
    const ingress = (n: number) => ({ shardId: 'shardId-000000000009', sequenceNumber: String(n) })
    const sale = { ...purchased('p1', 2), ingress: ingress(40) }
    const again = { ...purchased('p1', 3), ingress: ingress(40) }
    const older = { ...purchased('p1', 4), ingress: ingress(39) }
    const next = { ...purchased('p1', 5), ingress: ingress(41) }
    const start = fold(initial('p1'), [created('p1', 'alice', 1)])
    const state = fold(start, [sale, again, older, next])
    expect(state).toMatchObject({
      purchases: 2,
      creatorScore: 2,
      lastSequenceNumber: sequenceNumber(5),
      lastIngressSequenceNumber: '41',
    })
    const batch = { key: 'p1', events: [sale, again, older, next, sale], recordIndexes: [] }
    const plan = planKey(winnerView, batch, start)
    expect(plan.planned?.folds).toEqual([0, 3])
    // The last sale is a redelivery, folded before: skipped, not a duplicate.
    expect(plan.duplicates.map((d) => d.at)).toEqual([1, 2])
    expect(plan.duplicates[0]?.reason).toMatch(/^fan-out duplicate of shardId-000000000009:40: /)
  })

  it('orders ingress envelopes by their own position only', () => {
    const state = fold(initial('p1'), [purchased('p1', 1), purchased('p1', 2)])
    expect(state).toMatchObject({ purchases: 2, lastIngressSequenceNumber: undefined })
  })
})
