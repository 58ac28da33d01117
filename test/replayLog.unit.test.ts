import { recordsOfLines } from '../src/local/replayLog'
import { ingress, purchaseData } from './support/fixtures'

describe('records of a JSON-lines file', () => {
  it('puts an envelope under its product id, anything else under a key of its own, in file order', () => {
    const text = [
      JSON.stringify(ingress('u', purchaseData('p1'))),
      'not json',
      '',
      '{"data":{"id":7}}\r',
    ].join('\n')
    expect(
      recordsOfLines(text).map((r) => [r.partitionKey, Buffer.from(r.data).toString('utf8')]),
    ).toEqual([
      ['p1', JSON.stringify(ingress('u', purchaseData('p1')))],
      ['line-2', 'not json'],
      ['line-4', '{"data":{"id":7}}'],
    ])
  })

  it('hashes a product id too long for a partition key, the same way for every record of it', () => {
    const id = 'p'.repeat(300)
    const [first, second] = recordsOfLines(
      `${JSON.stringify(ingress('a', purchaseData(id)))}\n${JSON.stringify(ingress('b', purchaseData(id)))}`,
    )
    expect(first?.partitionKey).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(second?.partitionKey).toBe(first?.partitionKey)
  })
})
