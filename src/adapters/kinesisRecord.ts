import type { KinesisStreamRecord } from 'aws-lambda'
import * as E from 'fp-ts/Either'
import { isSequenceNumber, type Position } from '../domain/position'

/** A record's payload parsed from its bytes, with its place in the stream. */
export interface ParsedRecord {
  readonly position: Position
  readonly payload: unknown
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

const shardIdOf = (record: KinesisStreamRecord): string => {
  const colon = record.eventID.lastIndexOf(':')
  return colon > 0 ? record.eventID.slice(0, colon) : record.eventID
}

const parseJson = (text: string): E.Either<string, unknown> =>
  E.tryCatch(
    () => JSON.parse(text) as unknown,
    (error) => `data: not JSON (${error instanceof Error ? error.message : String(error)})`,
  )

/**
 * Turns a Lambda Kinesis record into its position and parsed JSON payload, or a reason:
 * strict base64, then strict UTF-8, then JSON. Nothing here throws.
 */
export const parseKinesisRecord = (record: KinesisStreamRecord): E.Either<string, ParsedRecord> => {
  const { sequenceNumber, data } = record.kinesis
  if (!isSequenceNumber(sequenceNumber)) {
    return E.left('kinesis.sequenceNumber: expected 1 to 129 decimal digits')
  }
  const position = { shardId: shardIdOf(record), sequenceNumber }
  if (!BASE64.test(data)) return E.left('data: not base64')
  let text: string
  try {
    text = utf8.decode(Buffer.from(data, 'base64'))
  } catch {
    return E.left('data: not UTF-8 text')
  }
  return E.map((payload) => ({ position, payload }))(parseJson(text))
}
