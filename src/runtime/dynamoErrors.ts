import type { WriteOutcome } from './store'

/** A reason DynamoDB gives for cancelling one item of a transaction. */
interface CancellationReason {
  readonly Code?: string
  readonly Message?: string
}

interface DynamoError {
  readonly name?: string
  readonly message?: string
  readonly CancellationReasons?: ReadonlyArray<CancellationReason>
}

// The SDK retries throttling and server errors of a call on its own, but a cancelled
// transaction is an answer, not an error it retries: these reasons are ours to retry.
const CONFLICT_CODES = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
  'InternalServerError',
])

const codesOf = (reasons: ReadonlyArray<CancellationReason>): string[] =>
  reasons.map((reason) => reason.Code ?? 'None').filter((code) => code !== 'None')

/** A failed condition on a state's Put: another invocation folded it first. */
export const isStale = (reason: CancellationReason | undefined): boolean =>
  reason?.Code === 'ConditionalCheckFailed'

/** A conflict or throttling inside a transaction: another attempt may succeed. */
export const isRetryable = (reasons: ReadonlyArray<CancellationReason>): boolean =>
  codesOf(reasons).some((code) => CONFLICT_CODES.has(code))

/** An answer no retry can change: DynamoDB refuses the request itself. */
export const isPermanent = (error: DynamoError): boolean => error.name === 'ValidationException'

const cancelled = (
  reasons: ReadonlyArray<CancellationReason>,
  writes: ReadonlyArray<{ readonly key: string }>,
): WriteOutcome => {
  // Items are the Puts first, in the order of `writes`, so an index names a key.
  const stale = writes.filter((_, at) => isStale(reasons[at]))
  if (stale.length > 0) return { kind: 'stale', keys: stale.map((w) => w.key) }
  const codes = codesOf(reasons)
  if (codes.length === 0) return { kind: 'conflict', reason: 'cancelled without a reason' }
  if (isRetryable(reasons)) return { kind: 'conflict', reason: codes.join(', ') }
  const first = reasons.find((reason) => codesOf([reason]).length > 0)
  return { kind: 'invalid', reason: `${first?.Code}: ${first?.Message ?? ''}`.trim() }
}

/** DynamoDB's answer to a failed TransactWriteItems, as a value. */
export const interpretWriteError = (
  error: unknown,
  writes: ReadonlyArray<{ readonly key: string }>,
): WriteOutcome => {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as DynamoError
  if (failure.name === 'TransactionCanceledException')
    return cancelled(failure.CancellationReasons ?? [], writes)
  const reason = `${failure.name ?? 'Error'}: ${failure.message ?? String(error)}`
  if (isPermanent(failure)) return { kind: 'invalid', reason }
  // Throttling, server errors and timeouts reach here after the SDK's own retries; a
  // configuration error (a missing table) too. Nothing is dropped for them.
  return { kind: 'unavailable', reason }
}
