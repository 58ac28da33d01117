import type { AlarmRule, Statistic } from './alarmEvaluator'

/**
 * The deployed alarms, as data: each says what it watches, how CloudWatch judges it, who
 * hears of it (a page: sales are not being counted; a ticket: someone should look), and
 * why it is set so. `deploy/views.js` renders them into the template; the alarm
 * evaluator's scenarios (test/alarms.unit.test.ts) feed them the metrics AWS would emit.
 */

/** A CloudFormation value: a literal or an intrinsic function. */
export type Cfn = unknown

/** A percentile: CloudFormation's ExtendedStatistic. */
export type Percentile = 'p99'

/** One metric an alarm reads. */
export interface AlarmInput {
  readonly id: string
  readonly namespace: string
  readonly metricName: string
  readonly dimensions: ReadonlyArray<{ readonly Name: string; readonly Value: Cfn }>
  readonly statistic: Statistic | Percentile
}

/** How CloudWatch judges an alarm: the same fields the evaluator reads. */
type Judging = Omit<AlarmRule, 'inputs' | 'expression'>

export interface AlarmSpec extends Judging {
  /** The alarm's name after `winner-view-<stage>-<view label>`. */
  readonly name: string
  readonly severity: 'page' | 'ticket'
  readonly description: string
  /** Why its statistic, period, datapoints and missing-data treatment: the README's table. */
  readonly why: string
  readonly inputs: ReadonlyArray<AlarmInput>
  /** A metric math alarm: CloudWatch's expression, and the same on one period's values. */
  readonly expression?: {
    readonly text: string
    readonly evaluate: NonNullable<AlarmRule['expression']>
  }
}

/**
 * An alarm in ALARM when all its children are (a CloudWatch composite alarm): it alone
 * notifies; its children, named after it, notify no one.
 */
export interface CompositeSpec {
  readonly name: string
  readonly severity: 'page' | 'ticket'
  readonly description: string
  readonly why: string
  readonly children: ReadonlyArray<AlarmSpec>
}

export type AnyAlarmSpec = AlarmSpec | CompositeSpec

export const isComposite = (spec: AnyAlarmSpec): spec is CompositeSpec => 'children' in spec

/** Where a view's metrics live in one deployment. */
export interface AlarmTargets {
  /** `Ref` of the view's function, mapping and failed-batches queue name. */
  readonly functionName: Cfn
  /** Absent when the stage leaves the view's mapping out (`withoutMapping`). */
  readonly mappingId?: Cfn
  readonly queueName: Cfn
  readonly streamName: Cfn
  readonly service: string
  readonly stage: string
}

/** The figures a stage may set (serverless.yml's params). */
export interface AlarmSettings {
  readonly iteratorAgeAlarmMs: number
  readonly unfinishedBatchMinutes: number
  readonly conflictsPerFiveMinutes: number
  readonly functionTimeoutMs: number
  /** The handler's time reserve: no transaction starts with less left (DEFAULT_RESERVE_MS). */
  readonly reserveMs: number
}

/** Where a view's totals stage's metrics live in one deployment. */
export interface TotalsTargets {
  /** `Ref` of the totals function. */
  readonly functionName: Cfn
  /** `Ref` of the totals mapping on the partials' stream: never left out of a stage. */
  readonly mappingId: Cfn
  readonly service: string
  readonly stage: string
}

/** The figures a stage may set for the totals stages (serverless.yml's params). */
export interface TotalsAlarmSettings {
  readonly totalsIteratorAgeAlarmMs: number
}

/** Where the archive's metrics live in one deployment. */
export interface ArchiveTargets {
  /** `Ref` of the archive's function. */
  readonly functionName: Cfn
  /** `Ref` of its mapping; absent when the stage leaves it out (`withoutMapping`). */
  readonly mappingId?: Cfn
  readonly streamName: Cfn
}

/** The figures a stage may set for the archive (serverless.yml's params). */
export interface ArchiveAlarmSettings {
  readonly archiveIteratorAgeAlarmMs: number
}

/** One metric of a namespace, by its one dimension, with the statistic an alarm takes. */
const metricInput = (
  id: string,
  namespace: string,
  metricName: string,
  [name, value]: [string, Cfn],
  statistic: Statistic | Percentile,
): AlarmInput => ({
  id,
  namespace,
  metricName,
  dimensions: [{ Name: name, Value: value }],
  statistic,
})

