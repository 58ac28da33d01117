import type { ProductEvent } from '../../src/domain/events'
import type { ProductState } from '../../src/domain/product'
import { memoryStore } from '../../src/runtime/memoryStore'
import { type PlannedWrite, planKey } from '../../src/runtime/plan'
import type { StateWrite } from '../../src/runtime/store'
import { winnerView } from '../../src/views/winner'
import { type Answer, scriptedStore, type WinnerTables } from './scripted'

export type Planned = PlannedWrite<ProductEvent, ProductState>
type Writes = ReadonlyArray<StateWrite<ProductState>>

/** A product's events of this batch folded onto what was read; the test needs a write. */
export const plan = (events: ProductEvent[], read?: ProductState): Planned => {
  const productId = events[0]?.productId ?? ''
  const batch = { key: productId, events, recordIndexes: events.map((_, at) => at) }
  return planKey(winnerView, batch, read).planned as Planned
}

/** Another writer's commit, straight to the tables, past any script. */
export const commitNow = (tables: WinnerTables, writes: ReadonlyArray<Planned>) =>
  memoryStore(winnerView, tables).writeStates(writes.map((p) => p.write))

/** Resolves after `ms` milliseconds of real time: lets the other transactions move on. */
export const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))

/** The products of each transaction a store was asked to write, in the order asked. */
export const keysOf = (calls: ReadonlyArray<Writes>): string[][] =>
  calls.map((writes) => writes.map((w) => w.key))

/**
 * The items a transaction touches on DynamoDB, counted here by hand: a Put per product,
 * plus each Scores item once however many products add to it.
 */
export const itemsOf = (writes: Writes): number =>
  writes.length +
  new Set(writes.flatMap((w) => w.deltas.map((d) => `${d.table} ${JSON.stringify(d.key)}`))).size

/**
 * The winner view's scripted store, whose every write takes `ms` of real time; `log`
 * notes when each transaction, named by its first product, starts and ends.
 */
export const timedStore = (ms: number, answers: ReadonlyArray<Answer> = []) => {
  const store = scriptedStore(answers)
  const log: string[] = []
  const writeStates = async (writes: Writes) => {
    const name = writes[0]?.key ?? ''
    log.push(`start ${name}`)
    await pause(ms)
    log.push(`end ${name}`)
    return store.writeStates(writes)
  }
  return { store: { ...store, writeStates }, calls: store.calls, log }
}
