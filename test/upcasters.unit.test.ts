import * as E from 'fp-ts/Either'
import {
  CREATE_SCHEMA,
  type DecodedRecord,
  decodeEvent,
  decodeProductRecord,
  IMAGE_SCHEMA,
  PURCHASE_SCHEMA,
} from '../src/domain/events'
import {
  PRODUCT_UPCASTERS,
  productKindOf,
  type Upcaster,
  type Upcasters,
  upcastTo,
} from '../src/domain/upcasters'
import { ingress } from './support/fixtures'
import { OLD_CREATE, OLD_PURCHASE, OLDEST_CREATE, testUpcasters } from './support/upcasters'

const position = { shardId: 'shardId-000000000000', sequenceNumber: '7' }

const outcome = (data: Record<string, unknown>, upcasters?: Upcasters) =>
  decodeEvent(ingress('ann', data), position, upcasters)

const event = (data: Record<string, unknown>, upcasters?: Upcasters): DecodedRecord => {
  const result = outcome(data, upcasters)
  if (E.isLeft(result)) throw new Error(`expected an event, got: ${result.left}`)
  return result.right
}

describe('productKindOf', () => {
  it.each([
    ['com.nordstrom/product/create/1-0-0', 'create'],
    ['com.nordstrom/product/image/7', 'image'],
    ['com.nordstrom/product/purchase/', 'purchase'],
    ['com.nordstrom/product/purchase/2-0-0\n', 'purchase'],
  ])('names %j a %s event', (schema, kind) => {
    expect(productKindOf(schema)).toBe(kind)
  })

  it.each([
    'com.nordstrom/product/purchase',
    'com.nordstrom/product/refund/1-0-0',
    'com.nordstrom/cart/add/1-0-0',
    'xcom.nordstrom/product/purchase/1-0-0',
    'com.nordstrom/product/Purchase/1-0-0',
  ])('takes %j for another view event', (schema) => {
    expect(productKindOf(schema)).toBeUndefined()
  })

  it('knows the versions the view reads as its own kinds', () => {
    expect([CREATE_SCHEMA, IMAGE_SCHEMA, PURCHASE_SCHEMA].map(productKindOf)).toEqual([
      'create',
      'image',
      'purchase',
    ])
  })
})

describe('a product event at a version the view does not read', () => {
  it.each([
    'com.nordstrom/product/purchase/2-0-0',
    'com.nordstrom/product/create/1-0-1',
    'com.nordstrom/product/image/',
  ])('is rejected with the version and what to do, never skipped (%s)', (schema) => {
    expect(outcome({ schema, id: 'p1' })).toEqual(
      E.left(
        `data.schema: ${JSON.stringify(schema)} is a version this view cannot read (it reads "${schema.replace(/\/[^/]*$/, '/1-0-0')}"); add an upcaster for it`,
      ),
    )
  })

  // A schema of 200 characters: the longest a reason quotes whole.
  const LONGEST = `com.nordstrom/product/purchase/${'9'.repeat(169)}`

  it('is rejected quoting its schema whole, up to 200 characters', () => {
    expect(upcastTo(PURCHASE_SCHEMA, new Map())({ schema: LONGEST })).toEqual(
      E.left(
        `data.schema: "${LONGEST}" is a version this view cannot read (it reads "com.nordstrom/product/purchase/1-0-0"); add an upcaster for it`,
      ),
    )
  })

  it('is rejected quoting a longer schema cut at 200 characters, with its length', () => {
    expect(upcastTo(PURCHASE_SCHEMA, new Map())({ schema: `${LONGEST}9` })).toEqual(
      E.left(
        `data.schema: "${LONGEST}"… (201 characters) is a version this view cannot read (it reads "com.nordstrom/product/purchase/1-0-0"); add an upcaster for it`,
      ),
    )
  })

  it('is rejected by the product views as they are deployed, which have no upcaster yet', () => {
    expect(PRODUCT_UPCASTERS.size).toBe(0)
    const read = decodeProductRecord(
      ingress('ann', { schema: OLD_PURCHASE, productId: 'p1' }),
      position,
      'p1',
    )
    expect(E.isLeft(read) && read.left.startsWith(`data.schema: "${OLD_PURCHASE}"`)).toBe(true)
  })
})

