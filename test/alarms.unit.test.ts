import {
  type AlarmRule,
  type Datapoint,
  evaluateAlarm,
  firstAlarm,
  firstAllInAlarm,
} from '../src/ops/alarmEvaluator'
import {
  type AlarmInput,
  type AlarmSpec,
  type AnyAlarmSpec,
  alarmResource,
  archiveAlarms,
  isComposite,
  ruleOf,
  stackAlarms,
  totalsAlarms,
  viewAlarms,
} from '../src/ops/alarms'

// The deployed alarms against the metrics AWS would emit, on CloudWatch's documented
// rules: every way a shard can stop pages within 10 minutes, the tickets say what to look
// at, and a healthy hour, busy or idle, raises nothing.

const MINUTE = 60
const FAULT = 20 * MINUTE
const END = 2 * 60 * MINUTE

describe('the alarm evaluator, on CloudWatch’s rules', () => {
  const rule = (over: Partial<AlarmRule> = {}): AlarmRule => ({
    inputs: [{ id: 'm', statistic: 'Sum' }],
    period: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    threshold: 0,
    comparison: 'GreaterThanThreshold',
    treatMissingData: 'missing',
    ...over,
  })
  const points = (values: ReadonlyArray<number | undefined>): Datapoint[] =>
    values.flatMap((value, minute) => (value === undefined ? [] : [{ at: minute * 60 + 5, value }]))
  const states = (r: AlarmRule, values: ReadonlyArray<number | undefined>) =>
    evaluateAlarm(r, { m: points(values) }, 0, values.length * 60).map((s) => s.state)

  it('alarms when M of the last N periods breach, and returns to OK when fewer do', () => {
    expect(states(rule(), [1, 0, 1, 0, 0])).toEqual(['OK', 'OK', 'ALARM', 'OK', 'OK'])
  })

  it('sums the datapoints of a period, and takes the maximum for Maximum', () => {
    const twice = {
      m: [
        { at: 10, value: 2 },
        { at: 20, value: 3 },
      ],
    }
    const sum = rule({ threshold: 4, datapointsToAlarm: 1, evaluationPeriods: 1 })
    expect(evaluateAlarm(sum, twice, 0, 60)).toEqual([{ at: 60, state: 'ALARM' }])
    const max = { ...sum, inputs: [{ id: 'm', statistic: 'Maximum' as const }] }
    expect(evaluateAlarm(max, twice, 0, 60)).toEqual([{ at: 60, state: 'OK' }])
  })

  it('counts a missing period as breaching, not breaching, or not at all, as TreatMissingData says', () => {
    const gaps = [1, undefined, undefined]
    expect(states(rule({ treatMissingData: 'breaching' }), gaps).at(-1)).toBe('ALARM')
    expect(states(rule({ treatMissingData: 'notBreaching' }), gaps).at(-1)).toBe('OK')
    expect(states(rule({ treatMissingData: 'missing' }), gaps).at(-1)).toBe('OK')
  })

  it('goes to INSUFFICIENT_DATA with nothing to judge, unless missing data is ignored', () => {
    expect(states(rule(), [undefined, undefined])).toEqual([
      'INSUFFICIENT_DATA',
      'INSUFFICIENT_DATA',
    ])
    const ignoring = rule({
      treatMissingData: 'ignore',
      datapointsToAlarm: 1,
      evaluationPeriods: 1,
    })
    expect(states(ignoring, [1, undefined, undefined])).toEqual(['ALARM', 'ALARM', 'ALARM'])
  })
})

/**
 * The metrics one view, its totals stage, the archive and the stream emit, keyed
 * `namespace/metric` (`totals:namespace/metric` for the totals function's own,
 * `archive:namespace/metric` for the archive's), minute by minute.
 */
type Emitted = Record<string, Datapoint[]>

