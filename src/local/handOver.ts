import { compareSequenceNumbers } from '../domain/position'
import type { ShardFacts } from '../runtime/archive'
import type { FreshnessMark } from '../runtime/marks'

// The rules of handing a rebuilt version over from the archive to the stream, pure: where
// a gap could open, and what shows a version read the stream before (rebuild --aws).

/** Where the archive's replay left a shard and where the stream now starts it. */
export interface HandOver {
  readonly shardId: string
  /** The last record folded from the archive; none: the archive holds none of this shard. */
  readonly archivedTo?: string
  /** The oldest record the stream still holds; none: it holds none of this shard (or gave none). */
  readonly streamFrom?: string
  /** Whether the replay read the shard to its end (a closed shard: a parent of another). */
  readonly finished: boolean
}

/** Where a view's fold of the archive stands on a shard: its last record, and whether it read the shard to its end. */
export type Folded = ReadonlyMap<
  string,
  { readonly sequenceNumber?: string | undefined; readonly finished: boolean }
>

/**
 * The shards where handing over could leave a gap. Sequence numbers are not consecutive,
 * so only a record both hold proves none: the stream must still hold the last record the
 * archive gave (its oldest at or before it), unless the replay read the shard to its end.
 * A stream that holds none of the shard cannot prove it either. A shard the archive never
 * read is taken as whole (new since, or the archive stalled, which pages).
 */
export const gapsOf = (handOver: ReadonlyArray<HandOver>): HandOver[] =>
  handOver.filter(
    (h) =>
      h.archivedTo !== undefined &&
      !h.finished &&
      (h.streamFrom === undefined || compareSequenceNumbers(h.streamFrom, h.archivedTo) > 0),
  )

/** An error naming each shard where handing over would skip records (`gapsOf`), if any. */
export const refuseGaps = (handOver: ReadonlyArray<HandOver>): void => {
  const gaps = gapsOf(handOver)
  if (gaps.length === 0) return
  const named = gaps.map(
    (g) =>
      `${g.shardId} (archived to ${g.archivedTo}, the stream ${g.streamFrom === undefined ? 'holds none of it' : `starts at ${g.streamFrom}`})`,
  )
  throw new Error(
    `the stream no longer holds what follows the archive on ${named.join(', ')}: handing over would skip records`,
  )
}

/** What the archive holds of a stream: its shards with their parents, and each one's first record. */
export interface ArchiveStarts {
  readonly shards: ReadonlyArray<ShardFacts>
  /** Each listed shard's first archived record; none: the archive holds no record of it. */
  readonly firsts: ReadonlyMap<string, string | undefined>
}

const parentsOf = (shard: ShardFacts | undefined): string[] =>
  [shard?.parentShardId, shard?.adjacentParentShardId].filter((p) => p !== undefined)

/** A shard's nearest ancestors the archive holds records of and the view has not marked. */
const unmarkedAncestors = (
  shardId: string,
  archive: ArchiveStarts,
  marked: ReadonlySet<string>,
  seen = new Set<string>(),
): string[] =>
  parentsOf(archive.shards.find((s) => s.shardId === shardId)).flatMap((parent) => {
    if (seen.has(parent) || marked.has(parent)) return []
    seen.add(parent)
    // A parent the archive holds nothing of: its own parents stand in for it.
    if (archive.firsts.get(parent) === undefined)
      return unmarkedAncestors(parent, archive, marked, seen)
    return [parent]
  })

/**
 * Why a view's marks show it read the stream rather than the archive, shard by shard: a
 * shard it began after the archive's first record (the stream had let earlier ones go),
 * or one the archive holds nothing of, or a shard marked while an ancestor the archive
 * holds is not (Lambda reads a parent to its end first; so does the replay). Marks that
 * pass are a prefix of each shard's history from the archive's start: the replay goes on
 * after them. A mark beginning before the archive's first record (objects expired from
 * the bucket since) passes.
 */
export const otherStartsOf = (
  marks: ReadonlyArray<FreshnessMark>,
  archive: ArchiveStarts,
): string[] => {
  const marked = new Set(marks.map((m) => m.shardId))
  return marks.flatMap((mark) => {
    const first = archive.firsts.get(mark.shardId)
    if (first === undefined)
      return [
        `began ${mark.shardId} at ${mark.firstSequenceNumber}, of which the archive holds nothing`,
      ]
    if (compareSequenceNumbers(mark.firstSequenceNumber, first) > 0)
      return [
        `began ${mark.shardId} at ${mark.firstSequenceNumber}, after the archive's first record ${first}`,
      ]
    const unmarked = unmarkedAncestors(mark.shardId, archive, marked)
    return unmarked.length === 0
      ? []
      : [
          `marked ${mark.shardId} but not its parent ${unmarked.join(' or ')}, which the archive holds`,
        ]
  })
}

/** The lowest of some sequence numbers, compared as numbers; none of none. */
const lowestOf = (positions: ReadonlyArray<string>): string | undefined =>
  positions.reduce<string | undefined>(
    (low, p) => (low === undefined || compareSequenceNumbers(p, low) < 0 ? p : low),
    undefined,
  )

/**
 * Where the least advanced view stands on each shard the archive holds records of (or a
 * view marked): its lowest mark, and whether the replay read the shard to its end
 * (`readToEnd`). A shard some view has not marked fails: the hand-over would take it as
 * whole.
 */
export const leastFoldedOf = (
  byView: ReadonlyArray<{ readonly view: string; readonly marks: ReadonlyArray<FreshnessMark> }>,
  withRecords: ReadonlyArray<string>,
  readToEnd: ReadonlySet<string>,
): Folded => {
  const shards = new Set([...withRecords, ...byView.flatMap((v) => v.marks.map((m) => m.shardId))])
  const folded = new Map<string, { readonly sequenceNumber?: string; readonly finished: boolean }>()
  for (const shardId of shards) {
    const positions = byView.map((v) => v.marks.find((m) => m.shardId === shardId)?.sequenceNumber)
    const unmarked = byView.filter((_, at) => positions[at] === undefined).map((v) => v.view)
    if (unmarked.length > 0)
      throw new Error(
        `${unmarked.join(', ')} marked nothing of ${shardId}, which the archive holds or another view folded: run the same rebuild again`,
      )
    const least = lowestOf(positions.filter((p) => p !== undefined))
    folded.set(shardId, {
      ...(least === undefined ? {} : { sequenceNumber: least }),
      finished: readToEnd.has(shardId),
    })
  }
  return folded
}

/**
 * Whether a record leaves the stream within `marginMs`: it arrived at `arrivedAtMs`, and
 * the stream keeps records `retentionMs`. A mapping enabled now reads its shard within
 * moments, so the record after the archive's last must outlast that by a margin.
 */
export const leavesStreamWithin = (
  arrivedAtMs: number,
  retentionMs: number,
  nowMs: number,
  marginMs: number,
): boolean => arrivedAtMs + retentionMs - nowMs < marginMs
