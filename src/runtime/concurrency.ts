/** At most `limit` tasks at once (at least 1), each taking its turn in the order it asks. */
export const slots = (limit: number) => {
  let free = Math.max(1, limit)
  const waiting: Array<() => void> = []
  return {
    take: (): Promise<void> => {
      if (free > 0) {
        free -= 1
        return Promise.resolve()
      }
      return new Promise((resolve) => waiting.push(resolve))
    },
    give: (): void => {
      const next = waiting.shift()
      if (next === undefined) free += 1
      else next()
    },
  }
}

/** Runs `task` on every item, at most `limit` at once; rejects with the first failure. */
export const forEachAtMost = async <A>(
  limit: number,
  items: ReadonlyArray<A>,
  task: (item: A) => Promise<void>,
): Promise<void> => {
  const turns = slots(limit)
  await Promise.all(
    items.map(async (item) => {
      await turns.take()
      try {
        await task(item)
      } finally {
        turns.give()
      }
    }),
  )
}