/** What a busy, healthy minute emits: 1,000 records a second in, polled, folded, no trouble. */
const busyMinute = (): Record<string, number[]> => ({
  'AWS/Kinesis/IncomingRecords': [60_000],
  'AWS/Kinesis/ReadProvisionedThroughputExceeded': [0],
  'AWS/Lambda/PolledEventCount': [60_000],
  'AWS/Lambda/Invocations': [120],
  'AWS/Lambda/Errors': [0],
  'AWS/Lambda/Throttles': [0],
  'AWS/Lambda/IteratorAge': [700, 900],
  'AWS/Lambda/Duration': [250, 400],
  'AWS/SQS/ApproximateNumberOfMessagesVisible': [0],
  // The view's EMF line, one per batch (a few shown): every count, zero when nothing happened.
  ...Object.fromEntries(
    ['unfinishedBatches', 'rejected', 'duplicates', 'conflicts', 'throttles'].map((name) => [
      `WinnerView/${name}`,
      [0, 0, 0],
    ]),
  ),
  // Keys written, each in a transaction that writes the view's partials.
  'WinnerView/writes': [9_000, 9_000, 9_000],
  // The totals stage, a batch a second: a few hundred ms behind, about 1 to 2 s as its
  // line measures it (the stream's times are rounded down to the second).
  'totals:AWS/Lambda/PolledEventCount': [30_000],
  'totals:AWS/Lambda/Errors': [0],
  'totals:AWS/Lambda/IteratorAge': [400, 900],
  'WinnerView/totalsNewestChangeAgeMs': [1_100, 1_900, 2_400],
  // The archive polls what arrives and invokes when a batch is full or a minute old: it
  // trails by one to two minutes, as its batching window means it to.
  'archive:AWS/Lambda/PolledEventCount': [60_000],
  'archive:AWS/Lambda/Errors': [0],
  'archive:AWS/Lambda/IteratorAge': [60_000, 120_000],
})

/** The archive's part of a minute: it reads the stream on a mapping of its own, whatever the views do. */
const archivePart = (minute: Record<string, number[]>) =>
  Object.fromEntries(Object.entries(minute).filter(([key]) => key.startsWith('archive:')))

/** A minute without the archive's part: its mapping polls nothing, invokes nothing. */
const silentArchive = (minute: Record<string, number[]>) =>
  Object.fromEntries(Object.entries(minute).filter(([key]) => !key.startsWith('archive:')))

/** An idle minute: nothing arrives, nothing is invoked; only the queue reports its zero. */
const idleMinute = (): Record<string, number[]> => ({
  'AWS/SQS/ApproximateNumberOfMessagesVisible': [0],
  'AWS/Kinesis/ReadProvisionedThroughputExceeded': [0],
})

/** Two hours of minutes, each from `minuteOf` (minutes counted from the start). */
const timeline = (minuteOf: (minute: number) => Record<string, number[]>): Emitted => {
  const emitted: Emitted = {}
  for (let minute = 0; minute * MINUTE < END; minute += 1) {
    for (const [key, values] of Object.entries(minuteOf(minute))) {
      const series = emitted[key] ?? []
      values.forEach((value, at) => {
        series.push({ at: minute * MINUTE + 1 + at, value })
      })
      emitted[key] = series
    }
  }
  return emitted
}

/** A busy stream whose minutes from the fault on are changed by `fault` (minutes since it began). */
const faulty = (
  fault: (since: number, healthy: Record<string, number[]>) => Record<string, number[]>,
) =>
  timeline((minute) =>
    minute * MINUTE < FAULT ? busyMinute() : fault(minute - FAULT / MINUTE, busyMinute()),
  )

const SETTINGS = {
  iteratorAgeAlarmMs: 600_000,
  unfinishedBatchMinutes: 5,
  conflictsPerFiveMinutes: 100,
  functionTimeoutMs: 60_000,
  reserveMs: 19_000,
}
const TOTALS_FN = 'totals-fn'
const TOTALS_MAPPING = 'totals-uuid'
const TOTALS = totalsAlarms(
  { functionName: TOTALS_FN, mappingId: TOTALS_MAPPING, service: 'winner-view', stage: 'prod' },
  { totalsIteratorAgeAlarmMs: 60_000 },
)
const ARCHIVE_FN = 'archive-fn'
const ARCHIVE_MAPPING = 'archive-uuid'
const ARCHIVE = archiveAlarms(
  { functionName: ARCHIVE_FN, mappingId: ARCHIVE_MAPPING, streamName: 'stream' },
  { archiveIteratorAgeAlarmMs: 3_600_000 },
)
const ALARMS: AnyAlarmSpec[] = [
  ...viewAlarms(
    {
      functionName: 'fn',
      mappingId: 'uuid',
      queueName: 'queue',
      streamName: 'stream',
      service: 'winner-view',
      stage: 'prod',
    },
    SETTINGS,
  ),
  ...TOTALS,
  ...ARCHIVE,
  ...stackAlarms('stream', ['pages']),
]

