import { sharedReadBudget } from '../src/local/readBudget'

// Kinesis's read quota per shard, shared by every standard reader: 5 calls and 2 MB a second.

/** A clock that moves only when a reader waits, so that every count is exact. */
const virtualClock = () => {
  let now = 0
  const advance = (ms: number) => {
    now += ms
  }
  return {
    clock: { now: () => now, wait: async (ms: number) => advance(ms) },
    now: () => now,
  }
}

describe('a shard’s shared read budget', () => {
  it('allows 5 calls in a second, then makes the sixth wait as a throttled reader', async () => {
    const { clock, now } = virtualClock()
    const budget = sharedReadBudget({ callsPerSecond: 5, bytesPerSecond: 2_000_000 }, clock)
    for (let call = 0; call < 5; call += 1) await budget.beforeCall('shard-0')
    expect(now()).toBe(0)
    await budget.beforeCall('shard-0')
    // Refused at 0, 200, 400, 600 and 800 ms; the calls of time 0 leave the second after 1,000.
    expect(now()).toBe(1000)
    expect(budget.stats).toEqual({ calls: 6, throttled: 5 })
  })

  it('counts the calls of every reader of the shard together, and each shard apart', async () => {
    const { clock } = virtualClock()
    const budget = sharedReadBudget({ callsPerSecond: 5, bytesPerSecond: 2_000_000 }, clock)
    // Two views and a rebuild's two: four readers, one budget.
    for (let round = 0; round < 2; round += 1)
      for (const _reader of ['winner', 'category', 'rebuild-winner', 'rebuild-category'])
        await budget.beforeCall('shard-0')
    expect(budget.stats.throttled).toBeGreaterThan(0)
    const throttledBefore = budget.stats.throttled
    await budget.beforeCall('shard-1')
    expect(budget.stats.throttled).toBe(throttledBefore)
  })

  it('makes a reader wait once the shard’s last second read 2 MB', async () => {
    const { clock, now } = virtualClock()
    const budget = sharedReadBudget({ callsPerSecond: 5, bytesPerSecond: 2_000_000 }, clock)
    await budget.beforeCall('shard-0')
    budget.charge('shard-0', 2_000_000)
    await budget.beforeCall('shard-0')
    expect(now()).toBe(1000)
    expect(budget.stats).toEqual({ calls: 2, throttled: 5 })
  })

  it('makes a reader wait as long as a large read takes to drain at 2 MB a second: 5 s after 10 MB', async () => {
    const { clock, now } = virtualClock()
    const budget = sharedReadBudget({ callsPerSecond: 5, bytesPerSecond: 2_000_000 }, clock)
    await budget.beforeCall('shard-0')
    budget.charge('shard-0', 10_000_000)
    await budget.beforeCall('shard-0')
    expect(now()).toBe(5000)
    // And half as long after half as much, from where the shard then stood.
    budget.charge('shard-0', 1_000_000)
    await budget.beforeCall('shard-0')
    expect(now()).toBe(5600)
    expect(budget.stats).toEqual({ calls: 3, throttled: 28 })
  })
})