const lambda = (
  t: Pick<AlarmTargets, 'functionName'>,
  id: string,
  metricName: string,
  statistic: Statistic,
) => ({
  id,
  namespace: 'AWS/Lambda',
  metricName,
  dimensions: [{ Name: 'FunctionName', Value: t.functionName }],
  statistic,
})

const view = (t: Pick<AlarmTargets, 'service' | 'stage'>, id: string, metricName: string) => ({
  id,
  namespace: 'WinnerView',
  metricName,
  dimensions: [
    { Name: 'service', Value: t.service },
    { Name: 'stage', Value: t.stage },
  ],
  statistic: 'Sum' as const,
})

/** One metric over periods of a minute, judged `n` of `n`, an empty minute not breaching. */
const minutes = (n: number) => ({
  period: 60,
  evaluationPeriods: n,
  datapointsToAlarm: n,
  treatMissingData: 'notBreaching' as const,
})

const filled = (value: number | undefined) => value ?? 0

/**
 * A mapping that polls no record (its MetricsConfig's PolledEventCount below 1), five
 * minutes in a row, a minute with no datapoint counting as none polled: a part of a
 * stalled alarm, which notifies.
 */
const polledNone = (name: string, description: string, mappingId: Cfn): AlarmSpec => ({
  name,
  severity: 'page',
  description,
  why: '',
  inputs: [
    metricInput(
      'polled',
      'AWS/Lambda',
      'PolledEventCount',
      ['EventSourceMappingUUID', mappingId],
      'Sum',
    ),
  ],
  ...minutes(5),
  treatMissingData: 'breaching',
  threshold: 1,
  comparison: 'LessThanThreshold',
})

/**
 * Records arrive on the stream (Kinesis IncomingRecords above 0), five minutes in a row:
 * a part of a stalled alarm, which notifies.
 */
const recordsArrive = (name: string, description: string, streamName: Cfn): AlarmSpec => ({
  name,
  severity: 'page',
  description,
  why: '',
  inputs: [
    metricInput('incoming', 'AWS/Kinesis', 'IncomingRecords', ['StreamName', streamName], 'Sum'),
  ],
  ...minutes(5),
  threshold: 0,
  comparison: 'GreaterThanThreshold',
})

/** Records arrive on the stream and the mapping polls none: it stopped without a sound. */
const stalled = (t: AlarmTargets, mappingId: Cfn): CompositeSpec => ({
  name: 'stalled',
  severity: 'page',
  description:
    'Records arrive on the stream but the mapping polls none: it is disabled, deleted or failing (a KMS key, a permission). See the README runbook.',
  why: 'IteratorAge is emitted only when the function is invoked, so a mapping that stops is silent there. A composite of two alarms: the stream counts what arrives (IncomingRecords above 0, five minutes in a row) and the mapping what it polls (PolledEventCount, from MetricsConfig, below 1 five minutes in a row, a minute with no datapoint counting as none polled, so a mapping gone silent altogether still counts). Records in and none polled is a stop, not a pause; a quiet stream raises nothing',
  children: [
    recordsArrive(
      'stalled-incoming',
      'Records arrive on the stream (a part of the stalled alarm, which notifies).',
      t.streamName,
    ),
    polledNone(
      'stalled-polled',
      'The mapping polls no record (a part of the stalled alarm, which notifies).',
      mappingId,
    ),
  ],
})

/** A shard far behind, though moving. */
const iteratorAge = (t: AlarmTargets, settings: AlarmSettings): AlarmSpec => ({
  name: 'iterator-age',
  severity: 'page',
  description:
    'The oldest unprocessed record is old: a shard is far behind. See the README runbook.',
  why: 'Maximum over each minute, three minutes in a row over the threshold: a shard that is slow but moving. A stop is caught by stalled, errors or unfinished-batches, since this metric goes silent with the invocations; raise the threshold on a stage that catches up from far behind',
  inputs: [lambda(t, 'age', 'IteratorAge', 'Maximum')],
  ...minutes(3),
  threshold: settings.iteratorAgeAlarmMs,
  comparison: 'GreaterThanThreshold',
})