describe('upcasters', () => {
  it('read an older purchase as the purchase it was', () => {
    expect(event({ schema: OLD_PURCHASE, productId: 'p1' }, testUpcasters)).toEqual({
      kind: 'event',
      event: {
        type: 'ProductPurchased',
        productId: 'p1',
        userId: 'ann',
        time: '2026-11-26T10:00:00.000Z',
        position,
      },
    })
  })

  it('chain, one version after another, up to the version the view reads', () => {
    const oldest = { schema: OLDEST_CREATE, id: 'p2', brand: 'B', title: 'Tee', description: '' }
    expect(event(oldest, testUpcasters)).toMatchObject({
      kind: 'event',
      event: { type: 'ProductCreated', productId: 'p2', brand: 'B', name: 'Tee', category: '' },
    })
  })

  it('leave the version the view reads as it is', () => {
    const data = { schema: PURCHASE_SCHEMA, id: 'p3' }
    expect(upcastTo(PURCHASE_SCHEMA, testUpcasters)(data)).toEqual(E.right(data))
  })

  it('say which version an upcast event came from when it is still not valid', () => {
    expect(outcome({ schema: OLD_PURCHASE, productId: 42 }, testUpcasters)).toEqual(
      E.left(
        `data.id: expected a non-empty string of at most 256 characters, got 42 (read as ${PURCHASE_SCHEMA} from "${OLD_PURCHASE}")`,
      ),
    )
  })

  it('turn a throwing upcaster into a reason, so the shard moves on', () => {
    const throwing: Upcasters = new Map([
      [
        OLD_PURCHASE,
        () => {
          throw new Error('no productId')
        },
      ],
    ])
    expect(outcome({ schema: OLD_PURCHASE }, throwing)).toEqual(
      E.left(`data: the upcaster from "${OLD_PURCHASE}" failed: no productId`),
    )
  })

  it('refuse an upcaster that turns one kind of event into another', () => {
    const turning: Upcasters = new Map([[OLD_PURCHASE, (d) => ({ ...d, schema: CREATE_SCHEMA })]])
    expect(outcome({ schema: OLD_PURCHASE, id: 'p1' }, turning)).toEqual(
      E.left(
        `data.schema: the upcaster from "${OLD_PURCHASE}" gave "${CREATE_SCHEMA}", not ${PURCHASE_SCHEMA}'s kind`,
      ),
    )
  })

  it.each([
    ['nothing', () => undefined, 'nothing'],
    ['null', () => null, 'null'],
    ['an array', () => [], 'an array'],
    ['a string', () => PURCHASE_SCHEMA, `"${PURCHASE_SCHEMA}"`],
    ['a number', () => 42, '42'],
  ])('refuse an upcaster that returns %s, so the shard moves on', (_, returns, described) => {
    const broken = new Map([[OLD_PURCHASE, returns as unknown as Upcaster]])
    expect(outcome({ schema: OLD_PURCHASE, productId: 'p1' }, broken)).toEqual(
      E.left(`data: the upcaster from "${OLD_PURCHASE}" gave ${described}, not an event's data`),
    )
  })

  // Only an object is event data: an array or a function is refused even when it carries a
  // schema, and the reason says what it was.
  it.each([
    ['an array', () => Object.assign([], { schema: PURCHASE_SCHEMA }), 'an array'],
    ['a function', () => Object.assign(() => ({}), { schema: PURCHASE_SCHEMA }), 'a function'],
  ])('refuse an upcaster that returns %s carrying a schema', (_, returns, described) => {
    const broken = new Map([[OLD_PURCHASE, returns as unknown as Upcaster]])
    expect(upcastTo(PURCHASE_SCHEMA, broken)({ schema: OLD_PURCHASE, productId: 'p1' })).toEqual(
      E.left(`data: the upcaster from "${OLD_PURCHASE}" gave ${described}, not an event's data`),
    )
  })

  it('refuse an upcaster whose schema is not a string, even one that reads as the right kind', () => {
    // An array of one schema reads as that schema as text: it must not pass for it.
    const wrapping: Upcasters = new Map([
      [OLD_PURCHASE, (d) => ({ ...d, schema: [PURCHASE_SCHEMA] })],
    ])
    expect(upcastTo(PURCHASE_SCHEMA, wrapping)({ schema: OLD_PURCHASE, id: 'p1' })).toEqual(
      E.left(
        `data.schema: the upcaster from "${OLD_PURCHASE}" gave an array, not ${PURCHASE_SCHEMA}'s kind`,
      ),
    )
  })

  it('cut the message of a throwing upcaster at 200 characters, so the reason stays short', () => {
    const throwing: Upcasters = new Map([
      [
        OLD_PURCHASE,
        () => {
          throw new Error(`${'x'.repeat(200)}and the rest`)
        },
      ],
    ])
    expect(upcastTo(PURCHASE_SCHEMA, throwing)({ schema: OLD_PURCHASE })).toEqual(
      E.left(`data: the upcaster from "${OLD_PURCHASE}" failed: ${'x'.repeat(200)}`),
    )
  })

  it('stop on upcasters that go round in a loop', () => {
    const looping: Upcasters = new Map([
      [OLD_CREATE, (d) => ({ ...d, schema: OLDEST_CREATE })],
      [OLDEST_CREATE, (d) => ({ ...d, schema: OLD_CREATE })],
    ])
    expect(outcome({ schema: OLD_CREATE, id: 'p1' }, looping)).toEqual(
      E.left(`data.schema: the upcasters from "${OLD_CREATE}" go round in a loop`),
    )
  })
})
