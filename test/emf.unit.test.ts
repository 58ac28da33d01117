import { emfRecordOf, totalsEmfLogger } from '../src/runtime/emf'
import type { BatchSummary } from '../src/runtime/handler'

const summary: BatchSummary = {
  level: 'warn',
  message: 'batch',
  requestId: 'req-1',
  shardId: 'shardId-000000000001',
  firstSequenceNumber: '100',
  lastSequenceNumber: '199',
  records: 100,
  folded: 90,
  skipped: 4,
  rejected: 3,
  duplicates: 1,
  keys: 40,
  writes: 40,
  transactions: 2,
  retries: 1,
  refolds: 1,
  conflicts: 1,
  throttles: 0,
  failedFrom: '197',
  unfinishedBatches: 1,
  failure: 'ThrottlingException: slow down',
  durationMs: 250,
  newestRecordAgeMs: 1500,
  markFailure: null,
}

describe('the batch log line as an Embedded Metric Format record', () => {
  it('declares the counts as metrics of WinnerView, by service and stage, with the values on the line', () => {
    const record = emfRecordOf('winner-view', 'prod')(summary)
    expect(record._aws).toEqual({
      Timestamp: expect.any(Number),
      CloudWatchMetrics: [
        {
          Namespace: 'WinnerView',
          Dimensions: [['service', 'stage']],
          Metrics: [
            { Name: 'records', Unit: 'Count' },
            { Name: 'folded', Unit: 'Count' },
            { Name: 'writes', Unit: 'Count' },
            { Name: 'skipped', Unit: 'Count' },
            { Name: 'rejected', Unit: 'Count' },
            { Name: 'duplicates', Unit: 'Count' },
            { Name: 'retries', Unit: 'Count' },
            { Name: 'refolds', Unit: 'Count' },
            { Name: 'conflicts', Unit: 'Count' },
            { Name: 'throttles', Unit: 'Count' },
            { Name: 'unfinishedBatches', Unit: 'Count' },
            { Name: 'durationMs', Unit: 'Milliseconds' },
            { Name: 'newestRecordAgeMs', Unit: 'Milliseconds' },
          ],
        },
      ],
    })
    expect(record).toMatchObject({
      service: 'winner-view',
      stage: 'prod',
      records: 100,
      unfinishedBatches: 1,
      newestRecordAgeMs: 1500,
      shardId: 'shardId-000000000001',
      failedFrom: '197',
    })
  })

  it('never carries a dimension per shard or user, and starts each batch from nothing', () => {
    const recordOf = emfRecordOf('winner-view', 'dev')
    recordOf(summary)
    const second = recordOf({ ...summary, records: 7, newestRecordAgeMs: null })
    expect(second.records).toBe(7)
    const declared = (second._aws as { CloudWatchMetrics: Array<{ Metrics: unknown[] }> })
      .CloudWatchMetrics[0]?.Metrics
    expect(declared).toHaveLength(12)
    expect(JSON.stringify((second._aws as object) ?? {})).not.toContain('shardId')
  })
})

describe('the totals stage’s line', () => {
  it('declares its counts as metrics named totals…, by service and stage, with the values on the line', () => {
    const lines: string[] = []
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((text) => {
      lines.push(String(text))
      return true
    })
    totalsEmfLogger(
      'category-sales',
      'prod',
    )({
      level: 'info',
      message: 'totals',
      view: 'category-sales',
      records: 120,
      partials: 9,
      updates: 7,
      included: 2,
      resyncs: 0,
      failedFrom: null,
      failure: null,
      durationMs: 31,
      newestChangeAgeMs: 640,
    })
    write.mockRestore()
    expect(lines).toHaveLength(1)
    const record = JSON.parse(lines[0] ?? '{}')
    expect(record._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'WinnerView',
        Dimensions: [['service', 'stage']],
        Metrics: [
          { Name: 'totalsRecords', Unit: 'Count' },
          { Name: 'totalsUpdates', Unit: 'Count' },
          { Name: 'totalsIncluded', Unit: 'Count' },
          { Name: 'totalsResyncs', Unit: 'Count' },
          { Name: 'totalsDurationMs', Unit: 'Milliseconds' },
          { Name: 'totalsNewestChangeAgeMs', Unit: 'Milliseconds' },
        ],
      },
    ])
    expect(record).toMatchObject({
      service: 'category-sales',
      stage: 'prod',
      records: 120,
      totalsRecords: 120,
      totalsNewestChangeAgeMs: 640,
      partials: 9,
    })
  })
})
