import { gapsOf, type HandOver } from '../src/local/rebuild'

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
