import { streamRef } from '../src/local/kinesis'

describe('how a command names the stream it reads', () => {
  it('by its ARN when given one, so that a stream in another account can be read', () => {
    const arn = 'arn:aws:kinesis:eu-west-1:210987654321:stream/retail'
    expect(streamRef(arn)).toEqual({ StreamARN: arn })
  })

  it('by its name otherwise', () => {
    expect(streamRef('retail')).toEqual({ StreamName: 'retail' })
  })
})