/** The function keeps failing: a poison record that crashes it, an error at load. */
const errors = (t: Pick<AlarmTargets, 'functionName'>): AlarmSpec => ({
  name: 'errors',
  severity: 'page',
  description:
    'The function keeps failing (a crash, a record that crashes it, an error at load). See the README runbook.',
  why: 'Any error in three minutes in a row: Lambda retries a failed batch at once and bisects it, so a poison record fails every minute, while one passing failure does not page',
  inputs: [lambda(t, 'errors', 'Errors', 'Sum')],
  ...minutes(3),
  threshold: 1,
  comparison: 'GreaterThanOrEqualToThreshold',
})

/** Batches end with records unfinished, minute after minute: the shard does not move. */
const unfinishedBatches = (t: AlarmTargets, settings: AlarmSettings): AlarmSpec => ({
  name: 'unfinished-batches',
  severity: 'page',
  description:
    'Batches keep leaving records unfinished: DynamoDB throttles beyond the retries, fails, or is misconfigured. See the README runbook.',
  why: 'The view’s own metric, since Lambda counts such invocations as successes: an unfinished batch in every minute of unfinishedBatchMinutes (5) in a row. One throttled minute is absorbed by the retries and does not page',
  inputs: [view(t, 'unfinished', 'unfinishedBatches')],
  ...minutes(settings.unfinishedBatchMinutes),
  threshold: 1,
  comparison: 'GreaterThanOrEqualToThreshold',
})

/** Lambda skipped a batch: sales not counted. */
const failedBatches = (t: AlarmTargets): AlarmSpec => ({
  name: 'failed-batches',
  severity: 'page',
  description:
    'Lambda gave up on a batch and skipped it (only with a finite maximumRetryAttempts): its description is in the failed-batches queue.',
  why: 'Maximum messages visible over a minute, at once: each message is sales skipped',
  inputs: [
    metricInput(
      'queued',
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      ['QueueName', t.queueName],
      'Maximum',
    ),
  ],
  ...minutes(1),
  threshold: 0,
  comparison: 'GreaterThanThreshold',
})

/** The paging alarms: a shard stopped, or sales are being skipped. */
const pages = (t: AlarmTargets, settings: AlarmSettings): AnyAlarmSpec[] => [
  ...(t.mappingId === undefined ? [] : [stalled(t, t.mappingId)]),
  iteratorAge(t, settings),
  errors(t),
  unfinishedBatches(t, settings),
  failedBatches(t),
]

/** Over five minutes, once: something to look at in working hours. */
const fiveMinutes = {
  period: 300,
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
  treatMissingData: 'notBreaching' as const,
}

/** Records kept in Rejected, fan-out duplicates apart. */
const rejected = (t: AlarmTargets): AlarmSpec => ({
  name: 'rejected',
  severity: 'ticket',
  description: `Records went to Rejected for a reason other than a fan-out duplicate: list them with winner-view rejected list --view ${t.service}.`,
  why: 'Rejected less duplicates over five minutes: a fan-out duplicate is the fan-out retrying, kept for the record, not a fault of the data',
  inputs: [view(t, 'rejected', 'rejected'), view(t, 'duplicates', 'duplicates')],
  expression: {
    text: 'FILL(rejected, 0) - FILL(duplicates, 0)',
    evaluate: (values) => {
      const kept = values.get('rejected')
      const duplicates = values.get('duplicates')
      if (kept === undefined && duplicates === undefined) return undefined
      return filled(kept) - filled(duplicates)
    },
  },
  ...fiveMinutes,
  threshold: 0,
  comparison: 'GreaterThanThreshold',
})

/** Batches close to the function's timeout. */
const nearTimeout = (t: AlarmTargets, settings: AlarmSettings): AlarmSpec => ({
  name: 'near-timeout',
  severity: 'ticket',
  description:
    'Batches take most of the time the function’s timeout leaves them: raise the timeout or lower the batch size before they end unfinished.',
  why: 'Maximum duration over a minute above 80 % of the time a batch can use (the timeout less the reserve: 41 s of 60), in 3 of 5 minutes: past it the handler stops starting transactions and the batch ends unfinished, so this warns before that happens',
  inputs: [lambda(t, 'duration', 'Duration', 'Maximum')],
  period: 60,
  evaluationPeriods: 5,
  datapointsToAlarm: 3,
  treatMissingData: 'notBreaching',
  threshold: Math.round((settings.functionTimeoutMs - settings.reserveMs) * 0.8),
  comparison: 'GreaterThanThreshold',
})

