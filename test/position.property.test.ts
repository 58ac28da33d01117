import fc from 'fast-check'
import { compareSequenceNumbers } from '../src/domain/position'
import { sequenceNumberArb } from './support/arbitraries'

const bigIntOrder = (a: string, b: string): number => {
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}

describe('sequence number order', () => {
  it('agrees with BigInt on numbers of 1 to 129 digits, beyond 2^53 included', () => {
    fc.assert(
      fc.property(sequenceNumberArb, sequenceNumberArb, (a, b) => {
        expect(compareSequenceNumbers(a, b)).toBe(bigIntOrder(a, b))
      }),
      { numRuns: 2000 },
    )
  })

  it('agrees with BigInt on neighbours, where only the last digits differ', () => {
    fc.assert(
      fc.property(sequenceNumberArb, fc.bigInt({ min: -3n, max: 3n }), (a, step) => {
        const b = (BigInt(a) + step < 0n ? 0n : BigInt(a) + step).toString()
        expect(compareSequenceNumbers(a, b)).toBe(bigIntOrder(a, b))
        expect(compareSequenceNumbers(b, a)).toBe(bigIntOrder(b, a))
      }),
      { numRuns: 1000 },
    )
  })
})
