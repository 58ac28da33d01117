import type {
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import { defaultRetryPolicy, type RetryPolicy } from './backoff'
import { longestCallMs } from './clientRetry'
import { type CommitResult, commitBatch, describeError, type Settled } from './commit'
import { parseKinesisRecord, shardIdOf } from './kinesisRecord'
import { markOfBatch } from './marks'
import { perWriterView } from './partials'
import { groupByKey, type KeyBatch, type PlannedWrite, planKey } from './plan'
import { type Rejection, rejectDuplicates, rejectedRecord, rejectKey } from './rejection'
import { makeStateCache, type StateCache } from './stateCache'
import type { Store, StoredState } from './store'
import type { View } from './view'

/** The one log line of a batch: counts, ids and positions, never a payload. */
export interface BatchSummary {
  readonly level: 'info' | 'warn'
  readonly message: 'batch'
  readonly requestId: string | null
  readonly shardId: string | null
  readonly firstSequenceNumber: string | null
  readonly lastSequenceNumber: string | null
  readonly records: number
  readonly folded: number
  readonly skipped: number
  readonly rejected: number
  /** Of the rejected, duplicates of events already folded (the view names them). */
  readonly duplicates: number
  /** Distinct keys (a view's states) the batch's events belong to. */
  readonly keys: number
  readonly writes: number
  readonly transactions: number
  readonly retries: number
  readonly refolds: number
  /** Transaction attempts cancelled by a conflict on a held item (TransactionConflict). */
  readonly conflicts: number
  /** Transaction attempts cancelled by throttling, retried by the view. */
  readonly throttles: number
  readonly failedFrom: string | null
  /** 1 when the batch left records unfinished (the alarm counts these batches), else 0. */
  readonly unfinishedBatches: 0 | 1
  readonly failure: string | null
  readonly durationMs: number
  /** How old the batch's newest record was when the batch ended: how far behind the view is. */
  readonly newestRecordAgeMs: number | null
  /**
   * Why the batch's freshness mark was not stored, or null. The batch stands: a mark that
   * trails only holds a switch back, and the next batch marks the shard again.
   */
  readonly markFailure: string | null
}

/** What the handler uses of Lambda's context: the request id and the time left. */
export interface InvocationContext {
  readonly awsRequestId: string
  readonly getRemainingTimeInMillis: () => number
}

export interface HandlerDeps<State> {
  readonly store: Store<State>
  /** States kept by this container (the handler's lifetime); 0 reads every key every batch. */
  readonly cacheSize?: number
  /** Transactions of a batch in flight at once when they share no aggregate item. */
  readonly commitConcurrency?: number
  readonly log?: (summary: BatchSummary) => void
  /** For conflicts and re-folds; the SDK client retries failed calls itself. */
  readonly retry?: RetryPolicy
  /** No transaction starts with less time than this left before the function times out. */
  readonly reserveMs?: number
  /**
   * Adds aggregates to their shared items in the transaction, as before partial sums:
   * only the benchmark's baseline does. Default: to the shard's partial sums.
   */
  readonly sharedAggregates?: boolean
  /** The wait between attempts: real time unless a benchmark runs on a virtual clock. */
  readonly sleep?: (ms: number) => Promise<void>
  /**
   * Whether each batch stores its shard's freshness mark (default: yes). A caller that
   * hands a shard's records over in several batches at once (a parallelization factor)
   * marks the shard itself: a batch of one sub-stream cannot tell the shard is finished.
   */
  readonly markBatches?: boolean
}

/** About a container's hot keys: product states of a few hundred bytes, some 25 MB at most. */
export const DEFAULT_CACHE_SIZE = 50_000

/** Transactions of a batch in flight at once, when they share no aggregate item. */
export const DEFAULT_COMMIT_CONCURRENCY = 4

/**
 * Enough for one transaction at the SDK's worst (three attempts cut off after 5 s each,
 * and its waits between them: 18 s) and a second for the log line and the answer.
 */
export const DEFAULT_RESERVE_MS = longestCallMs() + 1_000

/** Writes a batch summary as one JSON line (CloudWatch Logs in Lambda). */
export const logJsonLine = (summary: BatchSummary): void => {
  console.log(JSON.stringify(summary))
}

/** A record decoded into one of the view's events, with its index in the batch. */
interface EventRecord<Event> {
  readonly event: Event
  readonly recordIndex: number
}

type Classified<Event> =
  | ({ readonly kind: 'event' } & EventRecord<Event>)
  | { readonly kind: 'foreign'; readonly recordIndex: number }
  | ({ readonly kind: 'rejected' } & Rejection)

/** Decodes one record once, where it enters: an event, another view's event, or rejected. */
const classify =
  <Event, State>(view: View<Event, State>) =>
  (record: KinesisStreamRecord, recordIndex: number): Classified<Event> =>
    pipe(
      parseKinesisRecord(record),
      E.chain(({ payload, position }) =>
        view.decode(payload, position, record.kinesis.partitionKey),
      ),
      E.match(
        (reason): Classified<Event> => ({
          kind: 'rejected',
          recordIndex,
          rejected: rejectedRecord(record, reason),
        }),
        (decoded): Classified<Event> =>
          decoded.kind === 'event'
            ? { kind: 'event', event: decoded.event, recordIndex }
            : { kind: 'foreign', recordIndex },
      ),
    )

interface Outcome {
  readonly unfinished: ReadonlyArray<number>
  readonly failure?: string
}

/** Keeps rejected records; if even that fails, they stay unfinished for Lambda to retry. */
const keepAll = async (
  store: Pick<Store<unknown>, 'keepRejected'>,
  rejections: ReadonlyArray<Rejection>,
): Promise<Outcome> => {
  if (rejections.length === 0) return { unfinished: [] }
  try {
    await store.keepRejected(rejections.map((r) => r.rejected))
    return { unfinished: [] }
  } catch (error) {
    const failure = `keeping rejected records: ${describeError(error)}`
    return { unfinished: rejections.map((r) => r.recordIndex), failure }
  }
}

interface FoldOutcome extends Outcome {
  /** Every record of the events this batch sends to Rejected, kept already or in `later`. */
  readonly rejections: ReadonlyArray<Rejection>
  /** Those still to keep: records a refused commit would have folded. */
  readonly later: ReadonlyArray<Rejection>
  /** Of the rejections, the records that are fan-out duplicates. */
  readonly duplicates: ReadonlyArray<number>
  readonly writes: number
  readonly transactions: number
  readonly retries: number
  readonly refolds: number
  readonly conflicts: number
  readonly throttles: number
}

const NOTHING_COMMITTED = {
  rejections: [],
  later: [],
  duplicates: [],
  writes: 0,
  transactions: 0,
  retries: 0,
  refolds: 0,
  conflicts: 0,
  throttles: 0,
}

/**
 * Plans each key's write on its stored state; a key whose item is unreadable is rejected,
 * and a key with nothing to write keeps its duplicates now (others keep theirs once the
 * write that judged them commits).
 */
const planAll = <Event, State>(
  view: View<Event, State>,
  records: ReadonlyArray<KinesisStreamRecord>,
  batches: ReadonlyArray<KeyBatch<Event>>,
  stored: ReadonlyMap<string, StoredState<State>>,
) => {
  const writes: PlannedWrite<Event, State>[] = []
  const rejections: Rejection[] = []
  const duplicates: Rejection[] = []
  /** Keys judged to need no write: every event folded before, or a duplicate. */
  const unwrittenKeys: string[] = []
  for (const batch of batches) {
    const item = stored.get(batch.key)
    if (item !== undefined && E.isLeft(item)) {
      rejections.push(...rejectKey(records, batch, item.left))
      continue
    }
    const plan = planKey(view, batch, item?.right)
    if (plan.planned !== undefined) writes.push(plan.planned)
    else {
      duplicates.push(...rejectDuplicates(records, batch, plan.duplicates))
      unwrittenKeys.push(batch.key)
    }
  }
  return { writes, rejections, duplicates, unwrittenKeys }
}

/**
 * Plans the batch on the stored states. A key planned on its cached state with nothing to
 * write (every event folded before, or a duplicate) was judged on a state no commit's
 * condition will check: it is read and planned again, so that a stream replayed into
 * recreated tables, or a record folded elsewhere meanwhile, is never passed over unwritten.
 * A first delivery always writes, and stays read-free.
 */
const planOnStoredStates = async <Event, State>(
  view: View<Event, State>,
  store: Store<State>,
  cache: StateCache<State>,
  records: ReadonlyArray<KinesisStreamRecord>,
  batches: ReadonlyArray<KeyBatch<Event>>,
) => {
  const { states, unread } = await storedStatesOf(
    store,
    cache,
    batches.map((b) => b.key),
  )
  const planned = planAll(view, records, batches, states)
  const doubtful = doubtfulKeys(planned.unwrittenKeys, unread)
  if (doubtful.length === 0) return planned
  const fresh = await store.readStates(doubtful)
  for (const key of doubtful) {
    const state = fresh.get(key)
    if (state === undefined) states.delete(key)
    else states.set(key, state)
    if (state !== undefined && E.isRight(state)) cache.remember(key, state.right)
    else cache.forget(key)
  }
  return planAll(view, records, batches, states)
}

/**
 * The keys whose judgement "nothing to write" rests on a cached or guessed state, not on
 * a read: DESIGN.md's rule that a decision writing nothing rests on a read.
 */
export const doubtfulKeys = (
  unwrittenKeys: ReadonlyArray<string>,
  unread: ReadonlySet<string>,
): string[] => unwrittenKeys.filter((key) => unread.has(key))

/**
 * The stored states a batch's keys fold onto: those this container committed, from its
 * cache, and a consistent read of the others, or, once a read found none of them stored,
 * the others taken for new ones (absent): the commit's condition refuses that guess
 * when it is wrong, the key is then read and folded again, and reads resume. `unread`
 * names the keys whose state no read of this batch confirmed.
 */
const storedStatesOf = async <State>(
  store: Store<State>,
  cache: StateCache<State>,
  keys: ReadonlyArray<string>,
) => {
  const states = new Map<string, StoredState<State>>()
  for (const key of keys) {
    const state = cache.get(key)
    if (state !== undefined) states.set(key, E.right(state))
  }
  const missing = keys.filter((key) => !states.has(key))
  if (missing.length === 0 || cache.guessesNew()) return { states, unread: new Set(keys) }
  const unread = new Set(states.keys())
  const read = await store.readStates(missing)
  for (const [key, state] of read) {
    states.set(key, state)
    if (E.isRight(state)) cache.remember(key, state.right)
  }
  cache.learnFromRead(read.size > 0)
  return { states, unread }
}

/** The cache after a commit: committed states remembered, the others' state unknown. */
const rememberCommitted = <Event, State>(
  cache: StateCache<State>,
  result: CommitResult<Event, State>,
): void => {
  for (const { batch, write } of result.committed) cache.remember(batch.key, write.state)
  for (const { batch } of result.settled) cache.forget(batch.key)
  for (const { batch } of result.unfinished) cache.forget(batch.key)
  for (const { planned } of result.unstorable) cache.forget(planned.batch.key)
}

/**
 * What the plan sends to Rejected before anything commits: unreadable keys' records and
 * every duplicate it judged. A duplicate must be kept before the write that moves its
 * key past it, for delivered again after that it reads as folded, and would be lost.
 */
const keptBeforeCommit = <Event, State>(
  records: ReadonlyArray<KinesisStreamRecord>,
  planned: ReturnType<typeof planAll<Event, State>>,
) => {
  const duplicates = [
    ...planned.duplicates,
    ...planned.writes.flatMap((w) => rejectDuplicates(records, w.batch, w.duplicates)),
  ]
  return { all: [...planned.rejections, ...duplicates], duplicates }
}

/** Keeps the duplicates a re-fold judged, before its write; notes each record it kept. */
const duplicateKeeper =
  (
    store: Pick<Store<unknown>, 'keepRejected'>,
    records: ReadonlyArray<KinesisStreamRecord>,
    kept: Rejection[],
  ) =>
  async (judged: ReadonlyArray<Settled<unknown>>): Promise<void> => {
    const found = judged.flatMap(({ batch, duplicates }) =>
      rejectDuplicates(records, batch, duplicates),
    )
    await store.keepRejected(found.map((r) => r.rejected))
    kept.push(...found)
  }

/** The commit's settings the handler's dependencies give. */
const commitOptionsOf = (
  deps: Pick<HandlerDeps<unknown>, 'retry' | 'commitConcurrency' | 'sleep'>,
) => ({
  policy: deps.retry ?? defaultRetryPolicy,
  concurrency: deps.commitConcurrency ?? DEFAULT_COMMIT_CONCURRENCY,
  ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
})

/** Reads the batch's keys, folds their events and commits; a read failure leaves all unfinished. */
const foldAndCommit = async <Event, State>(
  view: View<Event, State>,
  deps: HandlerDeps<State>,
  cache: StateCache<State>,
  records: ReadonlyArray<KinesisStreamRecord>,
  batches: ReadonlyArray<KeyBatch<Event>>,
  hasTime: () => boolean,
): Promise<FoldOutcome> => {
  if (batches.length === 0) return { unfinished: [], ...NOTHING_COMMITTED }
  const allUnfinished = (failure: string) => ({
    unfinished: batches.flatMap((b) => b.recordIndexes),
    failure,
    ...NOTHING_COMMITTED,
  })
  // Reads too can stall until the function times out: none starts without the reserve.
  if (!hasTime()) return allUnfinished('too little time left to read')
  const planned = await planOnStoredStates(view, deps.store, cache, records, batches).catch(
    (error: unknown) => `reading states: ${describeError(error)}`,
  )
  if (typeof planned === 'string') return allUnfinished(planned)
  const before = keptBeforeCommit(records, planned)
  const keptBefore = await keepAll(deps.store, before.all)
  if (keptBefore.failure !== undefined) return allUnfinished(keptBefore.failure)
  const keptOnRefold: Rejection[] = []
  const keepDuplicates = duplicateKeeper(deps.store, records, keptOnRefold)
  const options = { ...commitOptionsOf(deps), hasTime, keepDuplicates }
  const result = await commitBatch(view, deps.store, options, planned.writes)
  rememberCommitted(cache, result)
  if (result.refolds > 0) cache.learnFromRefusal()
  const refused = result.unstorable.flatMap(({ planned: p, reason }) =>
    rejectKey(records, p.batch, `commit: ${reason}`, p.folds),
  )
  const duplicates = [...before.duplicates, ...keptOnRefold]
  return {
    unfinished: result.unfinished.flatMap((p) => p.batch.recordIndexes),
    rejections: [...before.all, ...keptOnRefold, ...refused],
    later: refused,
    // A record judged again on a re-fold is one record: counted once.
    duplicates: [...new Set(duplicates.map((d) => d.recordIndex))],
    writes: planned.writes.length,
    transactions: result.transactions,
    retries: result.retries,
    refolds: result.refolds,
    conflicts: result.conflicts,
    throttles: result.throttles,
    ...(result.failure === undefined ? {} : { failure: result.failure }),
  }
}

/** The sequence number of the earliest unfinished record, where Lambda must resume. */
const firstUnfinished = (
  records: ReadonlyArray<KinesisStreamRecord>,
  unfinished: ReadonlyArray<number>,
): string | null => {
  if (unfinished.length === 0) return null
  return records[Math.min(...unfinished)]?.kinesis.sequenceNumber ?? null
}

/** Now less the newest record's arrival in the stream (Lambda gives it in seconds). */
const newestRecordAge = (records: ReadonlyArray<KinesisStreamRecord>): number | null => {
  if (records.length === 0) return null
  const newest = Math.max(...records.map((r) => r.kinesis.approximateArrivalTimestamp))
  return Math.max(0, Math.round(Date.now() - newest * 1000))
}

/** Where the batch sits: its request, shard and first and last positions. */
const placeOf = (records: ReadonlyArray<KinesisStreamRecord>, context?: InvocationContext) => {
  const first = records[0]
  return {
    requestId: context?.awsRequestId ?? null,
    shardId: first === undefined ? null : shardIdOf(first),
    firstSequenceNumber: first?.kinesis.sequenceNumber ?? null,
    lastSequenceNumber: records[records.length - 1]?.kinesis.sequenceNumber ?? null,
  }
}

/** The log line of a batch that was not handled at all: every record is unfinished. */
const unhandled = (
  records: ReadonlyArray<KinesisStreamRecord>,
  context: InvocationContext | undefined,
  failure: string,
  started: number,
): BatchSummary => ({
  level: 'warn',
  message: 'batch',
  ...placeOf(records, context),
  records: records.length,
  ...{ folded: 0, skipped: 0, rejected: 0, duplicates: 0, keys: 0, writes: 0 },
  ...{ transactions: 0, retries: 0, refolds: 0, conflicts: 0, throttles: 0 },
  failedFrom: records[0]?.kinesis.sequenceNumber ?? null,
  unfinishedBatches: records.length > 0 ? 1 : 0,
  failure,
  durationMs: Date.now() - started,
  newestRecordAgeMs: newestRecordAge(records),
  markFailure: null,
})

/**
 * Checks the tables once per container, before the first batch: a configuration error
 * fails every batch, loudly, until it is fixed; it never sends a record to Rejected.
 */
const tablesChecked = (
  store: Pick<Store<unknown>, 'checkTables'>,
): (() => Promise<string | undefined>) => {
  let checked = false
  return async () => {
    if (checked) return undefined
    try {
      await store.checkTables()
      checked = true
      return undefined
    } catch (error) {
      return `configuration: ${error instanceof Error ? error.message : String(error)}`
    }
  }
}

/**
 * A function whose timeout is at or below the time reserve could never start a
 * transaction: every batch would fail as short of time and the shard never move. An
 * invocation starts with its whole timeout left, so a batch that starts with no more than
 * the reserve says so, as a configuration error, on every batch until it is fixed.
 */
export const timeoutProblem = (
  context: InvocationContext | undefined,
  reserveMs: number,
): string | undefined => {
  const left = context?.getRemainingTimeInMillis()
  if (left === undefined || left > reserveMs) return undefined
  return `configuration: the function's timeout leaves ${left} ms for a batch, at or below the ${reserveMs} ms reserve no transaction starts within; raise it above ${Math.ceil(reserveMs / 1000)} s`
}

/**
 * A view's Lambda handler. Each Kinesis batch: decode, group by key, read, fold, commit.
 * A repeat of any batch changes nothing. Returns the first unfinished record as the
 * batch item failure, so that Lambda resumes there and shard order holds.
 */
export const makeViewHandler = <Event, State>(
  view: View<Event, State>,
  deps: HandlerDeps<State>,
) => {
  const log = deps.log ?? logJsonLine
  const reserve = deps.reserveMs ?? DEFAULT_RESERVE_MS
  const checkTables = tablesChecked(deps.store)
  const cache = makeStateCache<State>(deps.cacheSize ?? DEFAULT_CACHE_SIZE)
  return async (
    event: KinesisStreamEvent,
    context?: InvocationContext,
  ): Promise<KinesisStreamBatchResponse> => {
    const started = Date.now()
    const misconfigured = timeoutProblem(context, reserve) ?? (await checkTables())
    const summary =
      misconfigured === undefined
        ? await handleBatch(view, deps, cache, event.Records, context, started)
        : unhandled(event.Records, context, misconfigured, started)
    log(summary)
    const failedFrom = summary.failedFrom
    return { batchItemFailures: failedFrom === null ? [] : [{ itemIdentifier: failedFrom }] }
  }
}

/** Stores the batch's freshness mark; what went wrong, if anything, as a reason. */
const markedOrWhy = async (
  store: Pick<Store<unknown>, 'markFolded'>,
  records: ReadonlyArray<KinesisStreamRecord>,
  failedFrom: string | null,
): Promise<string | null> => {
  const mark = markOfBatch(records, failedFrom)
  if (mark === undefined) return null
  try {
    await store.markFolded(mark)
    return null
  } catch (error) {
    return describeError(error)
  }
}

type RecordOutcome = 'folded' | 'skipped' | 'rejected' | 'unfinished'

/**
 * One outcome per record, from which every count of the log line derives: unfinished
 * (Lambda delivers it again) wins over rejected, which wins over folded.
 */
const outcomesOf = (
  classified: ReadonlyArray<Classified<unknown>>,
  rejections: ReadonlyArray<Rejection>,
  unfinished: ReadonlyArray<number>,
): RecordOutcome[] => {
  const outcomes = classified.map((c): RecordOutcome => {
    if (c.kind === 'foreign') return 'skipped'
    return c.kind === 'rejected' ? 'rejected' : 'folded'
  })
  for (const { recordIndex } of rejections) outcomes[recordIndex] = 'rejected'
  for (const recordIndex of unfinished) outcomes[recordIndex] = 'unfinished'
  return outcomes
}

/** The log line's counts of records, each record counted once by its outcome. */
const recordCounts = (
  classified: ReadonlyArray<Classified<unknown>>,
  folded: Pick<FoldOutcome, 'rejections' | 'duplicates'>,
  unfinished: ReadonlyArray<number>,
) => {
  const outcomes = outcomesOf(classified, folded.rejections, unfinished)
  const count = (outcome: RecordOutcome) => outcomes.filter((o) => o === outcome).length
  return {
    folded: count('folded'),
    skipped: count('skipped'),
    rejected: count('rejected'),
    duplicates: folded.duplicates.filter((at) => outcomes[at] === 'rejected').length,
  }
}

/** The view as this batch's writer, its shard, folds it; as is with shared aggregates. */
const writerViewOf = <Event, State>(
  view: View<Event, State>,
  deps: HandlerDeps<State>,
  records: ReadonlyArray<KinesisStreamRecord>,
): View<Event, State> => {
  const first = records[0]
  if (deps.sharedAggregates === true || first === undefined) return view
  return perWriterView(view, shardIdOf(first))
}

/** Decodes, folds and commits one batch, and says what came of it in its log line. */
const handleBatch = async <Event, State>(
  view: View<Event, State>,
  deps: HandlerDeps<State>,
  cache: StateCache<State>,
  records: ReadonlyArray<KinesisStreamRecord>,
  context: InvocationContext | undefined,
  started: number,
): Promise<BatchSummary> => {
  const reserve = deps.reserveMs ?? DEFAULT_RESERVE_MS
  const hasTime = () => (context?.getRemainingTimeInMillis() ?? Infinity) > reserve
  const classified = records.map(classify(view))
  const batches = groupByKey(
    view.keyOf,
    classified.filter((c) => c.kind === 'event'),
  )
  const rejected = classified.filter((c) => c.kind === 'rejected')
  // Undecodable records and the batch's commits touch different tables: both at once.
  const writerView = writerViewOf(view, deps, records)
  const [kept, folded] = await Promise.all([
    keepAll(deps.store, rejected),
    foldAndCommit(writerView, deps, cache, records, batches, hasTime),
  ])
  const keptLater = await keepAll(deps.store, folded.later)
  const unfinished = [...kept.unfinished, ...folded.unfinished, ...keptLater.unfinished]
  const failedFrom = firstUnfinished(records, unfinished)
  const markFailure =
    deps.markBatches === false ? null : await markedOrWhy(deps.store, records, failedFrom)
  return {
    level: failedFrom === null ? 'info' : 'warn',
    message: 'batch',
    ...placeOf(records, context),
    records: records.length,
    ...recordCounts(classified, folded, unfinished),
    keys: batches.length,
    writes: folded.writes,
    transactions: folded.transactions,
    retries: folded.retries,
    refolds: folded.refolds,
    conflicts: folded.conflicts,
    throttles: folded.throttles,
    failedFrom,
    unfinishedBatches: failedFrom === null ? 0 : 1,
    failure: folded.failure ?? kept.failure ?? keptLater.failure ?? null,
    durationMs: Date.now() - started,
    newestRecordAgeMs: newestRecordAge(records),
    markFailure,
  }
}