/** A count over five minutes above a threshold: the shape of most tickets. */
const countTicket = (
  name: string,
  input: AlarmInput,
  threshold: number,
  text: Pick<AlarmSpec, 'description' | 'why'>,
): AlarmSpec => ({
  name,
  severity: 'ticket',
  ...text,
  inputs: [input],
  ...fiveMinutes,
  threshold,
  comparison: 'GreaterThanThreshold',
})

/** The ticket alarms: nothing is lost yet, but someone should look. */
const tickets = (t: AlarmTargets, settings: AlarmSettings): AlarmSpec[] => [
  rejected(t),
  nearTimeout(t, settings),
  countTicket('throttles', lambda(t, 'throttled', 'Throttles', 'Sum'), 0, {
    description:
      'Invocations were throttled: raise reservedConcurrency to at least the stream’s shards.',
    why: 'Any throttled invocation in five minutes: shards wait for one another, nothing is lost',
  }),
  countTicket('table-throttles', view(t, 'throttled', 'throttles'), 0, {
    description:
      'DynamoDB throttled transactions (retried by the view): a hot partition or an account limit. If it lasts, unfinished-batches pages.',
    why: 'The view’s count of transaction attempts cancelled by throttling, over five minutes',
  }),
  countTicket('conflicts', view(t, 'conflicts', 'conflicts'), settings.conflictsPerFiveMinutes, {
    description:
      'Transactions keep being cancelled by conflicts on shared items (TransactionConflict): writers share hot items. See the README, "Keeping up".',
    why: 'The view’s count of attempts cancelled by TransactionConflict over five minutes, above conflictsPerFiveMinutes (100): a few are the price of concurrency, many cap the view',
  }),
]

/** A view's alarms in one deployment, pages first. */
export const viewAlarms = (targets: AlarmTargets, settings: AlarmSettings): AnyAlarmSpec[] => [
  ...pages(targets, settings),
  ...tickets(targets, settings),
]

/** The totals stage keeps failing on a batch: the totals stop moving while the view goes on. */
const totalsErrors = (t: TotalsTargets): AlarmSpec => ({
  ...errors(t),
  name: 'totals-errors',
  description:
    'The totals stage keeps failing (a change it cannot read, an error at load): the totals stop moving while the view goes on. See the README runbook.',
  why: 'As errors: any error in three minutes in a row. Lambda retries the batch forever (a skipped change would leave the totals wrong for good), so a crash fails every minute; updates DynamoDB refuses are reported as the batch’s failures, not errors, and show in totals-iterator-age',
})

/** The totals trail the partials by more than a minute, for three minutes. */
const totalsIteratorAge = (t: TotalsTargets, settings: TotalsAlarmSettings): AlarmSpec => ({
  name: 'totals-iterator-age',
  severity: 'page',
  description:
    'The totals stage is far behind the partials’ stream: its updates keep failing (throttled, refused) or it cannot keep up. The stream keeps changes 24 hours only. See the README runbook.',
  why: 'Maximum over each minute, three minutes in a row over totalsIteratorAgeAlarmMs (60 s): the stage keeps up within seconds, and a change the stream trims after 24 hours is lost to the totals for good. An empty minute is not breaching: the mapping invokes only when partials change, so a quiet stream emits nothing; a stage that stops invoking is silent here (totals-stalled pages that, totals-errors a crash)',
  inputs: [lambda(t, 'age', 'IteratorAge', 'Maximum')],
  ...minutes(3),
  threshold: settings.totalsIteratorAgeAlarmMs,
  comparison: 'GreaterThanThreshold',
})

