import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { decodeEvent } from '../src/domain/events'
import { type EventData, productKindOf, upcastTo } from '../src/domain/upcasters'
import { envelopeArb } from './support/arbitraries'
import { olderFormOf, testUpcasters } from './support/upcasters'

const position = { shardId: 'shardId-000000000003', sequenceNumber: '42' }

const deepFreeze = <A>(value: A): A => {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

const dataOf = (envelope: { readonly data: unknown }): EventData => envelope.data as EventData

describe('upcasters', () => {
  it('an event written at an older version reads as the same event written at the current one', () => {
    fc.assert(
      fc.property(envelopeArb, fc.constantFrom('old', 'oldest'), (envelope, version) => {
        const older = { ...envelope, data: olderFormOf(dataOf(envelope), version) }
        expect(decodeEvent(older, position, testUpcasters)).toEqual(
          decodeEvent(envelope, position, testUpcasters),
        )
      }),
      { numRuns: 500 },
    )
  })

  it('an upcast is a pure function of the data: its input stays as it was, and twice gives the same', () => {
    fc.assert(
      fc.property(envelopeArb, fc.constantFrom('old', 'oldest'), (envelope, version) => {
        const older = deepFreeze(olderFormOf(dataOf(envelope), version))
        const copy = structuredClone(older)
        const upcast = upcastTo(String(dataOf(envelope).schema), testUpcasters)
        expect(upcast(older)).toEqual(upcast(older))
        expect(older).toEqual(copy)
      }),
    )
  })

  it('a product event at a version no upcaster reads is rejected naming that version, never skipped', () => {
    const version = fc.string({ maxLength: 12 }).filter((v) => v !== '1-0-0')
    fc.assert(
      fc.property(envelopeArb, version, (envelope, v) => {
        const current = String(dataOf(envelope).schema)
        const schema = current.replace(/1-0-0$/, v)
        const read = decodeEvent({ ...envelope, data: { ...dataOf(envelope), schema } }, position)
        expect(productKindOf(schema)).toBe(productKindOf(current))
        expect(read).toEqual(
          E.left(expect.stringContaining(`data.schema: ${JSON.stringify(schema)} is a version`)),
        )
      }),
      { numRuns: 500 },
    )
  })
})
