import {
  type ArchiveStarts,
  gapsOf,
  type HandOver,
  leastFoldedOf,
  leavesStreamWithin,
  otherStartsOf,
  refuseGaps,
} from '../src/local/handOver'
import type { FreshnessMark } from '../src/runtime/marks'

const shard = (h: Omit<HandOver, 'shardId'>): HandOver => ({
  shardId: 'shardId-000000000001',
  ...h,
})

describe('the hand-over from the archive to the stream', () => {
  it.each([
    [
      'the stream still holds the last record archived',
      { archivedTo: '20', streamFrom: '20', finished: false },
    ],
    [
      'the stream holds records from before it',
      { archivedTo: '20', streamFrom: '7', finished: false },
    ],
    ['the archive read the closed shard to its end', { archivedTo: '20', finished: true }],
    ['the archive never read the shard', { streamFrom: '30', finished: false }],
  ])('goes ahead when %s', (_, h) => {
    expect(gapsOf([shard(h)])).toEqual([])
  })

  it.each([
    [
      'the stream starts after the last record archived',
      { archivedTo: '20', streamFrom: '21', finished: false },
    ],
    [
      'the stream holds none of the shard: what followed may have aged out',
      { archivedTo: '20', finished: false },
    ],
    [
      'a longer sequence number starts the stream',
      { archivedTo: '99', streamFrom: '100', finished: false },
    ],
  ])('refuses when %s', (_, h) => {
    expect(gapsOf([shard(h)])).toEqual([shard(h)])
  })
})

const mark = (
  shardId: string,
  firstSequenceNumber: string,
  sequenceNumber = '900',
): FreshnessMark => ({
  shardId,
  firstSequenceNumber,
  sequenceNumber,
  arrivedAtMs: 0,
})

// Shard 0 split into 1 and 2; 3 and 2 merged into 4. The archive holds records of all but 3.
const archive: ArchiveStarts = {
  shards: [
    { shardId: 's0' },
    { shardId: 's1', parentShardId: 's0' },
    { shardId: 's2', parentShardId: 's0' },
    { shardId: 's3' },
    { shardId: 's4', parentShardId: 's3', adjacentParentShardId: 's2' },
  ],
  firsts: new Map([
    ['s0', '100'],
    ['s1', '200'],
    ['s2', '210'],
    ['s3', undefined],
    ['s4', '300'],
  ]),
}

describe('what shows a version read the stream before the archive', () => {
  it('is nothing for marks that begin where the archive does, parents first, or before it', () => {
    expect(otherStartsOf([], archive)).toEqual([])
    expect(otherStartsOf([mark('s0', '100')], archive)).toEqual([])
    expect(
      otherStartsOf([mark('s0', '100'), mark('s1', '200'), mark('s2', '210')], archive),
    ).toEqual([])
    // The bucket let its first objects go since: the marks begin before what it holds.
    expect(otherStartsOf([mark('s0', '99')], archive)).toEqual([])
    // s4's parent s3 holds nothing: its other parent, s2, stands, and is marked.
    expect(
      otherStartsOf([mark('s0', '100'), mark('s2', '210'), mark('s4', '300')], archive),
    ).toEqual([])
  })

  it('is a shard begun after the archive’s first record, as numbers, not text', () => {
    expect(otherStartsOf([mark('s0', '101')], archive)).toEqual([
      "began s0 at 101, after the archive's first record 100",
    ])
    expect(otherStartsOf([mark('s0', '1000')], archive)).toEqual([
      "began s0 at 1000, after the archive's first record 100",
    ])
    expect(otherStartsOf([mark('s0', '99')], archive)).toEqual([])
  })

  it('is a shard the archive holds nothing of, or one marked while a parent the archive holds is not', () => {
    expect(otherStartsOf([mark('s3', '5')], archive)).toEqual([
      'began s3 at 5, of which the archive holds nothing',
    ])
    expect(otherStartsOf([mark('s9', '5')], archive)).toEqual([
      'began s9 at 5, of which the archive holds nothing',
    ])
    expect(otherStartsOf([mark('s1', '200')], archive)).toEqual([
      'marked s1 but not its parent s0, which the archive holds',
    ])
    // Through a parent that holds nothing (s3) the rule looks at its own parents; s2 is unmarked.
    expect(otherStartsOf([mark('s0', '100'), mark('s4', '300')], archive)).toEqual([
      'marked s4 but not its parent s2, which the archive holds',
    ])
  })
})

