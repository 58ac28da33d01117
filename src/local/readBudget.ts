/**
 * A Kinesis shard's read budget, shared by every standard consumer of the stream: at most
 * 5 GetRecords calls and 2 MB a second per shard (Kinesis Data Streams Developer Guide,
 * "Quotas and limits"). kinesalite serves any number of readers at any rate; the local
 * poller, given a budget, waits as a throttled reader would, so that several views and a
 * rebuild reading one stream slow one another down as they do on AWS.
 *
 * A call is made only while the shard's last second holds fewer than 5 calls and what the
 * shard has served has drained at 2 MB a second: a call may return up to 10 MB, and "if a
 * call returns 10 MB, subsequent calls made within the next 5 seconds throw"
 * (Kinesis API Reference, GetRecords). Otherwise it is counted as throttled (AWS answers
 * ProvisionedThroughputExceededException, and the reader backs off) and waits until the
 * shard allows it.
 */
export interface ReadBudget {
  /** Waits until the shard allows another GetRecords call, counting each refusal. */
  readonly beforeCall: (shardId: string) => Promise<void>
  /** Charges a call's records to the shard's bytes. */
  readonly charge: (shardId: string, bytes: number) => void
  readonly stats: { calls: number; throttled: number }
}

export interface ReadLimits {
  readonly callsPerSecond: number
  readonly bytesPerSecond: number
}

/** Kinesis's documented per-shard read limits for standard consumers. */
export const KINESIS_READ_LIMITS: ReadLimits = {
  callsPerSecond: 5,
  bytesPerSecond: 2 * 1024 * 1024,
}

/** How long a throttled reader waits before it asks again (the event source mapping backs off too). */
const BACKOFF_MS = 200

/** A budget shared by the readers it is given to, on a clock and a wait that tests may replace. */
export const sharedReadBudget = (
  limits: ReadLimits = KINESIS_READ_LIMITS,
  clock: { readonly now: () => number; readonly wait: (ms: number) => Promise<void> } = {
    now: () => performance.now(),
    wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  },
): ReadBudget => {
  const calls = new Map<string, number[]>()
  /** Per shard, the bytes served and not yet drained at the byte rate, as of `at`. */
  const owed = new Map<string, { bytes: number; at: number }>()
  const stats = { calls: 0, throttled: 0 }
  const owedAt = (shardId: string, now: number) => {
    const { bytes, at } = owed.get(shardId) ?? { bytes: 0, at: now }
    return Math.max(0, bytes - ((now - at) * limits.bytesPerSecond) / 1000)
  }
  const allows = (shardId: string, now: number) => {
    const recentCalls = (calls.get(shardId) ?? []).filter((at) => at > now - 1000)
    calls.set(shardId, recentCalls)
    return recentCalls.length < limits.callsPerSecond && owedAt(shardId, now) <= 0
  }
  return {
    stats,
    beforeCall: async (shardId) => {
      while (!allows(shardId, clock.now())) {
        stats.throttled += 1
        await clock.wait(BACKOFF_MS)
      }
      calls.get(shardId)?.push(clock.now())
      stats.calls += 1
    },
    charge: (shardId, bytes) => {
      const now = clock.now()
      owed.set(shardId, { bytes: owedAt(shardId, now) + bytes, at: now })
    },
  }
}
