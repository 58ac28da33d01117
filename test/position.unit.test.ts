import { compareSequenceNumbers, isAfter, isSequenceNumber } from '../src/domain/position'

describe('sequence numbers', () => {
  it('orders by numeric value where plain text order would be wrong', () => {
    expect(compareSequenceNumbers('9', '10')).toBe(-1)
    expect('9' < '10').toBe(false)
  })

  it('orders numbers beyond 2^53 that JS numbers would confuse', () => {
    const a = '9007199254740993'
    const b = '9007199254740992'
    expect(Number(a)).toBe(Number(b))
    expect(compareSequenceNumbers(a, b)).toBe(1)
  })

  it('treats leading zeros as the same number, zero included', () => {
    expect(compareSequenceNumbers('007', '7')).toBe(0)
    expect(compareSequenceNumbers('00', '0')).toBe(0)
    expect(compareSequenceNumbers('0', '000')).toBe(0)
    expect(compareSequenceNumbers('0012', '12')).toBe(0)
    expect(compareSequenceNumbers('012', '2')).toBe(1)
    expect(compareSequenceNumbers('00', '1')).toBe(-1)
  })

  it('counts anything after no position', () => {
    expect(isAfter('1', undefined)).toBe(true)
    expect(isAfter('1', '1')).toBe(false)
  })

  it('accepts 1 to 129 decimal digits and nothing else', () => {
    expect(isSequenceNumber('1'.repeat(129))).toBe(true)
    expect(isSequenceNumber('1'.repeat(130))).toBe(false)
    expect(isSequenceNumber('')).toBe(false)
    expect(isSequenceNumber('12a')).toBe(false)
  })
})