/** The totals, as readers see them, trail the partials by seconds for a quarter of an hour. */
const totalsLag = (t: TotalsTargets): AlarmSpec => ({
  name: 'totals-lag',
  severity: 'ticket',
  description:
    'The totals trail their partials by more than 5 s (p99) for 15 minutes: the leaderboard lags the view. Look at the totals stage’s duration and throttles.',
  why: 'p99 of totalsNewestChangeAgeMs over five minutes above 5 s, three periods in a row: a healthy stage reads up to about 1 s (the stream’s times are rounded down to the second, and the mapping polls a shard 4 times a second), so 2 s would be noise; a catch-up burst of a few minutes opens nothing. No batch, no datapoint: nothing trails',
  inputs: [{ ...view(t, 'lag', 'totalsNewestChangeAgeMs'), statistic: 'p99' }],
  period: 300,
  evaluationPeriods: 3,
  datapointsToAlarm: 3,
  treatMissingData: 'notBreaching',
  threshold: 5_000,
  comparison: 'GreaterThanThreshold',
})

/** The view writes its partials and the totals mapping polls no change: it stopped without a sound. */
const totalsStalled = (t: TotalsTargets): CompositeSpec => ({
  name: 'totals-stalled',
  severity: 'page',
  description:
    'The view writes its partials but the totals mapping polls no change of them: it is disabled, deleted or failing (a KMS key, a permission). The partials’ stream keeps changes 24 hours only. See the README runbook.',
  why: 'As stalled, for the totals stage: its IteratorAge and Errors go silent with its invocations, and a change the partials’ stream trims after 24 hours is lost to the totals for good. A composite of two alarms: the view’s own writes (keys written, each with its partials in the same transaction) above 0 five minutes in a row and the totals mapping’s PolledEventCount (MetricsConfig) below 1 five minutes in a row, an empty minute counting as none polled. Not the partials table’s ConsumedWriteCapacityUnits: alarms on AWS/DynamoDB metrics ignore missing data whatever TreatMissingData says, so that part would stay in ALARM once the view went quiet and every quiet five minutes would page. A quiet view raises nothing, nor does a replay of records already folded (it writes nothing)',
  children: [
    {
      name: 'totals-stalled-writes',
      severity: 'page',
      description:
        'The view writes states and their partials (a part of the totals-stalled alarm, which notifies).',
      why: '',
      inputs: [view(t, 'writes', 'writes')],
      ...minutes(5),
      threshold: 0,
      comparison: 'GreaterThanThreshold',
    },
    polledNone(
      'totals-stalled-polled',
      'The totals mapping polls no change of the partials (a part of the totals-stalled alarm, which notifies).',
      t.mappingId,
    ),
  ],
})

/** A view's totals stage's alarms in one deployment, pages first. */
export const totalsAlarms = (
  targets: TotalsTargets,
  settings: TotalsAlarmSettings,
): AnyAlarmSpec[] => [
  totalsStalled(targets),
  totalsErrors(targets),
  totalsIteratorAge(targets, settings),
  totalsLag(targets),
]

/**
 * Records arrive on the stream and the archive's mapping polls none: the archive stopped,
 * and what the stream trims before it moves again is missing from the archive for good.
 */
const archiveStalled = (t: ArchiveTargets, mappingId: Cfn): CompositeSpec => ({
  name: 'archive-stalled',
  severity: 'page',
  description:
    'Records arrive on the stream but the archive’s mapping polls none: it is disabled, deleted or failing (a KMS key, a permission). A record the stream trims before the archive moves again is lost to the archive for good. See the README runbook.',
  why: 'As stalled, for the archive: its IteratorAge and Errors go silent with its invocations. A composite of two alarms: IncomingRecords of the stream above 0 five minutes in a row, and the archive mapping’s PolledEventCount (MetricsConfig) below 1 five minutes in a row, a minute with no datapoint counting as none polled. The mapping counts records as it reads them, not as its 60 s batching window lets it invoke, so a healthy archive polls every minute records arrive; a quiet stream raises nothing',
  children: [
    recordsArrive(
      'archive-stalled-incoming',
      'Records arrive on the stream (a part of the archive-stalled alarm, which notifies).',
      t.streamName,
    ),
    polledNone(
      'archive-stalled-polled',
      'The archive’s mapping polls no record (a part of the archive-stalled alarm, which notifies).',
      mappingId,
    ),
  ],
})

