import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda'
import fc from 'fast-check'
import { type ArchiveReplayOptions, replayArchive } from '../src/local/archiveReplay'
import type { Checkpoint, CheckpointStore } from '../src/local/checkpoints'
import type { KinesisHandler } from '../src/local/poller'
import { makeArchiveHandler, type ShardFacts } from '../src/runtime/archiveHandler'
import { makeViewHandler } from '../src/runtime/handler'
import { memoryArchive } from '../src/runtime/memoryArchive'
import { memoryStore, totalsIn } from '../src/runtime/memoryStore'
import { winnerView } from '../src/views/winner'
import { cutsArb, deliveriesOf } from './support/archiveDeliveries'
import {
  createData,
  creatorOrigin,
  imageData,
  ingress,
  kinesisRecord,
  photographerOrigin,
  purchaseData,
  sequenceNumber,
} from './support/fixtures'
import { batchesOf } from './support/stream'

// Rebuilding from the archive, then handing over to what the stream still holds, gives
// the tables of the whole log folded once, whatever the archive's deliveries, the faults,
// an interruption, and the hand-over point inside the overlap.

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/devStream'
const PARENT = 'shardId-000000000000'
const CHILDREN = ['shardId-000000000001', 'shardId-000000000002'] as const
const SHARDS: ShardFacts[] = [
  { shardId: PARENT },
  ...CHILDREN.map((shardId) => ({ shardId, parentShardId: PARENT })),
]
const PRODUCTS = ['p1', 'p2', 'p3', 'p4']
const CREATED = new Date('2026-11-01T00:00:00.000Z')

const payloadArb = fc.oneof(
  fc
    .tuple(fc.constantFrom(...PRODUCTS), fc.constantFrom('ann', 'cy'))
    .map(([id, user]) => ingress(creatorOrigin(user), createData(id))),
  fc
    .tuple(fc.constantFrom(...PRODUCTS), fc.constantFrom('bob', 'dee'))
    .map(([id, user]) => ingress(photographerOrigin(user), imageData(id))),
  fc.constantFrom(...PRODUCTS).map((id) => ingress(creatorOrigin('buyer'), purchaseData(id))),
  fc.constant({ not: 'an envelope' }),
)

/** The log in stream order: the parent's records, then (after the reshard) each product's child's. */
const logArb = fc
  .tuple(fc.array(payloadArb, { minLength: 1, maxLength: 40 }), fc.nat())
  .map(([payloads, cut]) =>
    payloads.map((payload, at) => {
      const id = String((payload as { data?: { id?: string } }).data?.id ?? 'p1')
      const child = CHILDREN[PRODUCTS.indexOf(id) % 2] ?? CHILDREN[0]
      const shardId = at < cut % (payloads.length + 1) ? PARENT : child
      return kinesisRecord(payload, { shardId, sequenceNumber: sequenceNumber(at * 3 + 1) })
    }),
  )

const inShard = (records: ReadonlyArray<KinesisStreamRecord>, shardId: string) =>
  records.filter((r) => r.eventID.startsWith(`${shardId}:`))

/** What Lambda's mapping would give a function reading the whole log: parents first, in batches. */
const feedDirectly = async (handler: KinesisHandler, log: ReadonlyArray<KinesisStreamRecord>) => {
  for (const shard of SHARDS) {
    for (const batch of batchesOf(inShard(log, shard.shardId), 5)) await handler(batch)
  }
}

/** The archive of the records given, each shard written in deliveries cut by `cuts`. */
const archiveOf = async (
  records: ReadonlyArray<KinesisStreamRecord>,
  cuts: ReadonlyArray<readonly [number, 'once' | 'again' | 'bisected']>,
) => {
  const archive = memoryArchive()
  const handler = makeArchiveHandler({
    store: archive,
    shardsOf: async () => SHARDS,
    log: () => {},
    createdOf: async () => CREATED,
  })
  for (const shard of SHARDS) {
    for (const batch of deliveriesOf(inShard(records, shard.shardId), cuts)) {
      await handler({ Records: batch })
    }
  }
  return archive
}

const memoryCheckpoints = (): CheckpointStore => {
  const saved = new Map<string, Checkpoint>()
  return {
    load: async () => new Map(saved),
    save: async (checkpoint) => {
      saved.set(checkpoint.shardId, checkpoint)
    },
  }
}

type Fault = 'none' | 'throw' | 'fail-after'

/** The handler, failing as `faults` say: before doing anything, or after, naming a record to come again. */
const faulty = (handler: KinesisHandler, faults: ReadonlyArray<Fault>): KinesisHandler => {
  let call = 0
  return async (event: KinesisStreamEvent) => {
    const fault = faults[call++] ?? 'none' // then it recovers
    if (fault === 'throw') throw new Error('injected')
    const answer = await handler(event)
    const again = event.Records[Math.floor(event.Records.length / 2)]
    return fault === 'fail-after' && again !== undefined
      ? { batchItemFailures: [{ itemIdentifier: again.kinesis.sequenceNumber }] }
      : answer
  }
}

const tablesOf = (store: {
  readonly tables: ReturnType<typeof memoryStore<unknown, unknown>>['tables']
}) => ({
  states: Object.fromEntries(store.tables.states),
  totals: Object.fromEntries(
    [...totalsIn(store.tables)].map(([t, items]) => [t, Object.fromEntries(items)]),
  ),
  rejected: Object.fromEntries(store.tables.rejected),
})

const faultsArb = fc.array(fc.constantFrom<Fault>('none', 'none', 'none', 'throw', 'fail-after'), {
  minLength: 1,
  maxLength: 12,
})

describe('a rebuild from the archive', () => {
  it('then the stream from any hand-over point in the overlap folds the whole log once', async () => {
    await fc.assert(
      fc.asyncProperty(
        logArb,
        cutsArb,
        faultsArb,
        fc.nat(),
        fc.nat(),
        fc.nat(),
        async (log, cuts, faults, archivedTo, keptFrom, stopAfter) => {
          const archived = archivedTo % (log.length + 1)
          // The stream still holds the records from `kept` on: at or before the archive's end, no gap.
          const kept = keptFrom % (archived + 1)
          const expected = memoryStore(winnerView)
          await feedDirectly(makeViewHandler(winnerView, { store: expected, log: () => {} }), log)

          const store = memoryStore(winnerView)
          const interrupt = new AbortController()
          let calls = 0
          const handler = faulty(makeViewHandler(winnerView, { store, log: () => {} }), faults)
          const counted: KinesisHandler = (event) => {
            calls += 1
            if (calls === stopAfter % 6) interrupt.abort() // Ctrl-C, after this batch
            return handler(event)
          }
          const replay = (
            source: ArchiveReplayOptions['source'],
            checkpoints: CheckpointStore,
            signal?: AbortSignal,
          ) =>
            replayArchive({
              source,
              archiveId: `devStream/${CREATED.getTime()}`,
              streamArn: STREAM_ARN,
              handler: counted,
              checkpoints,
              batchSize: 4,
              retryDelayMs: () => 0,
              ...(signal === undefined ? {} : { signal }),
            })
          const archive = await archiveOf(log.slice(0, archived), cuts)
          const checkpoints = memoryCheckpoints()
          await replay(archive, checkpoints, interrupt.signal)
          await replay(archive, checkpoints) // resumed from the checkpoints
          // The new version's live mapping: what the stream still holds, parents first.
          await replay(await archiveOf(log.slice(kept), [[1_000, 'once']]), memoryCheckpoints())
          expect(tablesOf(store)).toEqual(tablesOf(expected))
        },
      ),
      { numRuns: 200 },
    )
  })
})
