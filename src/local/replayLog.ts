import { createHash } from 'node:crypto'
import * as E from 'fp-ts/Either'
import { winnerView } from '../views/winner'
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

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** A line's text when its bytes are valid UTF-8; undefined when they are not. */
const textOf = (bytes: Uint8Array): string | undefined => {
  try {
    return strictUtf8.decode(bytes)
  } catch {
    return undefined
  }
}

/** The lines of a file as bytes, each without its line end (LF or CRLF). */
const linesOf = (bytes: Uint8Array): Uint8Array[] => {
  const lines: Uint8Array[] = []
  let start = 0
  for (let at = 0; at <= bytes.length; at += 1) {
    if (at < bytes.length && bytes[at] !== NEWLINE) continue
    const end = at > start && bytes[at - 1] === CARRIAGE_RETURN ? at - 1 : at
    lines.push(bytes.subarray(start, end))
    start = at + 1
  }
  return lines
}

/**
 * A JSON-lines file as records, in file order, each line's bytes exactly as they are (a
 * line that is not valid UTF-8 too): an envelope goes under its data.id, any other line
 * under a key of its own (`line-N`). Blank lines are skipped.
 */
export const recordsOfLines = (file: Uint8Array | string): OutgoingRecord[] =>
  linesOf(typeof file === 'string' ? Buffer.from(file, 'utf8') : file)
    .map((bytes, at) => ({ bytes, text: textOf(bytes), at }))
    .filter(({ text }) => text === undefined || text.trim() !== '')
    .map(({ bytes, text, at }) => {
      const id = text === undefined ? undefined : dataIdOf(text)
      const partitionKey =
        typeof id === 'string' && id !== '' ? partitionKeyOf(id) : `line-${at + 1}`
      return { partitionKey, data: Buffer.from(bytes) }
    })

/** Whether the winner view takes a record for another view's event (skipped), from its bytes alone. */
const isAnotherViewsEvent = (record: OutgoingRecord): boolean => {
  const text = textOf(record.data)
  if (text === undefined) return false
  let payload: unknown
  try {
    payload = JSON.parse(text)
  } catch {
    return false
  }
  const position = { shardId: 'shardId-000000000000', sequenceNumber: '0' }
  const decoded = winnerView.decode(payload, position, record.partitionKey)
  return E.isRight(decoded) && decoded.right.kind === 'foreign'
}

/** What became of each record once, whatever the deliveries: skipped as another view's, kept in Rejected, or folded. */
export interface RecordOutcomes {
  readonly folded: number
  readonly skipped: number
  readonly rejected: number
}

/** Each published record's outcome, from its bytes and the Rejected records the view keeps. */
export const recordOutcomes = (
  records: ReadonlyArray<OutgoingRecord>,
  rejected: number,
): RecordOutcomes => {
  const skipped = records.filter(isAnotherViewsEvent).length
  return { folded: records.length - skipped - rejected, skipped, rejected }
}