/** The archive keeps failing: S3 or Kinesis refuses it, an error at load. */
const archiveErrors = (t: ArchiveTargets): AlarmSpec => ({
  ...errors(t),
  name: 'archive-errors',
  description:
    'The archive keeps failing (S3 or the bucket’s key refuses a write, ListShards is refused, an error at load): it skips nothing, so it stands still while the stream’s retention runs. See the README runbook.',
  why: 'As errors: any error in three minutes in a row. The archive retries a batch forever (the archive is the history: nothing is skipped) and throws on any failure, so a fault fails every minute, while one passing failure does not page',
})

/** The archive far behind the stream, though moving. */
const archiveIteratorAge = (t: ArchiveTargets, settings: ArchiveAlarmSettings): AlarmSpec => ({
  name: 'archive-iterator-age',
  severity: 'page',
  description:
    'The archive is far behind the stream: records older than the stream’s retention are lost to it for good. See the README runbook.',
  why: 'Maximum over each minute, three minutes in a row over archiveIteratorAgeAlarmMs (1 hour): the archive waits up to 60 s to fill a batch, so a minute or two behind is its normal, and the stream keeps records 24 hours by default, so an hour behind leaves 23 to act. An empty minute is not breaching: a quiet stream invokes nothing, and a stop is archive-stalled’s to page',
  inputs: [lambda(t, 'age', 'IteratorAge', 'Maximum')],
  ...minutes(3),
  threshold: settings.archiveIteratorAgeAlarmMs,
  comparison: 'GreaterThanThreshold',
})

/** The archive's alarms in one deployment: all pages, as a gap in the archive is for good. */
export const archiveAlarms = (
  targets: ArchiveTargets,
  settings: ArchiveAlarmSettings,
): AnyAlarmSpec[] => [
  ...(targets.mappingId === undefined ? [] : [archiveStalled(targets, targets.mappingId)]),
  archiveErrors(targets),
  archiveIteratorAge(targets, settings),
]

/** The stack's own alarms, once for every view: the stream's read budget and the alarms' delivery. */
export const stackAlarms = (streamName: Cfn, topicNames: ReadonlyArray<Cfn>): AlarmSpec[] => [
  {
    name: 'read-throttles',
    severity: 'ticket',
    description:
      'The stream throttled its readers (5 GetRecords calls and 2 MB a second per shard, shared): the views fall behind. Consider enhanced fan-out.',
    why: 'Any throttled read over five minutes: every standard consumer shares the budget, and a rebuild beside the live views uses it up',
    inputs: [
      metricInput(
        'throttled',
        'AWS/Kinesis',
        'ReadProvisionedThroughputExceeded',
        ['StreamName', streamName],
        'Sum',
      ),
    ],
    ...fiveMinutes,
    threshold: 0,
    comparison: 'GreaterThanThreshold',
  },
  ...topicNames.map(
    (topicName, at): AlarmSpec => ({
      name: at === 0 ? 'page-deliveries' : 'ticket-deliveries',
      severity: 'ticket',
      description:
        'SNS failed to deliver alarm notifications: check the topic’s subscriptions (a deleted endpoint, a refused delivery; an unconfirmed one gets nothing and fails nothing).',
      why: 'Any failed notification over five minutes; it notifies the ticket topic, so a broken page topic is still heard of',
      inputs: [
        metricInput(
          'failed',
          'AWS/SNS',
          'NumberOfNotificationsFailed',
          ['TopicName', topicName],
          'Sum',
        ),
      ],
      ...fiveMinutes,
      threshold: 0,
      comparison: 'GreaterThanThreshold',
    }),
  ),
]

const isPercentile = (statistic: Statistic | Percentile): statistic is Percentile =>
  statistic.startsWith('p')

/** The metric or metric math part of an alarm's properties. */
const metricProperties = (spec: AlarmSpec) => {
  const [only] = spec.inputs
  if (spec.expression === undefined && only !== undefined)
    return {
      Namespace: only.namespace,
      MetricName: only.metricName,
      Dimensions: only.dimensions,
      ...(isPercentile(only.statistic)
        ? { ExtendedStatistic: only.statistic }
        : { Statistic: only.statistic }),
      Period: spec.period,
    }
  return {
    Metrics: [
      ...spec.inputs.map((input) => ({
        Id: input.id,
        MetricStat: {
          Metric: {
            Namespace: input.namespace,
            MetricName: input.metricName,
            Dimensions: input.dimensions,
          },
          Period: spec.period,
          Stat: input.statistic,
        },
        ReturnData: false,
      })),
      { Id: 'alarm', Expression: spec.expression?.text, ReturnData: true },
    ],
  }
}