const reads = (input: AlarmInput, ...values: string[]) =>
  input.dimensions.some((d) => values.includes(String(d.Value)))

/** Whose metric an input is: the totals stage's, the archive's, or the view's and the stream's. */
const ownerOf = (input: AlarmInput) => {
  if (reads(input, TOTALS_FN, TOTALS_MAPPING)) return 'totals:'
  if (reads(input, ARCHIVE_FN, ARCHIVE_MAPPING)) return 'archive:'
  return ''
}

/** Where an input's datapoints are in what was emitted: the totals' and the archive's apart. */
const keyOf = (input: AlarmInput) => `${ownerOf(input)}${input.namespace}/${input.metricName}`

/** The series an alarm reads, by its inputs' ids, from what was emitted. */
const seriesOf = (spec: AlarmSpec, emitted: Emitted) =>
  Object.fromEntries(spec.inputs.map((input) => [input.id, emitted[keyOf(input)] ?? []]))

/** Each alarm that notifies (a composite's children do not) in the two hours, with the minutes from the fault to it. */
const fired = (emitted: Emitted): Record<string, number> => {
  const firing: Record<string, number> = {}
  for (const spec of ALARMS) {
    const at = isComposite(spec)
      ? firstAllInAlarm(
          spec.children.map((child) => ({ rule: ruleOf(child), series: seriesOf(child, emitted) })),
          0,
          END,
        )
      : firstAlarm(ruleOf(spec), seriesOf(spec, emitted), 0, END)
    if (at !== undefined) firing[spec.name] = (at - FAULT) / MINUTE
  }
  return firing
}

const severityOf = (name: string) => ALARMS.find((a) => a.name === name)?.severity

