/**
 * CloudWatch's documented alarm rules, small enough to test the view's alarms without AWS
 * (Amazon CloudWatch User Guide, "Using Amazon CloudWatch alarms": "Alarm evaluation" and
 * "Configuring how CloudWatch alarms treat missing data"):
 *
 * - a metric's datapoints are aggregated per period by the alarm's statistic; a period
 *   with no datapoint is missing;
 * - a metric math alarm evaluates its expression per period on those values;
 * - at the end of each period, the last `evaluationPeriods` values are judged: breaching
 *   (the comparison with the threshold holds), not breaching, or missing, which counts as
 *   `TreatMissingData` says (`breaching`, `notBreaching`; `missing` and `ignore` leave it out);
 * - `datapointsToAlarm` breaching values among them put the alarm in ALARM; otherwise, with
 *   at least one value judged, it is OK; with none, `missing` makes it INSUFFICIENT_DATA and
 *   `ignore` keeps its state.
 *
 * Not modelled: CloudWatch's look-back beyond the evaluation range for `missing`, late
 * datapoints, and the AWS/DynamoDB namespace, whose alarms always ignore missing data.
 */

export type Statistic = 'Sum' | 'Maximum' | 'Minimum' | 'Average' | 'SampleCount'
export type Comparison =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold'
export type MissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing'
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'

/** One datapoint a service published: when (seconds) and its value. */
export interface Datapoint {
  readonly at: number
  readonly value: number
}

/** What the evaluator needs of an alarm. */
export interface AlarmRule {
  /** The metrics the alarm reads, by id, each with its statistic. */
  readonly inputs: ReadonlyArray<{ readonly id: string; readonly statistic: Statistic }>
  /** For a metric math alarm: its expression on the inputs' values of one period. */
  readonly expression?: (values: ReadonlyMap<string, number | undefined>) => number | undefined
  readonly period: number
  readonly evaluationPeriods: number
  readonly datapointsToAlarm: number
  readonly threshold: number
  readonly comparison: Comparison
  readonly treatMissingData: MissingData
}

const aggregate = (values: ReadonlyArray<number>, statistic: Statistic): number | undefined => {
  if (values.length === 0) return undefined
  switch (statistic) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0)
    case 'Maximum':
      return Math.max(...values)
    case 'Minimum':
      return Math.min(...values)
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length
    case 'SampleCount':
      return values.length
  }
}

const breaches = (value: number, rule: AlarmRule): boolean => {
  switch (rule.comparison) {
    case 'GreaterThanThreshold':
      return value > rule.threshold
    case 'GreaterThanOrEqualToThreshold':
      return value >= rule.threshold
    case 'LessThanThreshold':
      return value < rule.threshold
    case 'LessThanOrEqualToThreshold':
      return value <= rule.threshold
  }
}

/** The alarm's value for the period that starts at `start`: its metric's, or its expression's. */
const periodValue = (
  rule: AlarmRule,
  series: Readonly<Record<string, ReadonlyArray<Datapoint>>>,
  start: number,
): number | undefined => {
  const values = new Map<string, number | undefined>()
  for (const { id, statistic } of rule.inputs) {
    const inPeriod = (series[id] ?? []).filter((d) => d.at >= start && d.at < start + rule.period)
    values.set(
      id,
      aggregate(
        inPeriod.map((d) => d.value),
        statistic,
      ),
    )
  }
  if (rule.expression !== undefined) return rule.expression(values)
  return values.get(rule.inputs[0]?.id ?? '')
}

type Judged = 'breaching' | 'ok' | 'missing'

const judge = (value: number | undefined, rule: AlarmRule): Judged => {
  if (value !== undefined) return breaches(value, rule) ? 'breaching' : 'ok'
  if (rule.treatMissingData === 'breaching') return 'breaching'
  if (rule.treatMissingData === 'notBreaching') return 'ok'
  return 'missing'
}

/** The state after judging the last evaluation periods' values, from the state before. */
const nextState = (judged: ReadonlyArray<Judged>, rule: AlarmRule, before: AlarmState) => {
  if (judged.filter((j) => j === 'breaching').length >= rule.datapointsToAlarm) return 'ALARM'
  if (judged.some((j) => j !== 'missing')) return 'OK'
  return rule.treatMissingData === 'ignore' ? before : 'INSUFFICIENT_DATA'
}

/** An alarm's state after each period from `from` to `to` (seconds), as CloudWatch would set it. */
export const evaluateAlarm = (
  rule: AlarmRule,
  series: Readonly<Record<string, ReadonlyArray<Datapoint>>>,
  from: number,
  to: number,
): ReadonlyArray<{ readonly at: number; readonly state: AlarmState }> => {
  const states: { at: number; state: AlarmState }[] = []
  const judged: Judged[] = []
  let state: AlarmState = 'INSUFFICIENT_DATA'
  for (let start = from; start + rule.period <= to; start += rule.period) {
    judged.push(judge(periodValue(rule, series, start), rule))
    state = nextState(judged.slice(-rule.evaluationPeriods), rule, state)
    states.push({ at: start + rule.period, state })
  }
  return states
}

/** The first time (seconds) the alarm is in ALARM, or undefined if it never is. */
export const firstAlarm = (
  rule: AlarmRule,
  series: Readonly<Record<string, ReadonlyArray<Datapoint>>>,
  from: number,
  to: number,
): number | undefined => evaluateAlarm(rule, series, from, to).find((s) => s.state === 'ALARM')?.at

/**
 * The first time (seconds) every child alarm is in ALARM at once: when a composite alarm
 * whose rule is `ALARM(a) AND ALARM(b) …` goes to ALARM. The children share a period.
 */
export const firstAllInAlarm = (
  children: ReadonlyArray<{
    readonly rule: AlarmRule
    readonly series: Readonly<Record<string, ReadonlyArray<Datapoint>>>
  }>,
  from: number,
  to: number,
): number | undefined => {
  const timelines = children.map(({ rule, series }) => evaluateAlarm(rule, series, from, to))
  const [first, ...others] = timelines
  return first?.find(
    ({ at, state }) =>
      state === 'ALARM' && others.every((t) => t.find((s) => s.at === at)?.state === 'ALARM'),
  )?.at
}