/** A metric alarm as a CloudFormation resource, notifying `topic` (if any) of ALARM and of OK. */
export const alarmResource = (spec: AlarmSpec, alarmName: string, topic?: Cfn) => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: {
    AlarmName: alarmName,
    AlarmDescription:
      topic === undefined ? spec.description : `[${spec.severity}] ${spec.description}`,
    ...metricProperties(spec),
    EvaluationPeriods: spec.evaluationPeriods,
    DatapointsToAlarm: spec.datapointsToAlarm,
    Threshold: spec.threshold,
    ComparisonOperator: spec.comparison,
    TreatMissingData: spec.treatMissingData,
    ...(topic === undefined ? {} : { AlarmActions: [topic], OKActions: [topic] }),
  },
})

/**
 * A composite alarm and its children as CloudFormation resources, by logical id: the
 * children (named `<prefix><child>`) notify no one; the composite notifies `topic` of
 * ALARM and of OK when all of them are in ALARM.
 */
export const compositeResources = (
  spec: CompositeSpec,
  namePrefix: string,
  idOf: (name: string) => string,
  topic: Cfn,
) => ({
  ...Object.fromEntries(
    spec.children.map((child) => [
      idOf(child.name),
      alarmResource(child, `${namePrefix}${child.name}`),
    ]),
  ),
  [idOf(spec.name)]: {
    Type: 'AWS::CloudWatch::CompositeAlarm',
    DependsOn: spec.children.map((child) => idOf(child.name)),
    Properties: {
      AlarmName: `${namePrefix}${spec.name}`,
      AlarmDescription: `[${spec.severity}] ${spec.description}`,
      AlarmRule: spec.children.map((child) => `ALARM("${namePrefix}${child.name}")`).join(' AND '),
      AlarmActions: [topic],
      OKActions: [topic],
    },
  },
})

const capitalised = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`

/** An alarm's logical id: `stalled-polled` after the prefix `CategorySales` is `CategorySalesStalledPolledAlarm`. */
export const alarmIdOf = (prefix: string, name: string): string =>
  `${prefix}${name.split('-').map(capitalised).join('')}Alarm`

/**
 * Alarms as CloudFormation resources, by logical id (`alarmIdOf(idPrefix, name)`), each
 * named `<namePrefix><name>`: pages notify the page topic, tickets the ticket topic.
 */
export const alarmResourcesOf = (
  specs: ReadonlyArray<AnyAlarmSpec>,
  { namePrefix, idPrefix }: { readonly namePrefix: string; readonly idPrefix: string },
  topics: Readonly<Record<AlarmSpec['severity'], Cfn>>,
): Record<string, unknown> => {
  const idOf = (name: string) => alarmIdOf(idPrefix, name)
  return Object.assign(
    {},
    ...specs.map((spec) =>
      isComposite(spec)
        ? compositeResources(spec, namePrefix, idOf, topics[spec.severity])
        : {
            [idOf(spec.name)]: alarmResource(
              spec,
              `${namePrefix}${spec.name}`,
              topics[spec.severity],
            ),
          },
    ),
  )
}

/**
 * What the evaluator needs of a spec. It has no percentiles: it judges a percentile by the
 * maximum, never below it, so a scenario quiet on the maximum is quiet on the percentile.
 */
export const ruleOf = (spec: AlarmSpec): AlarmRule => ({
  inputs: spec.inputs.map(({ id, statistic }) => ({
    id,
    statistic: isPercentile(statistic) ? 'Maximum' : statistic,
  })),
  ...(spec.expression === undefined ? {} : { expression: spec.expression.evaluate }),
  period: spec.period,
  evaluationPeriods: spec.evaluationPeriods,
  datapointsToAlarm: spec.datapointsToAlarm,
  threshold: spec.threshold,
  comparison: spec.comparison,
  treatMissingData: spec.treatMissingData,
})
