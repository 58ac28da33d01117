import type { KinesisStreamRecord } from 'aws-lambda'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import { isSequenceNumber, type Position } from '../domain/position'

/** A record's payload parsed from its bytes, with its place in the stream. */
export interface ParsedRecord {
  readonly position: Position
  readonly payload: unknown
}

// Characters and length only: a '=' inside the text is caught by the decoded length.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The shard of a record, from Lambda's eventID `shardId:sequenceNumber`. */
export const shardIdOf = (record: KinesisStreamRecord): string => {
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
  const bytes = BASE64.test(data) && data.length % 4 === 0 ? Buffer.from(data, 'base64') : undefined
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0
  if (bytes === undefined || bytes.length !== (data.length / 4) * 3 - padding)
    return E.left('data: not base64')
  return pipe(
    E.tryCatch(
      () => utf8.decode(bytes),
      () => 'data: not UTF-8 text',
    ),
    E.chain(parseJson),
    E.map((payload) => ({ position, payload })),
  )
}
