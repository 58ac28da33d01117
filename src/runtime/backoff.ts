/** How often and how patiently to retry a DynamoDB call that may succeed later. */
export interface RetryPolicy {
  readonly maxAttempts: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 8, baseDelayMs: 25, maxDelayMs: 2000 }

/** Capped exponential backoff with full jitter, for the attempt that just failed (1-based). */
export const backoffDelay = (policy: RetryPolicy, attempt: number, random = Math.random): number =>
  Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt))

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))
