type Item = Record<string, unknown>

/** Stream positions differ from run to run (the emulator numbers records by time): compare without them. */
export const withoutPositions = ({ lastSequenceNumber, lastEventId, ...rest }: Item): Item => rest

/** Stored tables in the oracle's terms: items without positions, and how many records were rejected. */
export const tablesOf = (view: {
  readonly contributions: ReadonlyArray<Item>
  readonly scores: ReadonlyArray<Item>
  readonly rejected: ReadonlyArray<unknown>
}) => ({
  contributions: view.contributions.map(withoutPositions),
  scores: view.scores,
  rejected: view.rejected.length,
})
