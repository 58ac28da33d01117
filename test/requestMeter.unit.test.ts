import { transactionWriteUnits } from '../src/local/requestMeter'

const put = (bytes: number) => ({
  Put: { TableName: 'C', Item: { productId: { S: 'x'.repeat(Math.max(0, bytes - 22)) } } },
})

describe('write units of a transaction, as AWS bills them', () => {
  it('counts two units a KB for each item of a transaction, a condition check too', () => {
    // {"productId":{"S":"…"}} is 22 bytes of JSON around the value
    expect(JSON.stringify(put(100).Put.Item)).toHaveLength(100)
    expect(transactionWriteUnits([put(100)])).toBe(2)
    expect(transactionWriteUnits([put(1024)])).toBe(2)
    expect(transactionWriteUnits([put(1025)])).toBe(4)
    expect(
      transactionWriteUnits([
        put(300),
        { Update: { TableName: 'S', Key: {}, UpdateExpression: 'ADD #a :a' } },
        { ConditionCheck: { TableName: 'S', Key: {}, ConditionExpression: 'x' } },
        { Delete: { TableName: 'S', Key: {} } },
      ]),
    ).toBe(8)
  })

  it('counts an item JSON cannot write as small rather than failing the committed call', () => {
    const item = { Put: { TableName: 'C', Item: { big: 2n ** 70n } } }
    expect(transactionWriteUnits([item])).toBe(2)
  })
})
