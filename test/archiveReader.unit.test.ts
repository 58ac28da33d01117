import {
  type ArchivedRecord,
  batchKeyOf,
  encodeBatch,
  type ShardFacts,
  shardManifestOf,
} from '../src/runtime/archive'
import {
  type ArchiveSource,
  archivedShards,
  archiveStatus,
  firstArchivedRecord,
  rangeOfKey,
  shardRecords,
} from '../src/runtime/archiveReader'
import { memoryArchive } from '../src/runtime/memoryArchive'

// The archive of `devStream` as created at 2026-11-01T00:00:00Z.
const ARCHIVE_ID = 'devStream/1793491200000'
const PARENT = 'shardId-000000000000'
const CHILD = 'shardId-000000000001'
const SIBLING = 'shardId-000000000002'
const PARENT_RECORDS = `records/${ARCHIVE_ID}/${PARENT}/`

// 1764151200 s is 2025-11-26T10:00:00Z; Kinesis gives arrival times in seconds, with a fraction.
const record = (sequenceNumber: string, arrival = 1764151200): ArchivedRecord => ({
  sequenceNumber,
  partitionKey: 'p1',
  approximateArrivalTimestamp: arrival,
  data: 'e30=',
})

type Archive = ReturnType<typeof memoryArchive>

/** Writes a batch where the archive handler would: under its own key. */
const archive = async (store: Archive, shardId: string, records: ArchivedRecord[]) => {
  const batch = { shardId, records }
  await store.put(batchKeyOf(ARCHIVE_ID, batch), encodeBatch(batch))
}

const manifest = async (store: Archive, shard: ShardFacts) => {
  await store.put(`shards/${ARCHIVE_ID}/${shard.shardId}.json`, Buffer.from(shardManifestOf(shard)))
}

/** What the reader yields, batch by batch, as sequence numbers. */
const read = async (source: ArchiveSource, shardId: string, after?: string) => {
  const batches: string[][] = []
  for await (const batch of shardRecords(source, ARCHIVE_ID, shardId, after)) {
    batches.push(batch.map((r) => r.sequenceNumber))
  }
  return batches
}

describe('the range of a key', () => {
  it('is the first and last sequence numbers and the count of records a batch key names', () => {
    const key = batchKeyOf(ARCHIVE_ID, { shardId: PARENT, records: [record('101'), record('103')] })
    expect(rangeOfKey(key)).toEqual({ first: '101', last: '103', count: 2 })
  })

  it.each([
    `shards/${ARCHIVE_ID}/${PARENT}.json`,
    `${PARENT_RECORDS}notes.txt`,
    `${PARENT_RECORDS}03.101-003.103.2.jsonl.gz`,
    `${PARENT_RECORDS}003.101-003.103.jsonl.gz`,
  ])('is none for %s, which is not a batch key', (key) => {
    expect(rangeOfKey(key)).toBeUndefined()
  })
})

describe('the first record of a shard’s archive', () => {
  it('is the first its keys name, whatever order its batches were written in, past a stray key', async () => {
    const store = memoryArchive()
    await archive(store, PARENT, [record('9000'), record('9001')])
    await archive(store, PARENT, [record('10000')])
    await archive(store, PARENT, [record('999'), record('1000')])
    await store.put(`${PARENT_RECORDS}000.notes.txt`, new Uint8Array())
    await archive(store, CHILD, [record('5')])
    expect(await firstArchivedRecord(store, ARCHIVE_ID, PARENT)).toBe('999')
    expect(await firstArchivedRecord(store, ARCHIVE_ID, CHILD)).toBe('5')
  })

  it('is none for a shard the archive holds no record of', async () => {
    const store = memoryArchive()
    await archive(store, PARENT, [record('1')])
    await store.put(`${PARENT_RECORDS}000.notes.txt`, new Uint8Array())
    expect(await firstArchivedRecord(store, ARCHIVE_ID, SIBLING)).toBeUndefined()
    expect(await firstArchivedRecord(memoryArchive(), ARCHIVE_ID, PARENT)).toBeUndefined()
  })
})

