import * as E from 'fp-ts/Either'
import { decodeEvent, type ProductEvent } from '../../src/domain/events'
import { viewOfEvents } from './stream'

type Item = Record<string, unknown>

/** Stream positions differ from run to run (the emulator numbers records by time): compare without them. */
export const withoutPositions = ({ lastSequenceNumber, lastEventId, ...rest }: Item): Item => rest

const byKey = (key: string) => (a: Item, b: Item) =>
  String(a[key]).localeCompare(String(b[key]), 'en')

/** A replay's result with positions removed, rejected records by content: comparable across runs. */
export const comparable = (result: {
  contributions: Item[]
  scores: Item[]
  rejected: Item[]
}) => ({
  contributions: result.contributions.map(withoutPositions),
  scores: result.scores,
  rejected: result.rejected
    .map(({ data, reason, partitionKey }) => ({ data, reason, partitionKey }))
    .sort(byKey('data')),
})

/** What the pure fold of a JSON-lines log predicts, each product's events in file order. */
export const foldLines = (lines: ReadonlyArray<string>) => {
  const events: ProductEvent[] = []
  let rejected = 0
  for (const [at, line] of lines.entries()) {
    let payload: unknown
    try {
      payload = JSON.parse(line)
    } catch {
      rejected += 1
      continue
    }
    const decoded = decodeEvent(payload, { shardId: 'file', sequenceNumber: String(at + 1) })
    if (E.isLeft(decoded)) rejected += 1
    else if (decoded.right.kind === 'event') events.push(decoded.right.event)
  }
  const { contributions, scores } = viewOfEvents(events)
  return { contributions: contributions.map(withoutPositions), scores, rejected }
}
