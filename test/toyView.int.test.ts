import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import * as E from 'fp-ts/Either'
import { scanAll, withoutApplied } from '../src/local/viewReader'
import { rejectedTable } from '../src/runtime/tables'
import type { View, ViewTableNames } from '../src/runtime/view'
import { atLeastOnceLaws } from './support/atLeastOnce'
import { oracleRecordsOfKinesis } from './support/oracle'

// A view written here, with a toy state and nothing of products: it counts the records of
// each partition key whose payload is a JSON object, and sums them per bucket of keys. It
// gets the runtime's guarantees without a line of the runtime changed.

interface Tally {
  readonly key: string
  readonly records: number
  readonly last: string | undefined
}

interface Counted {
  readonly key: string
  readonly sequenceNumber: string
}

/** Three buckets, so that concurrent transactions contend for the same aggregate items. */
const bucketOf = (key: string): string => `b${key.length % 3}`

const isLater = (sequenceNumber: string, last: string | undefined): boolean =>
  last === undefined || BigInt(sequenceNumber) > BigInt(last)

const toyView: View<Counted, Tally> = {
  name: 'toy',
  decode: (payload, position, partitionKey) =>
    typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? E.right({
          kind: 'event',
          event: { key: partitionKey, sequenceNumber: position.sequenceNumber },
        })
      : E.left('not a JSON object'),
  keyOf: (event) => event.key,
  initial: (key) => ({ key, records: 0, last: undefined }),
  evolve: (state, event) =>
    isLater(event.sequenceNumber, state.last)
      ? { key: state.key, records: state.records + 1, last: event.sequenceNumber }
      : state,
  positionOf: (state) => state.last,
  deltas: (before, after) => [
    {
      table: 'totals',
      key: { bucket: bucketOf(after.key) },
      add: { records: after.records - before.records },
    },
  ],
  toItem: (state) => ({ ...state }),
  fromItem: (item) =>
    typeof item.key === 'string' &&
    typeof item.records === 'number' &&
    typeof item.last === 'string'
      ? E.right({ key: item.key, records: item.records, last: item.last })
      : E.left(`not a tally: ${JSON.stringify(item).slice(0, 100)}`),
  tables: {
    // `key` is a reserved word in DynamoDB's expressions: the runtime must name it safely.
    state: {
      role: 'tallies',
      suffix: 'ToyTallies',
      definition: {
        AttributeDefinitions: [{ AttributeName: 'key', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
      },
      keyAttribute: 'key',
      positionAttribute: 'last',
    },
    aggregates: [
      {
        role: 'totals',
        suffix: 'ToyTotals',
        definition: {
          AttributeDefinitions: [{ AttributeName: 'bucket', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'bucket', KeyType: 'HASH' }],
        },
      },
    ],
    rejected: { role: 'toyRejected', suffix: 'ToyRejected', definition: rejectedTable },
  },
}

const byText = (attribute: string) => (a: Record<string, unknown>, b: Record<string, unknown>) =>
  String(a[attribute]).localeCompare(String(b[attribute]), 'en')

/** What the toy's tables must hold, counted here from the records' text alone. */
const toyOracle = (records: Parameters<typeof oracleRecordsOfKinesis>[0]) => {
  const tallies = new Map<string, number>()
  let rejected = 0
  for (const { partitionKey, data } of oracleRecordsOfKinesis(records)) {
    let payload: unknown
    try {
      payload = JSON.parse(data)
    } catch {
      payload = undefined
    }
    if (typeof payload === 'object' && payload !== null && !Array.isArray(payload))
      tallies.set(partitionKey, (tallies.get(partitionKey) ?? 0) + 1)
    else rejected += 1
  }
  const totals = new Map<string, number>()
  for (const [key, count] of tallies)
    totals.set(bucketOf(key), (totals.get(bucketOf(key)) ?? 0) + count)
  return {
    tallies: [...tallies].map(([key, records]) => ({ key, records })).sort(byText('key')),
    totals: [...totals].map(([bucket, records]) => ({ bucket, records })).sort(byText('bucket')),
    rejected,
  }
}

const storedToy = async (client: DynamoDBDocumentClient, names: ViewTableNames) => {
  const [tallies = [], totals = [], rejected = []] = await Promise.all(
    ['tallies', 'totals', 'toyRejected'].map((role) => scanAll(client, names[role] ?? role)),
  )
  return {
    tallies: tallies.map(({ last, ...tally }) => tally).sort(byText('key')),
    totals: totals.map(withoutApplied).sort(byText('bucket')),
    rejected: rejected.length,
  }
}

jest.setTimeout(60_000)

atLeastOnceLaws({ view: toyView, stored: storedToy, expected: toyOracle })
