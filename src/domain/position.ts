/**
 * Where a record sits in the stream. Kinesis sequence numbers are decimal strings of up
 * to 129 digits: they are compared as unsigned integers, never as JS numbers or as text.
 */
export interface Position {
  readonly shardId: string
  readonly sequenceNumber: string
}

const DECIMAL = /^[0-9]{1,129}$/

/** True when `text` is a sequence number as Kinesis writes it: 1 to 129 decimal digits. */
export const isSequenceNumber = (text: string): boolean => DECIMAL.test(text)

// Kinesis writes no leading zeros, so the common case returns the text as it is.
const withoutLeadingZeros = (digits: string): string => {
  let start = 0
  while (start < digits.length - 1 && digits.charCodeAt(start) === 48) start += 1
  return start === 0 ? digits : digits.slice(start)
}

/** Orders two sequence numbers as unsigned integers: by length, then digit by digit. */
export const compareSequenceNumbers = (a: string, b: string): -1 | 0 | 1 => {
  const x = withoutLeadingZeros(a)
  const y = withoutLeadingZeros(b)
  if (x.length !== y.length) return x.length < y.length ? -1 : 1
  if (x === y) return 0
  return x < y ? -1 : 1
}

/**
 * A sequence number written so that text order is number order: its length in three
 * digits, a dot, then the digits (`056.4959…`). Kinesis writes up to 129 digits, with no
 * leading zero. S3 lists keys in text order, so a shard's archived batches list in stream
 * order; DynamoDB compares strings so, so a freshness mark's condition can compare them.
 */
export const sortableSequence = (sequenceNumber: string): string =>
  `${String(sequenceNumber.length).padStart(3, '0')}.${sequenceNumber}`

/**
 * True when `sequenceNumber` comes after `last` (or nothing was folded yet). The shard id
 * takes no part: after a reshard a child shard's numbers are larger than its parent's.
 */
export const isAfter = (sequenceNumber: string, last: string | undefined): boolean =>
  last === undefined || compareSequenceNumbers(sequenceNumber, last) > 0

/** Lambda's eventID for a Kinesis record: `shardId:sequenceNumber`. */
export const eventIdOf = (position: Position): string =>
  `${position.shardId}:${position.sequenceNumber}`

// The fan-out writes the ingress record's Lambda eventID: `shardId-000000000001:4957…`.
const INGRESS_EVENT_ID = /^(shardId-[0-9]{1,20}):([0-9]{1,129})$/

/**
 * The ingress record an egress envelope was fanned out from, read from its `eventId`;
 * undefined when the eventId does not have that shape (then only its own position counts).
 */
export const ingressPositionOf = (eventId: string): Position | undefined => {
  const match = INGRESS_EVENT_ID.exec(eventId)
  return match?.[1] === undefined || match[2] === undefined
    ? undefined
    : { shardId: match[1], sequenceNumber: match[2] }
}
