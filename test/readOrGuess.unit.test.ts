import type { KinesisStreamRecord } from 'aws-lambda'
import type { ProductState } from '../src/domain/product'
import { makeViewHandler } from '../src/runtime/handler'
import { emptyTables, memoryStore } from '../src/runtime/memoryStore'
import type { Store } from '../src/runtime/store'
import { winnerView } from '../src/views/winner'
import {
  createData,
  creatorOrigin,
  ingress,
  kinesisRecord,
  purchaseData,
  sequenceNumber,
} from './support/fixtures'

// What a warm container reads before it writes: the keys its cache lacks, and only those;
// none when it knows them all; every one it lacks while the last read found some stored.
// The commit's condition checks what it took from its cache either way (DESIGN.md).

const SHARD = 'shardId-000000000004'
let recorded = 0
const record = (envelope: Record<string, unknown>): KinesisStreamRecord => {
  recorded += 1
  return kinesisRecord(envelope, { shardId: SHARD, sequenceNumber: sequenceNumber(recorded) })
}
const create = (id: string) => record(ingress(creatorOrigin('ann'), createData(id)))
const buy = (id: string) => record(ingress(creatorOrigin('buyer'), purchaseData(id)))

/** A store whose reads and writes are counted, over tables another container may share. */
const countedStore = (tables = emptyTables<ProductState>()) => {
  const memory = memoryStore(winnerView, tables)
  const reads: string[][] = []
  let writes = 0
  const store: Store<ProductState> = {
    ...memory,
    readStates: (keys) => {
      reads.push([...keys])
      return memory.readStates(keys)
    },
    writeStates: (batch) => {
      writes += 1
      return memory.writeStates(batch)
    },
  }
  return { store, tables, reads, writes: () => writes }
}

describe('a container that folded keys before', () => {
  it('reads only the keys its cache lacks, and none when it knows them all', async () => {
    const tables = emptyTables<ProductState>()
    const other = makeViewHandler(winnerView, {
      store: memoryStore(winnerView, tables),
      log: () => {},
    })
    await other({ Records: [create('p2'), create('p3')] }) // another container stored them
    const { store, reads } = countedStore(tables)
    const handler = makeViewHandler(winnerView, { store, log: () => {} })
    await handler({ Records: [buy('p2')] })
    await handler({ Records: [buy('p2')] })
    await handler({ Records: [buy('p2'), buy('p3')] })
    expect(reads).toEqual([['p2'], ['p3']])
  })

  it('reads a key it lacks, rather than guess it new, while its last read found one stored', async () => {
    const tables = emptyTables<ProductState>()
    const other = makeViewHandler(winnerView, {
      store: memoryStore(winnerView, tables),
      log: () => {},
    })
    await other({ Records: [create('p4'), create('p5')] })
    const { store, reads, writes } = countedStore(tables)
    const handler = makeViewHandler(winnerView, { store, log: () => {} })
    await handler({ Records: [buy('p4')] })
    await handler({ Records: [buy('p5')] })
    // Guessed new, p5's write would be refused by its condition, then read and written again.
    expect(reads).toEqual([['p4'], ['p5']])
    expect(writes()).toBe(2)
  })
})