describe('the deployed alarms, fed what AWS would emit', () => {
  it('raise nothing in a healthy busy hour, nor in an idle one', () => {
    expect(fired(timeline(busyMinute))).toEqual({})
    expect(fired(timeline(idleMinute))).toEqual({})
  })

  it('page within 5 minutes when the mapping stops invoking while records arrive', () => {
    // Disabled, deleted, or failing on a KMS key or a permission: Lambda emits nothing for
    // the view, while the archive's own mapping reads on.
    const stopped = faulty((_, healthy) => ({
      ...archivePart(healthy),
      'AWS/Kinesis/IncomingRecords': [60_000],
      'AWS/SQS/ApproximateNumberOfMessagesVisible': [0],
    }))
    // Nothing written, so no partial changed: the totals mapping polling none is no fault.
    expect(fired(stopped)).toEqual({ stalled: 5 })
    expect(severityOf('stalled')).toBe('page')
  })

  it('page within 3 minutes when a record crashes the function, and again as the age grows', () => {
    // Lambda retries and bisects the failing batch: errors every minute, the shard held.
    const poisoned = faulty((since, healthy) => ({
      ...healthy,
      'AWS/Lambda/PolledEventCount': [500],
      'AWS/Lambda/Errors': [4],
      'AWS/Lambda/IteratorAge': [(since + 1) * 60_000],
      'WinnerView/unfinishedBatches': [],
    }))
    // The oldest record passes 10 minutes in the 11th minute; three such minutes alarm.
    expect(fired(poisoned)).toEqual({ errors: 3, 'iterator-age': 13 })
  })

  it('page within 5 minutes when a table throttles beyond the retries, with a ticket for the throttling', () => {
    const throttled = faulty((since, healthy) => ({
      ...healthy,
      'WinnerView/unfinishedBatches': [1, 1],
      'WinnerView/throttles': [6, 6],
      'AWS/Lambda/IteratorAge': [(since + 1) * 60_000],
    }))
    expect(fired(throttled)).toEqual({
      'unfinished-batches': 5,
      'table-throttles': 5,
      'iterator-age': 13,
    })
  })

  it('page at once when Lambda skips a batch (a finite maximumRetryAttempts)', () => {
    const skipped = faulty((_, healthy) => ({
      ...healthy,
      'AWS/SQS/ApproximateNumberOfMessagesVisible': [1],
    }))
    expect(fired(skipped)).toEqual({ 'failed-batches': 1 })
  })

  it('open a ticket within 3 minutes when batches come near the function’s timeout', () => {
    // A batch can use 41 s of the 60 (the reserve is 19 s): 36 s is most of it.
    const slow = faulty((_, healthy) => ({ ...healthy, 'AWS/Lambda/Duration': [30_000, 36_000] }))
    expect(fired(slow)).toEqual({ 'near-timeout': 3 })
    expect(severityOf('near-timeout')).toBe('ticket')
  })

  it('open tickets within 5 minutes for read throttling, conflicts and failed alarm deliveries', () => {
    expect(
      fired(
        faulty((_, healthy) => ({
          ...healthy,
          'AWS/Kinesis/ReadProvisionedThroughputExceeded': [50],
        })),
      ),
    ).toEqual({ 'read-throttles': 5 })
    expect(
      fired(faulty((_, healthy) => ({ ...healthy, 'WinnerView/conflicts': [20, 20, 20] }))),
    ).toEqual({ conflicts: 5 })
    expect(
      fired(
        faulty((since, healthy) => ({
          ...healthy,
          ...(since === 0 ? { 'AWS/SNS/NumberOfNotificationsFailed': [1] } : {}),
        })),
      ),
    ).toEqual({ 'page-deliveries': 5 })
  })

  it('open a ticket for rejected records, but not for fan-out duplicates alone', () => {
    const rejecting = faulty((_, healthy) => ({ ...healthy, 'WinnerView/rejected': [1, 2] }))
    expect(fired(rejecting)).toEqual({ rejected: 5 })
    const duplicated = faulty((_, healthy) => ({
      ...healthy,
      'WinnerView/rejected': [1, 2],
      'WinnerView/duplicates': [1, 2],
    }))
    expect(fired(duplicated)).toEqual({})
  })

  it('page within 3 minutes when a change crashes the totals stage, and within 4 as it falls a minute behind', () => {
    // Retried forever and bisected: the totals function fails every minute, its age grows.
    const crashing = faulty((since, healthy) => ({
      ...healthy,
      'totals:AWS/Lambda/Errors': [3],
      'totals:AWS/Lambda/IteratorAge': [(since + 1) * 60_000],
      // A crashed batch writes no line.
      'WinnerView/totalsNewestChangeAgeMs': [],
    }))
    expect(fired(crashing)).toEqual({ 'totals-errors': 3, 'totals-iterator-age': 4 })
  })

  it('page within 4 minutes when DynamoDB keeps refusing the totals’ updates, with a ticket for the lag', () => {
    // Refused updates are the batch's reported failures, not errors: the same changes again and again.
    const refused = faulty((since, healthy) => ({
      ...healthy,
      'totals:AWS/Lambda/IteratorAge': [(since + 1) * 60_000],
      'WinnerView/totalsNewestChangeAgeMs': [(since + 1) * 60_000],
    }))
    expect(fired(refused)).toEqual({ 'totals-iterator-age': 4, 'totals-lag': 15 })
  })

  it('open only a ticket when the totals trail by seconds for a quarter of an hour, and nothing for a burst', () => {
    const slow = faulty((_, healthy) => ({
      ...healthy,
      'totals:AWS/Lambda/IteratorAge': [6_000, 7_000],
      'WinnerView/totalsNewestChangeAgeMs': [7_000, 8_000],
    }))
    expect(fired(slow)).toEqual({ 'totals-lag': 15 })
    expect(severityOf('totals-lag')).toBe('ticket')
    // A catch-up of ten minutes: 40 s behind, then back.
    const burst = faulty((since, healthy) =>
      since < 10
        ? {
            ...healthy,
            'totals:AWS/Lambda/IteratorAge': [40_000],
            'WinnerView/totalsNewestChangeAgeMs': [40_000],
          }
        : healthy,
    )
    expect(fired(burst)).toEqual({})
  })

  /** A busy minute in which the totals stage emits nothing: no poll, no invocation, no line. */
  const silentTotals = (healthy: Record<string, number[]>) => {
    const {
      'totals:AWS/Lambda/PolledEventCount': _polled,
      'totals:AWS/Lambda/Errors': _errors,
      'totals:AWS/Lambda/IteratorAge': _age,
      'WinnerView/totalsNewestChangeAgeMs': _lag,
      ...rest
    } = healthy
    return rest
  }

  it('leaves a quiet totals stage alone: records arrive, none writes a partial, no change, no datapoint', () => {
    // Records of other kinds, or a replay of records folded before: the view writes nothing.
    const quietTotals = faulty((_, healthy) => ({
      ...silentTotals(healthy),
      'WinnerView/writes': [0, 0, 0],
    }))
    expect(fired(quietTotals)).toEqual({})
  })

  it('page within 5 minutes when the totals mapping stops invoking while the view writes its partials', () => {
    // Disabled, deleted, or failing on the table's KMS key or a permission: no age, no error.
    const totalsStopped = faulty((_, healthy) => silentTotals(healthy))
    expect(fired(totalsStopped)).toEqual({ 'totals-stalled': 5 })
    expect(severityOf('totals-stalled')).toBe('page')
  })

  it('raise nothing when a busy view goes idle: nothing written, nothing for the totals to move', () => {
    expect(fired(faulty(() => idleMinute()))).toEqual({})
  })

  it('page once for a view that stopped, and for its totals mapping only once the view writes again', () => {
    // Both mappings stop; the view's is restarted after 10 minutes, the totals' is not.
    const both = faulty((since, healthy) =>
      since < 10
        ? {
            ...archivePart(healthy),
            'AWS/Kinesis/IncomingRecords': [60_000],
            'AWS/SQS/ApproximateNumberOfMessagesVisible': [0],
          }
        : silentTotals(healthy),
    )
    expect(fired(both)).toEqual({ stalled: 5, 'totals-stalled': 15 })
  })

  it('page within 5 minutes when the archive’s mapping stops while records arrive, and for nothing else', () => {
    // Disabled, deleted, or failing on a key or a permission: the archive's Lambda emits
    // nothing, no error, no age; the views fold on.
    const archiveStopped = faulty((_, healthy) => silentArchive(healthy))
    expect(fired(archiveStopped)).toEqual({ 'archive-stalled': 5 })
    expect(severityOf('archive-stalled')).toBe('page')
  })

  it('raise nothing while the archive trails by its batching window, nor for a catch-up of half an hour', () => {
    const window = timeline((minute) => ({
      ...busyMinute(),
      'archive:AWS/Lambda/IteratorAge': minute % 2 === 0 ? [60_000, 120_000] : [120_000],
    }))
    expect(fired(window)).toEqual({})
    // Restarted after a pause: it reads half an hour back, then catches up.
    const catchUp = faulty((since, healthy) =>
      since < 15 ? { ...healthy, 'archive:AWS/Lambda/IteratorAge': [1_800_000] } : healthy,
    )
    expect(fired(catchUp)).toEqual({})
  })

  it('page within 3 minutes when the archive keeps failing, and again once it is an hour behind', () => {
    // S3 refuses the put (a key, a permission): the handler throws, Lambda retries and
    // bisects the batch forever, reading it again; the shard's archive stands still.
    const failing = faulty((since, healthy) => ({
      ...healthy,
      'archive:AWS/Lambda/PolledEventCount': [10_000],
      'archive:AWS/Lambda/Errors': [2],
      'archive:AWS/Lambda/IteratorAge': [(since + 2) * 60_000],
    }))
    // The oldest record passes an hour in the 59th minute; three such minutes alarm, with
    // 23 of the stream's 24 hours left before a record is lost to the archive.
    expect(fired(failing)).toEqual({ 'archive-errors': 3, 'archive-iterator-age': 62 })
  })

  it('page only for a shard that stopped, sales skipped, totals or the archive stopped or far behind; everything else is a ticket', () => {
    expect(ALARMS.filter((a) => a.severity === 'page').map((a) => a.name)).toEqual([
      'stalled',
      'iterator-age',
      'errors',
      'unfinished-batches',
      'failed-batches',
      'totals-stalled',
      'totals-errors',
      'totals-iterator-age',
      'archive-stalled',
      'archive-errors',
      'archive-iterator-age',
    ])
  })
})

