import { closed, IsoTime, keptReason, storedText } from '../src/domain/codecs'
import { EgressEnvelope, IngressEnvelope } from '../src/domain/events'
import { egress, ingress, purchaseData } from './support/fixtures'

describe('codec guards agree with decoding', () => {
  it('says a value is of a closed type exactly when it decodes', () => {
    const envelope = ingress('u', purchaseData('p'))
    expect(IngressEnvelope.is(envelope)).toBe(true)
    expect(IngressEnvelope.is({ ...envelope, extra: 1 })).toBe(false)
    expect(IngressEnvelope.is({ ...envelope, origin: '' })).toBe(false)
    expect(IngressEnvelope.is(null)).toBe(false)
    expect(IngressEnvelope.is([envelope])).toBe(false)
    expect(EgressEnvelope.is(egress('u', purchaseData('p')))).toBe(true)
    const point = closed('point', {}, {})
    expect(point.is({})).toBe(true)
  })

  it('says a string is stored text exactly when it decodes', () => {
    const key = storedText({ nonEmpty: true, maxBytes: 6 })
    expect(['ab', '€€'].map(key.is)).toEqual([true, true])
    expect(['', '€€€', 'a\ud800', 7].map(key.is)).toEqual([false, false, false, false])
    expect(storedText({ nonEmpty: false, maxBytes: 6 }).is('')).toBe(true)
    expect(IsoTime.is('2017-01-12T18:29:25Z')).toBe(true)
    expect(IsoTime.is('2017-02-30T99:29:25Z')).toBe(false)
  })

  it('keeps a reason of 1,000 characters as it is and cuts a longer one, well-formed', () => {
    expect(keptReason('r'.repeat(1000))).toBe('r'.repeat(1000))
    expect(keptReason(`${'r'.repeat(998)}😀😀`)).toBe(`${'r'.repeat(998)}\ufffd…`)
    expect(keptReason('a\ud800b')).toBe('a\ufffdb')
  })
})
