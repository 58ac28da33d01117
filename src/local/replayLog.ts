import { createHash } from 'node:crypto'
import type { OutgoingRecord } from './kinesis'
import type { WorkloadRecord } from './workload'

/** Workload records as bytes to put. */
export const toOutgoing = (records: ReadonlyArray<WorkloadRecord>): OutgoingRecord[] =>
  records.map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data, 'utf8') }))

const dataIdOf = (line: string): unknown => {
  try {
    return (JSON.parse(line) as { data?: { id?: unknown } } | null)?.data?.id
  } catch {
    return undefined
  }
}

// Kinesis partition keys hold at most 256 characters; a longer product id is hashed, so
// that all of a product's records still share one key, one shard and one order.
const partitionKeyOf = (id: string): string =>
  id.length <= 256 ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`

/**
 * A JSON-lines file as records, in file order: an envelope goes under its data.id, any
 * other line as raw bytes under a key of its own (`line-N`). Blank lines are skipped.
 */
export const recordsOfLines = (text: string): OutgoingRecord[] =>
  text
    .split('\n')
    .map((line, at) => ({ line: line.replace(/\r$/, ''), at }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, at }) => {
      const id = dataIdOf(line)
      const partitionKey =
        typeof id === 'string' && id !== '' ? partitionKeyOf(id) : `line-${at + 1}`
      return { partitionKey, data: Buffer.from(line, 'utf8') }
    })
