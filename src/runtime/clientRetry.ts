/** How the SDK's client gives up on one DynamoDB call: the figures the time reserve follows from. */
export interface ClientRetry {
  readonly maxAttempts: number
  /** Per attempt, from the request's start to the answer's headers; enforced (an error, then a retry). */
  readonly requestTimeoutMs: number
  readonly connectionTimeoutMs: number
  /** A socket silent this long is closed: an answer whose body stops halfway fails too. */
  readonly socketTimeoutMs: number
  /** The SDK's waits between attempts, together, at most. */
  readonly backoffBoundMs: number
}

/**
 * The SDK's own retry handles throttling, server errors and timeouts of single calls:
 * three attempts, each cut off after five seconds (`throwOnRequestTimeout`: without it,
 * @smithy/node-http-handler 4 only warns), so a hung connection cannot eat the function's
 * time. Its standard retry waits at most its base times 1, then 2 (full jitter): 1 s and
 * 2 s for throttling, less for other errors. The view's own loop handles only what the
 * SDK cannot know.
 */
export const CLIENT_RETRY: ClientRetry = {
  maxAttempts: 3,
  requestTimeoutMs: 5_000,
  connectionTimeoutMs: 2_000,
  socketTimeoutMs: 5_000,
  backoffBoundMs: 3_000,
}

/** The longest one DynamoDB call can take through the SDK, every attempt and wait included. */
export const longestCallMs = (retry: ClientRetry = CLIENT_RETRY): number =>
  retry.maxAttempts * retry.requestTimeoutMs + retry.backoffBoundMs
