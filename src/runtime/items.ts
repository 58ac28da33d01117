import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb'
import { mergeDeltas } from './plan'
import type { RejectedRecord, StateWrite } from './store'
import type { AggregateDelta, StateTable, View, ViewTableNames } from './view'

// The items' attribute names are a storage format: never rename one, version it.

/**
 * Base64 characters of a record's data per Rejected item: with the reason (at most 1,000
 * characters), the keys and the attribute names, an item stays well under 400 KB.
 */
export const REJECTED_DATA_PER_ITEM = 350_000

/** The key of the k-th item (k from 2) of a record whose data is split over several items. */
export const rejectedPartKey = (eventId: string, part: number): string => `${eventId}#${part}`

/**
 * The Rejected items of a record. Its data is kept whole, as received: in one item when
 * it fits, else split in order over `parts` items, the first one keyed by the record's
 * eventId and carrying everything else, the k-th keyed `${eventId}#k` with `partOf`.
 */
export const rejectedItems = (record: RejectedRecord): Array<Record<string, unknown>> => {
  if (record.data.length <= REJECTED_DATA_PER_ITEM) return [{ ...record }]
  return splitRejected(record)
}

/** The attribute DynamoDB's time to live reads on a Rejected item: when it may go, in epoch seconds. */
export const EXPIRES_AT = 'expiresAt'

/**
 * A record's Rejected items with the time DynamoDB may delete them, `days` from `now`
 * (epoch milliseconds), every part of a split record alike; no retention, no such time.
 */
export const expiringRejectedItems = (
  record: RejectedRecord,
  retentionDays: number | undefined,
  now: number,
): Array<Record<string, unknown>> => {
  const items = rejectedItems(record)
  if (retentionDays === undefined) return items
  const expiresAt = Math.floor(now / 1000) + Math.round(retentionDays * 86_400)
  return items.map((item) => ({ ...item, [EXPIRES_AT]: expiresAt }))
}

/** A record whose data is larger than one item, over several items in order. */
const splitRejected = (record: RejectedRecord): Array<Record<string, unknown>> => {
  const parts = Math.ceil(record.data.length / REJECTED_DATA_PER_ITEM)
  const slice = (part: number) =>
    record.data.slice((part - 1) * REJECTED_DATA_PER_ITEM, part * REJECTED_DATA_PER_ITEM)
  return [
    { ...record, data: slice(1), parts, dataLength: record.data.length },
    ...Array.from({ length: parts - 1 }, (_, at) => ({
      eventId: rejectedPartKey(record.eventId, at + 2),
      partOf: record.eventId,
      part: at + 2,
      data: slice(at + 2),
    })),
  ]
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number]

/**
 * The condition of a state's Put: the item is still at the position read, or still
 * absent when none was read. This is what refuses a second application of a batch.
 */
export const unchangedSinceRead = (table: StateTable, expectedPosition: string | undefined) =>
  expectedPosition === undefined
    ? {
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': table.keyAttribute },
      }
    : {
        ConditionExpression: '#position = :expected',
        ExpressionAttributeNames: { '#position': table.positionAttribute },
        ExpressionAttributeValues: { ':expected': expectedPosition },
      }

/**
 * An update expression's placeholders: `part` names each attribute `#p0`, `#p1`… and its
 * value `:p0`, `:p1`…, and gives the clauses (`#p0 :p0` for ADD, `#p0 = :p0` for SET).
 */
export const expressionParts = (
  names: Record<string, string> = {},
  values: Record<string, unknown> = {},
) => ({
  names,
  values,
  part: (prefix: string, entries: ReadonlyArray<[string, unknown]>, joint: string) =>
    entries.map(([name, value], at) => {
      names[`#${prefix}${at}`] = name
      values[`:${prefix}${at}`] = value
      return `#${prefix}${at}${joint}:${prefix}${at}`
    }),
})

/** An aggregate item's update: ADD each number, SET the attributes the key implies. */
const aggregateUpdate = (tableName: string, delta: AggregateDelta): TransactItem => {
  const { names, values, part } = expressionParts()
  const adds = part('a', Object.entries(delta.add), ' ')
  const sets = part('s', Object.entries(delta.set ?? {}), ' = ')
  const clauses = [sets.length > 0 ? `SET ${sets.join(', ')}` : '', `ADD ${adds.join(', ')}`]
  return {
    Update: {
      TableName: tableName,
      Key: { ...delta.key },
      UpdateExpression: clauses.filter((c) => c !== '').join(' '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  }
}

/** The name of a table by role; a view that names a table it does not have is a bug. */
export const tableNameOf = (names: ViewTableNames, role: string): string => {
  const name = names[role]
  if (name === undefined) throw new Error(`no table is named for the role ${role}`)
  return name
}

/** One transaction: each state's conditional Put, then the merged updates of the aggregates. */
export const transactionItems = <Event, State>(
  view: View<Event, State>,
  names: ViewTableNames,
  writes: ReadonlyArray<StateWrite<State>>,
): TransactItem[] => {
  const stateTable = view.tables.state
  const puts = writes.map(
    ({ state, expectedPosition }): TransactItem => ({
      Put: {
        TableName: tableNameOf(names, stateTable.role),
        Item: view.toItem(state),
        ...unchangedSinceRead(stateTable, expectedPosition),
      },
    }),
  )
  const updates = mergeDeltas(writes.flatMap((write) => write.deltas)).map((delta) =>
    aggregateUpdate(tableNameOf(names, delta.table), delta),
  )
  return [...puts, ...updates]
}