describe('the archive’s alarms, as CloudFormation takes them', () => {
  const [errors, age] = ARCHIVE.filter((spec): spec is AlarmSpec => !isComposite(spec)).map(
    (spec) => alarmResource(spec, `winner-view-prod-${spec.name}`, 'topic'),
  )

  it('page on the archive function’s errors, any in 3 minutes in a row', () => {
    expect(errors?.Properties).toMatchObject({
      AlarmName: 'winner-view-prod-archive-errors',
      AlarmDescription: expect.stringMatching(/^\[page\] The archive keeps failing/),
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: ARCHIVE_FN }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    })
  })

  it('page on the archive mapping’s iterator age over archiveIteratorAgeAlarmMs, 3 minutes in a row, a quiet minute not breaching', () => {
    expect(age?.Properties).toEqual({
      AlarmName: 'winner-view-prod-archive-iterator-age',
      AlarmDescription: expect.stringMatching(/^\[page\] The archive is far behind the stream/),
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: ARCHIVE_FN }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 3_600_000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: ['topic'],
      OKActions: ['topic'],
    })
  })

  it('leave out archive-stalled when the stage leaves the archive’s mapping out', () => {
    const without = archiveAlarms(
      { functionName: ARCHIVE_FN, streamName: 'stream' },
      { archiveIteratorAgeAlarmMs: 3_600_000 },
    )
    expect(without.map((spec) => spec.name)).toEqual(['archive-errors', 'archive-iterator-age'])
  })

  it('say why each is set so', () => {
    for (const spec of ARCHIVE) expect(spec.why.length).toBeGreaterThan(80)
  })
})

