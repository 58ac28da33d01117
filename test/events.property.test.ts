import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { decodeEvent } from '../src/domain/events'
import { envelopeArb } from './support/arbitraries'

const position = { shardId: 'shardId-000000000000', sequenceNumber: '1' }

describe('codecs', () => {
  it('every valid envelope round trips through JSON into an event with its fields', () => {
    fc.assert(
      fc.property(envelopeArb, (envelope) => {
        const { schema, id, description, ...details } = envelope.data as Record<string, unknown>
        const decoded = decodeEvent(JSON.parse(JSON.stringify(envelope)), position)
        expect(decoded).toMatchObject(
          E.right({
            kind: 'event',
            event: {
              productId: id,
              userId: envelope.origin,
              time: envelope.timeOrigin,
              position,
              ...details,
            },
          }),
        )
      }),
      { numRuns: 1000 },
    )
  })

  it('any extra envelope property is rejected, naming it', () => {
    const known = new Set([
      'schema',
      'origin',
      'timeOrigin',
      'data',
      'eventId',
      'followsFrom',
      'timeIngest',
      'timeProcess',
    ])
    const extraKeyArb = fc.string({ minLength: 1 }).filter((key) => !known.has(key))
    fc.assert(
      fc.property(envelopeArb, extraKeyArb, fc.jsonValue(), (envelope, key, value) => {
        const payload = JSON.parse(JSON.stringify(envelope))
        Object.defineProperty(payload, key, { value, enumerable: true })
        expect(decodeEvent(payload, position)).toEqual(E.left(`${key}: unexpected property`))
      }),
      { numRuns: 1000 },
    )
  })

  it('any JSON value decodes to a result or a reason, never a throw', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const decoded = decodeEvent(value, position)
        if (E.isLeft(decoded)) expect(decoded.left.length).toBeGreaterThan(0)
      }),
      { numRuns: 1000 },
    )
  })
})
