import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'
import { rejectedPartKey } from '../runtime/items'
import type { RejectedRecord } from '../runtime/store'

type Item = Record<string, unknown>

/** A rejected record as it was received: its data whole, whatever the number of items. */
export type RejectedView = RejectedRecord

const recordOf = (first: Item, data: string): RejectedView => ({
  eventId: String(first.eventId),
  shardId: String(first.shardId),
  sequenceNumber: String(first.sequenceNumber),
  partitionKey: String(first.partitionKey),
  data,
  reason: String(first.reason),
})

const joined = (parts: ReadonlyArray<Item>): string =>
  [...parts]
    .sort((a, b) => Number(a.part) - Number(b.part))
    .map((part) => String(part.data))
    .join('')

/** Rejected records from the items of a whole scan: the parts of a split record joined. */
export const assembleRejected = (items: ReadonlyArray<Item>): RejectedView[] => {
  const partsOf = new Map<string, Item[]>()
  for (const item of items.filter((i) => i.partOf !== undefined)) {
    const key = String(item.partOf)
    partsOf.set(key, [...(partsOf.get(key) ?? []), item])
  }
  return items
    .filter((item) => item.partOf === undefined)
    .map((first) =>
      recordOf(first, String(first.data) + joined(partsOf.get(String(first.eventId)) ?? [])),
    )
}

/** One rejected record by its eventId, its data joined from all its items; undefined if none. */
export const readRejected = async (
  client: DynamoDBDocumentClient,
  table: string,
  eventId: string,
): Promise<RejectedView | undefined> => {
  const first = (
    await client.send(new GetCommand({ TableName: table, Key: { eventId }, ConsistentRead: true }))
  ).Item
  if (first === undefined || first.partOf !== undefined) return undefined
  const keys = Array.from({ length: Number(first.parts ?? 1) - 1 }, (_, at) => ({
    eventId: rejectedPartKey(eventId, at + 2),
  }))
  const parts: Item[] = []
  for (let at = 0; at < keys.length; at += 100) {
    const answer = await client.send(
      new BatchGetCommand({
        RequestItems: { [table]: { Keys: keys.slice(at, at + 100), ConsistentRead: true } },
      }),
    )
    parts.push(...(answer.Responses?.[table] ?? []))
  }
  if (parts.length !== keys.length)
    throw new Error(
      `rejected record ${eventId}: ${keys.length - parts.length} of its parts are missing`,
    )
  return recordOf(first, String(first.data) + joined(parts))
}