describe('the totals stage’s alarms, as CloudFormation takes them', () => {
  const [errors, age, lag] = TOTALS.filter((spec): spec is AlarmSpec => !isComposite(spec)).map(
    (spec) => alarmResource(spec, `winner-view-prod-${spec.name}`, 'topic'),
  )

  it('page on the totals function’s errors, any in 3 minutes in a row', () => {
    expect(errors?.Properties).toEqual({
      AlarmName: 'winner-view-prod-totals-errors',
      AlarmDescription: expect.stringMatching(/^\[page\] The totals stage keeps failing/),
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: TOTALS_FN }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: ['topic'],
      OKActions: ['topic'],
    })
  })

  it('page on the totals mapping’s iterator age over totalsIteratorAgeAlarmMs, 3 minutes in a row, a quiet minute not breaching', () => {
    expect(age?.Properties).toMatchObject({
      AlarmName: 'winner-view-prod-totals-iterator-age',
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: TOTALS_FN }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 60_000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    })
  })

  it('open a ticket on the p99 of totalsNewestChangeAgeMs above 5 s, three 5-minute periods in a row, as an extended statistic', () => {
    expect(lag?.Properties).toMatchObject({
      AlarmName: 'winner-view-prod-totals-lag',
      Namespace: 'WinnerView',
      MetricName: 'totalsNewestChangeAgeMs',
      Dimensions: [
        { Name: 'service', Value: 'winner-view' },
        { Name: 'stage', Value: 'prod' },
      ],
      ExtendedStatistic: 'p99',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 5_000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    })
    expect(lag?.Properties).not.toHaveProperty('Statistic')
  })

  it('say why each is set so', () => {
    for (const spec of TOTALS) expect(spec.why.length).toBeGreaterThan(80)
  })
})