describe('the shards of an archive', () => {
  it('are read with their parents, as their manifests say', async () => {
    const store = memoryArchive()
    await manifest(store, { shardId: PARENT })
    await manifest(store, { shardId: CHILD, parentShardId: PARENT, adjacentParentShardId: SIBLING })
    expect(await archivedShards(store, ARCHIVE_ID)).toStrictEqual([
      { shardId: PARENT },
      { shardId: CHILD, parentShardId: PARENT, adjacentParentShardId: SIBLING },
    ])
  })

  // A rebuild never guesses a shard's parents: a damaged manifest stops it, naming the object.
  it.each([
    ['is not JSON', '{"shardId":', 'not JSON'],
    ['names no shard', '{}', '0.shardId: expected string, got nothing'],
    [
      'names a parent that is not a shard id',
      '{"shardId":"s","parentShardId":3}',
      '1.parentShardId: expected string, got 3',
    ],
  ])('fail to read when a manifest %s, naming its key', async (_, body, reason) => {
    const store = memoryArchive()
    await store.put(`shards/${ARCHIVE_ID}/${PARENT}.json`, Buffer.from(body))
    await expect(archivedShards(store, ARCHIVE_ID)).rejects.toThrow(
      new Error(`archive shards/devStream/1793491200000/shardId-000000000000.json: ${reason}`),
    )
  })
})

describe('the status of an archive', () => {
  it('shows each shard with its parent, its records, and its newest record and when it arrived', async () => {
    const store = memoryArchive()
    await manifest(store, { shardId: PARENT })
    await archive(store, PARENT, [record('101')])
    await archive(store, PARENT, [record('102', 1764151201), record('103', 1764151202)])
    await manifest(store, { shardId: CHILD, parentShardId: PARENT })
    await archive(store, CHILD, [record('201', 1764151203.5), record('202', 1764151204.25)])
    // The handler writes a manifest before the batch: a failed put leaves a shard with none.
    await manifest(store, { shardId: SIBLING, parentShardId: PARENT })
    // Strict: a shard without a parent or without records shows no such field at all.
    expect(await archiveStatus(store, ARCHIVE_ID)).toStrictEqual([
      {
        shardId: PARENT,
        records: 3,
        lastSequenceNumber: '103',
        lastArrival: '2025-11-26T10:00:02.000Z',
      },
      {
        shardId: CHILD,
        parentShardId: PARENT,
        records: 2,
        lastSequenceNumber: '202',
        lastArrival: '2025-11-26T10:00:04.250Z',
      },
      { shardId: SIBLING, parentShardId: PARENT, records: 0 },
    ])
  })
})

describe('reading a shard', () => {
  it('yields each record once, and no empty batch for an object holding only records already read', async () => {
    const store = memoryArchive()
    await archive(store, PARENT, [record('101'), record('102')])
    // An object not named as a batch (a copy made by hand, say) has no range to be skipped by:
    // it is read, and what it repeats is dropped. Nothing else can leave a batch with nothing new.
    await store.put(
      `${PARENT_RECORDS}copy-1.jsonl.gz`,
      encodeBatch({ shardId: PARENT, records: [record('101'), record('102')] }),
    )
    await store.put(
      `${PARENT_RECORDS}copy-2.jsonl.gz`,
      encodeBatch({ shardId: PARENT, records: [record('102'), record('103')] }),
    )
    expect(await read(store, PARENT)).toEqual([['101', '102'], ['103']])
  })

  const three = encodeBatch({
    shardId: PARENT,
    records: [record('101'), record('102'), record('103')],
  })

  // The key is checked against the records: a reader that trusted a lying key would skip some.
  it.each([
    [
      'an object that is not a batch',
      '003.101-003.103.3.jsonl.gz',
      Buffer.from('plain'),
      'not gzip',
    ],
    [
      'a batch of another shard',
      '003.101-003.101.1.jsonl.gz',
      encodeBatch({ shardId: CHILD, records: [record('101')] }),
      'holds shard shardId-000000000001, not shardId-000000000000',
    ],
    [
      'a batch whose key names another first record',
      '003.100-003.103.3.jsonl.gz',
      three,
      'holds 3 records from 101 to 103, not what its key says',
    ],
    [
      'a batch whose key names another last record',
      '003.101-003.104.3.jsonl.gz',
      three,
      'holds 3 records from 101 to 103, not what its key says',
    ],
    [
      'a batch whose key names another count',
      '003.101-003.103.2.jsonl.gz',
      three,
      'holds 3 records from 101 to 103, not what its key says',
    ],
  ])('fails on %s, naming its key', async (_, name, bytes, reason) => {
    const store = memoryArchive()
    await store.put(`${PARENT_RECORDS}${name}`, bytes)
    await expect(read(store, PARENT)).rejects.toThrow(
      new Error(`archive records/devStream/1793491200000/shardId-000000000000/${name}: ${reason}`),
    )
  })
})
