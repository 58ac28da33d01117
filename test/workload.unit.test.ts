import { generateWorkload } from '../src/local/workload'

const parsed = (data: string): { data?: { id?: unknown; schema?: unknown } } | undefined => {
  try {
    return JSON.parse(data)
  } catch {
    return undefined
  }
}

describe('the workload generator', () => {
  const records = generateWorkload({ events: 3000, seed: 1, edgeCases: true })

  it('gives the same records for the same seed and others for another seed', () => {
    expect(generateWorkload({ events: 3000, seed: 1, edgeCases: true })).toEqual(records)
    expect(generateWorkload({ events: 3000, seed: 2, edgeCases: true })).not.toEqual(records)
  })

  it('routes every envelope with a string product id by that id, so a product stays in one shard', () => {
    for (const record of records) {
      const id = parsed(record.data)?.data?.id
      if (typeof id === 'string') expect(record.partitionKey).toBe(id)
    }
  })

  it('skews popularity: the most sold product sells far more than the median one', () => {
    const sales = new Map<string, number>()
    for (const record of generateWorkload({ events: 3000, seed: 1 })) {
      const data = parsed(record.data)?.data
      if (data?.schema === 'com.nordstrom/product/purchase/1-0-0')
        sales.set(String(data.id), (sales.get(String(data.id)) ?? 0) + 1)
    }
    const counts = [...sales.values()].sort((a, b) => b - a)
    expect(counts[0]).toBeGreaterThan(10 * (counts[Math.floor(counts.length / 2)] ?? 1))
  })

  it('writes images as the real producers do, most without a scheme, and some empty descriptions', () => {
    const data = records.map((record) => parsed(record.data)?.data as Record<string, unknown>)
    const images = data.filter((d) => d?.schema === 'com.nordstrom/product/image/1-0-0')
    const schemeless = images.filter((d) => !String(d.image).startsWith('https://'))
    expect(schemeless.length).toBeGreaterThan(images.length / 2)
    expect(schemeless.length).toBeLessThan(images.length)
    expect(schemeless[0]?.image).toMatch(/^[a-z]+\.hello-retail\.biz\/i\/p\/\d+$/)
    const creates = data.filter((d) => d?.schema === 'com.nordstrom/product/create/1-0-0')
    expect(creates.some((d) => d.description === '')).toBe(true)
  })

  it('mixes in bad records and other views events only when asked', () => {
    const isOdd = (data: string) =>
      parsed(data) === undefined || data.includes('user-info/') || data.includes('cart/add')
    expect(records.some((r) => isOdd(r.data))).toBe(true)
    expect(generateWorkload({ events: 3000, seed: 1 }).some((r) => isOdd(r.data))).toBe(false)
  })
})

describe('a workload with a catalog', () => {
  it('creates the catalog first, each product once, and spreads the purchases that follow over it', () => {
    const idsOf = (records: ReturnType<typeof generateWorkload>, schema: string) =>
      records.filter((r) => r.data.includes(schema)).map((r) => r.partitionKey)
    const small = generateWorkload({ events: 3000, seed: 4 })
    const large = generateWorkload({ events: 3000, seed: 4, catalog: 2000 })
    expect(large).toHaveLength(5000)
    const catalog = large.slice(0, 2000)
    expect(idsOf(catalog, 'product/create/1-0-0')).toHaveLength(2000)
    expect(new Set(catalog.map((r) => r.partitionKey)).size).toBe(2000)
    const bought = (records: typeof small) => new Set(idsOf(records, 'product/purchase/1-0-0')).size
    expect(bought(large.slice(2000))).toBeGreaterThan(2 * bought(small))
  })
})

describe('a workload started at a given time', () => {
  it('dates its events from that time on, and nothing else changes', () => {
    const start = Date.UTC(2027, 0, 1)
    const times = (w: ReturnType<typeof generateWorkload>) =>
      w.map((r) => (JSON.parse(r.data) as { timeOrigin?: string }).timeOrigin ?? '')
    const later = generateWorkload({ events: 50, seed: 9, start })
    const usual = generateWorkload({ events: 50, seed: 9 })
    expect(times(later).every((t) => t.startsWith('2027-01-01T'))).toBe(true)
    expect(times(usual).every((t) => t.startsWith('2026-11-01T'))).toBe(true)
    const withoutTimes = (w: ReturnType<typeof generateWorkload>) =>
      w.map((r) => r.data.replace(/"timeOrigin":"[^"]*"/, ''))
    expect(withoutTimes(later)).toEqual(withoutTimes(usual))
  })
})
