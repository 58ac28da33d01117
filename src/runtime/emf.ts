import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
import type { ArchiveLine } from './archiveHandler'
import type { BatchSummary } from './handler'
import type { TotalsSummary } from './totalsStage'

/** The CloudWatch namespace of the views' metrics; each view is a value of the `service` dimension. */
export const METRICS_NAMESPACE = 'WinnerView'

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit]

/** `records` as itself, or after a prefix as `totalsRecords`. */
const metricName = (prefix: string, name: string): string =>
  prefix === '' ? name : `${prefix}${name.charAt(0).toUpperCase()}${name.slice(1)}`

/** The fields of a log line that are metrics, with their units. */
type MetricsOf<Summary> = ReadonlyArray<[keyof Summary & string, Unit]>

/** The totals stage's line's metrics, prefixed so that they never mix with a batch's. */
const TOTALS_METRICS: MetricsOf<TotalsSummary> = [
  ['records', MetricUnit.Count],
  ['updates', MetricUnit.Count],
  ['included', MetricUnit.Count],
  ['resyncs', MetricUnit.Count],
  ['durationMs', MetricUnit.Milliseconds],
  ['newestChangeAgeMs', MetricUnit.Milliseconds],
]

/** The archive's line's metrics, named `archive…`. */
const ARCHIVE_METRICS: MetricsOf<ArchiveLine> = [
  ['records', MetricUnit.Count],
  ['bytes', MetricUnit.Bytes],
  ['durationMs', MetricUnit.Milliseconds],
  ['newestRecordAgeMs', MetricUnit.Milliseconds],
]

// The batch log line's counts are its metrics, under the same names: CloudWatch reads a
// metric's value from the line's property of that name, so the line says each once.
const METRICS: MetricsOf<BatchSummary> = [
  ['records', MetricUnit.Count],
  ['folded', MetricUnit.Count],
  ['writes', MetricUnit.Count],
  ['skipped', MetricUnit.Count],
  ['rejected', MetricUnit.Count],
  ['duplicates', MetricUnit.Count],
  ['retries', MetricUnit.Count],
  ['refolds', MetricUnit.Count],
  ['conflicts', MetricUnit.Count],
  ['throttles', MetricUnit.Count],
  ['unfinishedBatches', MetricUnit.Count],
  ['durationMs', MetricUnit.Milliseconds],
  ['newestRecordAgeMs', MetricUnit.Milliseconds],
]

/**
 * The batch log line as a CloudWatch Embedded Metric Format record: the summary's fields
 * as properties, its counts as metrics in the `WinnerView` namespace with the dimensions
 * service and stage (never a shard or a user: those would make a metric per value).
 */
export const emfRecordOf = <Summary extends object = BatchSummary>(
  service: string,
  stage: string,
  fields: MetricsOf<Summary> = METRICS as unknown as MetricsOf<Summary>,
  prefix = '',
) => {
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: service,
    defaultDimensions: { stage },
  })
  return (summary: Summary): Record<string, unknown> => {
    for (const [name, unit] of fields) {
      const value = summary[name]
      if (typeof value === 'number') metrics.addMetric(metricName(prefix, name), unit, value)
    }
    const record = metrics.serializeMetrics()
    metrics.clearMetrics()
    return { ...summary, ...record }
  }
}

/**
 * Writes each totals batch's EMF record as one line, its metrics named `totals` and the
 * field (`totalsNewestChangeAgeMs`: how far the totals trail the partials).
 */
export const totalsEmfLogger = (service: string, stage: string) => {
  const recordOf = emfRecordOf<TotalsSummary>(service, stage, TOTALS_METRICS, 'totals')
  return (summary: TotalsSummary): void => {
    const record = recordOf(summary)
    process.stdout.write(`${JSON.stringify(record)}\n`)
  }
}

/**
 * Writes each archived batch's EMF record as one line, its metrics named `archive` and
 * the field (`archiveNewestRecordAgeMs`: how far the archive trails the stream).
 */
export const archiveEmfLogger = (stage: string) => {
  const recordOf = emfRecordOf<ArchiveLine>(ARCHIVE_SERVICE, stage, ARCHIVE_METRICS, 'archive')
  return (line: ArchiveLine): void => {
    process.stdout.write(`${JSON.stringify(recordOf(line))}\n`)
  }
}

/** The `service` dimension of the archive's metrics. */
export const ARCHIVE_SERVICE = 'winner-view-archive'

/** Writes each batch's EMF record as one line on standard output (CloudWatch Logs in Lambda). */
export const emfLogger = (service: string, stage: string): ((summary: BatchSummary) => void) => {
  const recordOf = emfRecordOf(service, stage)
  return (summary) => {
    process.stdout.write(`${JSON.stringify(recordOf(summary))}\n`)
  }
}
