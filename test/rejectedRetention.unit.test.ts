import { EXPIRES_AT, expiringRejectedItems, REJECTED_DATA_PER_ITEM } from '../src/runtime/items'
import { rejectedRetentionFromEnv } from '../src/runtime/tables'

// A retention for Rejected: each item carries when DynamoDB's time to live may delete it.

const record = (data: string) => ({
  eventId: 'shardId-000000000000:1',
  shardId: 'shardId-000000000000',
  sequenceNumber: '1',
  partitionKey: 'p1',
  data,
  reason: 'data: not JSON',
})

// 2026-12-07T00:00:00Z
const NOW = Date.UTC(2026, 11, 7)

describe('Rejected items with a retention', () => {
  it('carry the epoch second their retention ends', () => {
    expect(expiringRejectedItems(record('eA=='), 30, NOW)).toEqual([
      { ...record('eA=='), [EXPIRES_AT]: 1_799_193_600 },
    ])
  })

  it('carry it on every part of a record split over several items', () => {
    const items = expiringRejectedItems(record('x'.repeat(REJECTED_DATA_PER_ITEM + 1)), 1, NOW)
    expect(items).toHaveLength(2)
    expect(items.map((item) => item[EXPIRES_AT])).toEqual([1_796_688_000, 1_796_688_000])
  })

  it('carry nothing without a retention', () => {
    expect(expiringRejectedItems(record('eA=='), undefined, NOW)).toEqual([record('eA==')])
  })
})

describe('the retention the environment sets', () => {
  it('is a number of days, or none', () => {
    expect(rejectedRetentionFromEnv({ REJECTED_RETENTION_DAYS: '90' })).toBe(90)
    expect(rejectedRetentionFromEnv({ REJECTED_RETENTION_DAYS: 'none' })).toBeUndefined()
    expect(rejectedRetentionFromEnv({})).toBeUndefined()
  })

  it('fails loudly on anything else, rather than keep records for a wrong time', () => {
    expect(() => rejectedRetentionFromEnv({ REJECTED_RETENTION_DAYS: 'ninety' })).toThrow(
      'REJECTED_RETENTION_DAYS is "ninety": expected a number of days, or none',
    )
    expect(() => rejectedRetentionFromEnv({ REJECTED_RETENTION_DAYS: '-1' })).toThrow()
  })
})