describe('where the least advanced view stands', () => {
  it('is each shard’s lowest mark as a number, finished where the replay read it to its end', () => {
    const folded = leastFoldedOf(
      [
        { view: 'a', marks: [mark('s0', '100', '150'), mark('s1', '200', '99999')] },
        { view: 'b', marks: [mark('s0', '100', '1000'), mark('s1', '200', '300')] },
      ],
      ['s0', 's1'],
      new Set(['s0']),
    )
    expect([...folded]).toEqual([
      ['s0', { sequenceNumber: '150', finished: true }],
      ['s1', { sequenceNumber: '300', finished: false }],
    ])
  })

  it('fails on a shard the archive holds that a view has not marked, naming both', () => {
    expect(() =>
      leastFoldedOf(
        [
          { view: 'a', marks: [mark('s0', '100')] },
          { view: 'b', marks: [] },
        ],
        ['s0'],
        new Set(),
      ),
    ).toThrow(
      new Error(
        'b marked nothing of s0, which the archive holds or another view folded: run the same rebuild again',
      ),
    )
    expect(() => leastFoldedOf([{ view: 'a', marks: [] }], ['s1'], new Set())).toThrow(
      'a marked nothing of s1',
    )
  })
})

describe('a record leaving the stream', () => {
  const hour = 3_600_000
  it('is within the margin once its age plus the margin reaches the retention, to the millisecond', () => {
    expect(leavesStreamWithin(0, 24 * hour, 24 * hour - 15 * 60_000, 15 * 60_000)).toBe(false)
    expect(leavesStreamWithin(0, 24 * hour, 24 * hour - 15 * 60_000 + 1, 15 * 60_000)).toBe(true)
    expect(leavesStreamWithin(1000, 24 * hour, 1000, 15 * 60_000)).toBe(false)
  })
})

describe('a refused hand-over', () => {
  it('names every shard with a gap, with where the archive and the stream stand', () => {
    expect(() =>
      refuseGaps([
        shard({ archivedTo: '20', streamFrom: '21', finished: false }),
        { shardId: 'shardId-000000000002', archivedTo: '5', finished: false },
        { shardId: 'shardId-000000000003', archivedTo: '5', streamFrom: '1', finished: false },
      ]),
    ).toThrow(
      new Error(
        'the stream no longer holds what follows the archive on shardId-000000000001 (archived to 20, the stream starts at 21), shardId-000000000002 (archived to 5, the stream holds none of it): handing over would skip records',
      ),
    )
  })

  it('is none where no shard has a gap', () => {
    expect(
      refuseGaps([shard({ archivedTo: '20', streamFrom: '20', finished: false })]),
    ).toBeUndefined()
  })
})

describe('the marks of a merge', () => {
  it('name both parents the view has not marked', () => {
    const merged: ArchiveStarts = {
      shards: [
        { shardId: 'a' },
        { shardId: 'b' },
        { shardId: 'c', parentShardId: 'a', adjacentParentShardId: 'b' },
      ],
      firsts: new Map([
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
      ]),
    }
    expect(otherStartsOf([mark('c', '3')], merged)).toEqual([
      'marked c but not its parent a or b, which the archive holds',
    ])
  })

  it('fail where several views marked nothing of a shard, naming them all', () => {
    expect(() =>
      leastFoldedOf(
        [
          { view: 'a', marks: [] },
          { view: 'b', marks: [] },
        ],
        ['s0'],
        new Set(),
      ),
    ).toThrow(
      new Error(
        'a, b marked nothing of s0, which the archive holds or another view folded: run the same rebuild again',
      ),
    )
  })
})
