import fc from 'fast-check'

export type Delivery = 'once' | 'again' | 'bisected'

/**
 * How the event source mapping may have handed a shard's records to the archive: batches
 * in order, where a batch may be delivered again (a retry after its object was written) or
 * bisected (its halves written besides the whole); the rest in a last batch.
 */
export const deliveriesOf = <A>(
  records: ReadonlyArray<A>,
  cuts: ReadonlyArray<readonly [number, Delivery]>,
): A[][] => {
  let at = 0
  const batches = cuts.flatMap(([size, how]) => {
    const batch = records.slice(at, at + size)
    at += size
    const half = Math.ceil(batch.length / 2)
    if (batch.length === 0) return []
    if (how === 'again') return [batch, batch]
    return how === 'bisected'
      ? [batch, batch.slice(0, half), batch.slice(half)].filter((b) => b.length > 0)
      : [batch]
  })
  return at < records.length ? [...batches, records.slice(at)] : batches
}

/** Cuts of a shard into batches: a size and how the batch was delivered. */
export const cutsArb = fc.array(
  fc.tuple(fc.integer({ min: 1, max: 8 }), fc.constantFrom<Delivery>('once', 'again', 'bisected')),
  { minLength: 1, maxLength: 20 },
)
