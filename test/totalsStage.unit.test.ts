import type { DynamoDBRecord } from 'aws-lambda'
import { emptyTables, memoryTotals, totalsIn } from '../src/runtime/memoryStore'
import { partialItemOf } from '../src/runtime/partials'
import type { TotalsStore, TotalsUpdate } from '../src/runtime/totals'
import { makeTotalsHandler, partialChangeOf, type TotalsSummary } from '../src/runtime/totalsStage'
import { winnerView } from '../src/views/winner'

const ANN = '"scores","role","creator","userId","ann"'
const BOB = '"scores","role","creator","userId","bob"'
const SHARD = 'shardId-000000000002'

/** A partial's image in DynamoDB's typed JSON, as the stream carries it. */
const image = (aggregate: string, version: number, score: number) => ({
  item: { S: partialItemOf(aggregate) },
  writer: { S: SHARD },
  aggregate: { S: aggregate },
  version: { N: String(version) },
  score: { N: String(score) },
  products: { N: '1' },
  leaderboardKey: { S: 'creator#3' },
})

/** A stream record of one change, shaped as Lambda hands it to the function. */
const change = (
  sequenceNumber: string,
  aggregate: string,
  before: [number, number] | undefined,
  after: [number, number],
): DynamoDBRecord => ({
  eventName: before === undefined ? 'INSERT' : 'MODIFY',
  dynamodb: {
    SequenceNumber: sequenceNumber,
    ApproximateCreationDateTime: 1_795_000_000,
    Keys: { item: { S: partialItemOf(aggregate) }, writer: { S: SHARD } },
    ...(before === undefined ? {} : { OldImage: image(aggregate, ...before) }),
    NewImage: image(aggregate, ...after),
  } as DynamoDBRecord['dynamodb'],
})

const stream = [
  change('100', ANN, undefined, [1, 2]),
  change('101', BOB, undefined, [1, 5]),
  change('102', ANN, [1, 2], [2, 3]),
]

const handlerOn = (store: TotalsStore) => {
  const lines: TotalsSummary[] = []
  return { lines, handler: makeTotalsHandler(winnerView, store, (line) => lines.push(line)) }
}

describe('the totals stage’s handler', () => {
  it('reads a stream record’s keys and images as a change', () => {
    expect(partialChangeOf(stream[2] as DynamoDBRecord)).toEqual({
      sequenceNumber: '102',
      item: partialItemOf(ANN),
      writer: SHARD,
      before: {
        aggregate: ANN,
        version: 1,
        sums: { score: 2, products: 1 },
        set: { leaderboardKey: 'creator#3' },
      },
      after: {
        aggregate: ANN,
        version: 2,
        sums: { score: 3, products: 1 },
        set: { leaderboardKey: 'creator#3' },
      },
    })
  })

  it('moves each totals item once per batch by its partial’s run, and says so in one line', async () => {
    const tables = emptyTables()
    const { lines, handler } = handlerOn(memoryTotals(tables))
    expect(await handler({ Records: stream })).toEqual({ batchItemFailures: [] })
    expect(Object.fromEntries(totalsIn(tables).get('scores') ?? [])).toEqual({
      [ANN]: {
        userId: 'ann',
        role: 'creator',
        leaderboardKey: 'creator#3',
        score: 3,
        products: 1,
      },
      [BOB]: { userId: 'bob', role: 'creator', leaderboardKey: 'creator#3', score: 5, products: 1 },
    })
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'totals',
        view: 'winner-view',
        records: 3,
        partials: 2,
        updates: 2,
        included: 0,
        resyncs: 0,
        failedFrom: null,
        failure: null,
        durationMs: expect.any(Number),
        newestChangeAgeMs: expect.any(Number),
      },
    ])
    expect(await handler({ Records: stream })).toEqual({ batchItemFailures: [] })
    expect(lines[1]).toMatchObject({ updates: 0, included: 2 })
  })

  it('reports the first record of the earliest run that failed, having applied the others', async () => {
    const tables = emptyTables()
    const store = memoryTotals(tables)
    const { lines, handler } = handlerOn({
      ...store,
      update: async (u: TotalsUpdate) => {
        if (u.key.userId === 'bob')
          throw Object.assign(new Error('slow down'), {
            name: 'ProvisionedThroughputExceededException',
          })
        return store.update(u)
      },
    })
    expect(await handler({ Records: stream })).toEqual({
      batchItemFailures: [{ itemIdentifier: '101' }],
    })
    expect(totalsIn(tables).get('scores')?.get(ANN)?.score).toBe(3)
    expect(lines[0]).toMatchObject({
      level: 'warn',
      failedFrom: '101',
      failure: 'ProvisionedThroughputExceededException: slow down',
      updates: 1,
    })
  })
})

describe('the totals stage’s handler when several runs fail', () => {
  it('reports the earliest failed run’s first record, whichever failed first in time', async () => {
    const tables = emptyTables()
    const store = memoryTotals(tables)
    const { handler } = handlerOn({
      ...store,
      update: async (u: TotalsUpdate) => {
        // ann's run (from record 100) fails last, bob's (from 101) first.
        if (u.key.userId === 'ann') {
          await new Promise((resolve) => setTimeout(resolve, 5))
          throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' })
        }
        throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' })
      },
    })
    expect(await handler({ Records: stream })).toEqual({
      batchItemFailures: [{ itemIdentifier: '100' }],
    })
    expect(totalsIn(tables).get('scores')).toBe(undefined)
  })
})

describe('the totals stage’s handler on records it cannot read', () => {
  it('applies the records before an unreadable one, and reports that one to come again', async () => {
    const tables = emptyTables()
    const { lines, handler } = handlerOn(memoryTotals(tables))
    const unreadable: DynamoDBRecord = {
      dynamodb: { SequenceNumber: '101', Keys: {}, NewImage: {} } as DynamoDBRecord['dynamodb'],
    }
    expect(
      await handler({
        Records: [stream[0] as DynamoDBRecord, unreadable, stream[1] as DynamoDBRecord],
      }),
    ).toEqual({
      batchItemFailures: [{ itemIdentifier: '101' }],
    })
    expect(totalsIn(tables).get('scores')?.get(ANN)?.score).toBe(2)
    expect(totalsIn(tables).get('scores')?.get(BOB)).toBe(undefined)
    expect(lines[0]).toMatchObject({
      failedFrom: '101',
      failure: 'stream record: Error: a change with no partial key or no sequence number',
    })
  })
})
