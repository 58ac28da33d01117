import * as E from 'fp-ts/Either'
import { type DecodedRecord, decodeEvent, requireRoutedByProduct } from '../src/domain/events'
import {
  createData,
  creatorOrigin,
  egress,
  imageData,
  ingress,
  photographerOrigin,
  purchaseData,
} from './support/fixtures'

const position = {
  shardId: 'shardId-000000000000',
  sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
}

const decoded = (payload: unknown): DecodedRecord => {
  const result = decodeEvent(payload, position)
  if (E.isLeft(result)) throw new Error(`expected a decoded record, got: ${result.left}`)
  return result.right
}
const reason = (payload: unknown): string => {
  const result = decodeEvent(payload, position)
  if (E.isRight(result)) throw new Error('expected a rejection')
  return result.left
}

describe('decodeEvent', () => {
  it('decodes an ingress create into ProductCreated with the origin as creator', () => {
    const alice = creatorOrigin('alice')
    expect(decoded(ingress(alice, createData('4579874')))).toEqual({
      kind: 'event',
      event: {
        type: 'ProductCreated',
        productId: '4579874',
        userId: alice,
        time: '2026-11-26T10:00:00.000Z',
        position,
        brand: 'Nordstrom',
        name: 'Product 4579874',
        category: 'Shoes',
      },
    })
  })

  it('decodes the egress form of an image event into ProductPhotographed', () => {
    const bob = photographerOrigin('bob')
    const result = decoded(egress(bob, imageData('4579874')))
    expect(result).toMatchObject({
      kind: 'event',
      event: { type: 'ProductPhotographed', productId: '4579874', userId: bob },
    })
  })

  it('accepts the optional eventId and followsFrom on ingress and a price on create', () => {
    const payload = {
      ...ingress('u', createData('p', { price: '19.99' })),
      eventId: 'e',
      followsFrom: 'f',
    }
    expect(decoded(payload)).toMatchObject({ kind: 'event', event: { type: 'ProductCreated' } })
  })

  it('decodes a purchase into ProductPurchased', () => {
    expect(decoded(ingress('buyer', purchaseData('p1')))).toMatchObject({
      kind: 'event',
      event: { type: 'ProductPurchased', productId: 'p1', userId: 'buyer' },
    })
  })

  it('treats an unknown data.schema as another view event, not an error', () => {
    const payload = ingress('u', { schema: 'com.nordstrom/user-login/1-0-0', id: 'x' })
    expect(decoded(payload)).toEqual({ kind: 'foreign', schema: 'com.nordstrom/user-login/1-0-0' })
  })

  it.each([
    [
      'a wrong id type',
      ingress('u', { ...purchaseData('p'), id: 42 }),
      /^data\.id: expected a non-empty string .*, got 42$/,
    ],
    [
      'a missing id',
      ingress('u', { schema: purchaseData('p').schema }),
      /^data\.id: .*got nothing$/,
    ],
    ['an empty origin', ingress('', purchaseData('p')), /^origin: expected a non-empty string/],
    [
      'an extra envelope property',
      { ...ingress('u', purchaseData('p')), extra: 1 },
      /^extra: unexpected property$/,
    ],
    [
      'a __proto__ key',
      JSON.parse('{"__proto__": {"x": 1}, "schema": "com.nordstrom/retail-stream-ingress/1-0-0"}'),
      /^__proto__: unexpected property$/,
    ],
    [
      'an extra data property',
      ingress('u', { ...purchaseData('p'), qty: 2 }),
      /^data\.qty: unexpected property$/,
    ],
    [
      'an unknown envelope schema',
      { ...ingress('u', purchaseData('p')), schema: 'x' },
      /^schema: expected ".*ingress.*" or ".*egress.*", got "x"$/,
    ],
    [
      'a bad timeOrigin',
      ingress('u', purchaseData('p'), 'yesterday'),
      /^timeOrigin: expected an ISO-8601 time, got "yesterday"$/,
    ],
    [
      'a data that is not an object',
      ingress('u', 'hello'),
      /^data: expected a JSON object, got "hello"$/,
    ],
    [
      'a data without schema',
      ingress('u', { id: 'p' }),
      /^data\.schema: expected a string, got nothing$/,
    ],
    ['an array payload', [1, 2], /^expected a JSON object envelope, got an array$/],
    [
      'an egress without timeIngest',
      (({ timeIngest, ...rest }) => rest)(egress('u', purchaseData('p'))),
      /^timeIngest: /,
    ],
  ])('rejects %s with a reason naming the field', (_, payload, expected) => {
    expect(reason(payload)).toMatch(expected)
  })

  it('rejects an origin over 2,048 bytes, a DynamoDB partition key limit', () => {
    expect(reason(ingress('u'.repeat(3000), purchaseData('p')))).toBe(
      'origin: expected a non-empty string of at most 2,048 bytes, got 3,000 bytes',
    )
  })

  it('counts bytes, not characters: 1,000 three-byte characters are too long for an origin', () => {
    expect(reason(ingress('€'.repeat(1000), purchaseData('p')))).toBe(
      'origin: expected a non-empty string of at most 2,048 bytes, got 3,000 bytes',
    )
    expect(decoded(ingress('€'.repeat(682), purchaseData('p')))).toMatchObject({ kind: 'event' })
  })

  it('counts a product id in characters, as Kinesis counts a partition key: 256 at most', () => {
    expect(decoded(ingress('u', purchaseData('p'.repeat(256))))).toMatchObject({ kind: 'event' })
    expect(decoded(ingress('u', purchaseData('😀'.repeat(256))))).toMatchObject({ kind: 'event' })
    expect(reason(ingress('u', purchaseData('😀'.repeat(257))))).toBe(
      'data.id: expected a non-empty string of at most 256 characters, got 257 characters',
    )
  })

  it('accepts an image that is not a URL and empty catalog fields, as the published schemas do', () => {
    expect(decoded(ingress('u', { ...imageData('p'), image: '' }))).toMatchObject({
      event: { type: 'ProductPhotographed', image: '' },
    })
    expect(
      decoded(
        ingress('u', createData('p', { brand: '', name: '', description: '', category: '' })),
      ),
    ).toMatchObject({ event: { type: 'ProductCreated', brand: '', name: '', category: '' } })
  })

  it('rejects a brand over 4 KiB, which the Contributions item would carry', () => {
    expect(reason(ingress('u', createData('p', { brand: 'b'.repeat(4097) })))).toMatch(
      /^data\.brand: /,
    )
  })

  it('never echoes a long value back in the reason', () => {
    expect(reason(ingress('u', { ...purchaseData('p'), id: 'x'.repeat(5000) }))).not.toContain(
      'xxxxxxxxxx',
    )
  })

  it('accepts a timeOrigin with a numeric offset, and refuses one without a zone', () => {
    for (const time of ['2017-01-12T18:29:25.171+05:30', '2017-01-12T18:29:25-0800']) {
      expect(decoded(ingress('u', purchaseData('p'), time))).toMatchObject({ kind: 'event' })
    }
    for (const time of [
      '2017-01-12T18:29:25.171',
      '2017-01-12T18:29:25 05:30',
      '2017-01-12T18:29:25+5:30',
    ]) {
      expect(reason(ingress('u', purchaseData('p'), time))).toMatch(/^timeOrigin: /)
    }
  })

  it('names what a payload or its data is when it is not an object', () => {
    expect(reason(null)).toBe('expected a JSON object envelope, got null')
    expect(reason('text')).toBe('expected a JSON object envelope, got "text"')
    expect(reason(ingress('u', null))).toBe('data: expected a JSON object, got null')
    expect(reason(ingress('u', [1]))).toBe('data: expected a JSON object, got an array')
  })

  it('quotes a value of up to 40 characters and only measures a longer one', () => {
    expect(reason(ingress('u', { ...purchaseData('p'), id: 7, extra: 'x' }))).toBe(
      'data.extra: unexpected property',
    )
    expect(reason(ingress('u', purchaseData('p'), 'x'.repeat(40)))).toBe(
      `timeOrigin: expected an ISO-8601 time, got "${'x'.repeat(40)}"`,
    )
    expect(reason(ingress('u', purchaseData('p'), 'x'.repeat(41)))).toBe(
      'timeOrigin: expected an ISO-8601 time, got a string of 41 characters',
    )
  })

  it('rejects a product event under a partition key other than its id, naming both', () => {
    const event = decoded(ingress('u', purchaseData('p1')))
    expect(requireRoutedByProduct('p1')(event)).toEqual(E.right(event))
    expect(requireRoutedByProduct('other')(event)).toEqual(
      E.left('partitionKey: expected the product id "p1", got "other"'),
    )
    const foreign = decoded(ingress('u', { schema: 'com.nordstrom/cart/add/1-0-0', id: 'p1' }))
    expect(requireRoutedByProduct('any')(foreign)).toEqual(E.right(foreign))
  })

  it('cuts a long property name in a reason and gives its length', () => {
    const name = 'n'.repeat(101)
    expect(reason({ ...ingress('u', purchaseData('p')), [name]: 1 })).toBe(
      `${'n'.repeat(40)}… (a name of 101 characters): unexpected property`,
    )
    const hundred = 'h'.repeat(100)
    expect(reason({ ...ingress('u', purchaseData('p')), [hundred]: 1 })).toBe(
      `${hundred}: unexpected property`,
    )
  })
})
