import * as E from 'fp-ts/Either'
import { parseKinesisRecord } from '../src/runtime/kinesisRecord'
import { kinesisRecord, sequenceNumber } from './support/fixtures'

const position = { shardId: 'shardId-000000000007', sequenceNumber: sequenceNumber(1) }
const withData = (data: string) => {
  const record = kinesisRecord({}, position)
  record.kinesis.data = data
  return record
}

describe('parsing a Kinesis record', () => {
  it('reads the position from the eventID and the payload from base64 UTF-8 JSON', () => {
    expect(parseKinesisRecord(kinesisRecord({ a: 'é' }, position))).toEqual(
      E.right({ position, payload: { a: 'é' } }),
    )
  })

  it.each([
    ['a character outside base64', 'e30*'],
    ['a length that is not a multiple of 4', 'e30'],
    ['padding inside the text', 'e3=9e30='],
    ['too much padding', 'e30==='],
  ])('refuses %s as not base64', (_, data) => {
    expect(parseKinesisRecord(withData(data))).toEqual(E.left('data: not base64'))
  })

  it('accepts both padding lengths', () => {
    expect(parseKinesisRecord(withData(Buffer.from('"ab"').toString('base64')))).toEqual(
      E.right({ position, payload: 'ab' }),
    )
    expect(parseKinesisRecord(withData(Buffer.from('"abc"').toString('base64')))).toEqual(
      E.right({ position, payload: 'abc' }),
    )
  })

  it('refuses bytes that are not UTF-8, and text that is not JSON', () => {
    expect(parseKinesisRecord(withData(Buffer.from([0xc3, 0x28]).toString('base64')))).toEqual(
      E.left('data: not UTF-8 text'),
    )
    expect(parseKinesisRecord(withData(Buffer.from('{').toString('base64')))).toMatchObject(
      E.left(expect.stringMatching(/^data: not JSON/)),
    )
  })

  it('refuses a sequence number that is not 1 to 129 digits', () => {
    const record = kinesisRecord({}, position)
    record.kinesis.sequenceNumber = '12ab'
    expect(parseKinesisRecord(record)).toEqual(
      E.left('kinesis.sequenceNumber: expected 1 to 129 decimal digits'),
    )
  })
})
