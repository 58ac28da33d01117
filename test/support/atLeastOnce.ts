import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda'
import { LOCAL_AWS } from '../../src/local/dynamodbLocal'
import { generateWorkload } from '../../src/local/workload'
import { documentClientOf, makeDynamoStore } from '../../src/runtime/dynamoStore'
import { makeViewHandler } from '../../src/runtime/handler'
import { viewTableNamesFor } from '../../src/runtime/tables'
import type { AnyView, ViewTableNames } from '../../src/runtime/view'
import {
  createTablesOf,
  dynamoEndpoint,
  freshStage,
  quickRetry,
  settleTotals,
  testClient,
} from './dynamo'
import { batchesOf, toShards } from './stream'

/** A view under test: the view, its tables as stored, and its own oracle's prediction. */
export interface Subject {
  readonly view: AnyView
  /** The view's tables as stored, in its oracle's terms (no positions). */
  readonly stored: (client: DynamoDBDocumentClient, names: ViewTableNames) => Promise<unknown>
  /** What the view's oracle predicts for these records, delivered in this order. */
  readonly expected: (records: ReadonlyArray<KinesisStreamRecord>) => unknown
}

/** An outage that a test turns on: from the `failFrom`-th call on, every call fails. */
const outageClient = () => {
  const base = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamoEndpoint() })
  const outage = { calls: 0, failFrom: Number.POSITIVE_INFINITY }
  // Above the SDK's retries: the handler, not the SDK, meets the failure.
  base.middlewareStack.add(
    (next) => async (args) => {
      outage.calls += 1
      if (outage.calls >= outage.failFrom)
        throw Object.assign(new Error('injected outage'), { name: 'ServiceUnavailable' })
      return next(args)
    },
    { step: 'initialize', name: 'outage' },
  )
  return { client: documentClientOf(base), outage, destroy: () => base.destroy() }
}

/** Each batch twice, and after every fifth one the batch three before it again. */
const withRepeats = (batches: ReadonlyArray<KinesisStreamEvent>): KinesisStreamEvent[] =>
  batches.flatMap((batch, at) => {
    const earlier = at % 5 === 4 ? batches[at - 3] : undefined
    return earlier === undefined ? [batch, batch] : [batch, batch, earlier]
  })

/**
 * The at-least-once laws every view gets from the runtime, on DynamoDB Local, judged by
 * the view's own oracle: a batch delivered again, an earlier batch again later, shards
 * folded at once, duplicate invocations at once, and a crash at any call followed by a
 * delivery from the first unfinished record all end in the tables the oracle predicts.
 */
export const atLeastOnceLaws = (subject: Subject): void => {
  const { view } = subject
  const client = testClient()
  afterAll(() => client.destroy())

  const freshNames = async () => {
    const names = viewTableNamesFor(view, freshStage())
    await createTablesOf(view, names)
    return names
  }
  const handlerOn = (store: DynamoDBDocumentClient, names: ViewTableNames) =>
    makeViewHandler(view, {
      store: makeDynamoStore(view, { client: store, names, retry: quickRetry }),
      log: () => {},
    })
  const deliverAll = async (
    handler: ReturnType<typeof handlerOn>,
    batches: ReadonlyArray<KinesisStreamEvent>,
  ) => {
    for (const batch of batches) expect(await handler(batch)).toEqual({ batchItemFailures: [] })
  }
  const storedNow = async (names: ViewTableNames) => {
    await settleTotals(client, view, names)
    return subject.stored(client, names)
  }
  const workload = generateWorkload({ events: 900, seed: 7, edgeCases: true })
  const shards = toShards(workload, 2)

  describe(`the ${view.name} view, delivered at least once`, () => {
    it('ends in the tables its oracle predicts for a realistic log', async () => {
      const names = await freshNames()
      const handler = handlerOn(client, names)
      for (const shard of shards) await deliverAll(handler, batchesOf(shard, 50))
      expect(await storedNow(names)).toEqual(subject.expected(shards.flat()))
    })

    it('changes nothing when every batch comes twice and an earlier batch comes again later', async () => {
      const names = await freshNames()
      const handler = handlerOn(client, names)
      for (const shard of shards) await deliverAll(handler, withRepeats(batchesOf(shard, 40)))
      expect(await storedNow(names)).toEqual(subject.expected(shards.flat()))
    })

    it('stays exact while two handlers fold two shards that share aggregate items at once', async () => {
      const names = await freshNames()
      await Promise.all(
        shards.map((shard) => deliverAll(handlerOn(testClient(), names), batchesOf(shard, 25))),
      )
      expect(await storedNow(names)).toEqual(subject.expected(shards.flat()))
    })

    it('stays exact when two invocations deliver the same batches at the same time', async () => {
      const names = await freshNames()
      const shard = shards[0] ?? []
      const batches = batchesOf(shard, 30)
      await Promise.all([
        deliverAll(handlerOn(testClient(), names), batches),
        deliverAll(handlerOn(testClient(), names), batches),
      ])
      expect(await storedNow(names)).toEqual(subject.expected(shard))
    })

    it.each([
      ['first', 0],
      ['second', 1],
    ])(
      'ends exact after a crash at any call of the %s batch of a container, delivered again from the reported record',
      async (_, crashed) => {
        // One shard, batches of 400: each keeps rejected records and commits; the first
        // also checks the tables and reads, the second folds onto the states it committed.
        const storedNow = async (names: ViewTableNames) => {
          await settleTotals(client, view, names)
          return subject.stored(client, names)
        }
        const workload = generateWorkload({ events: 1200, seed: 5, edgeCases: true })
        const shard = toShards(workload, 1)[0] ?? []
        const batches = batchesOf(shard, 400)
        const crashAt = async (failAt: number) => {
          const names = await freshNames()
          const { client: failing, outage, destroy } = outageClient()
          const handler = handlerOn(failing, names)
          await deliverAll(handler, batches.slice(0, crashed))
          const before = outage.calls
          outage.failFrom = before + failAt
          const failed = await handler(batches[crashed] as KinesisStreamEvent)
          outage.failFrom = Number.POSITIVE_INFINITY
          const from = failed.batchItemFailures[0]?.itemIdentifier
          const rest = shard.filter(
            (r) => from !== undefined && BigInt(r.kinesis.sequenceNumber) >= BigInt(from),
          )
          await deliverAll(handler, batchesOf(rest, 400))
          await deliverAll(handler, batches.slice(crashed + 1))
          expect({ failAt, stored: await storedNow(names) }).toEqual({
            failAt,
            stored: subject.expected(shard),
          })
          destroy()
          return from !== undefined
        }
        const crashes: boolean[] = []
        for (let failAt = 1; crashes.at(-1) !== false; failAt += 1)
          crashes.push(await crashAt(failAt))
        // Every call of the batch was the one that failed once (at least a put of rejected
        // records and a transaction); the last run, with more calls than the batch makes,
        // failed none.
        expect(crashes.length).toBeGreaterThanOrEqual(3)
        expect(crashes.slice(0, -1).every((failed) => failed)).toBe(true)
      },
    )
  })
}
