import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
import type { BatchSummary } from './handler'

/** The CloudWatch namespace of the views' metrics; each view is a value of the `service` dimension. */
export const METRICS_NAMESPACE = 'WinnerView'

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit]

// The batch log line's counts are its metrics, under the same names: CloudWatch reads a
// metric's value from the line's property of that name, so the line says each once.
const METRICS: ReadonlyArray<[keyof BatchSummary, Unit]> = [
  ['records', MetricUnit.Count],
  ['folded', MetricUnit.Count],
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
export const emfRecordOf = (service: string, stage: string) => {
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: service,
    defaultDimensions: { stage },
  })
  return (summary: BatchSummary): Record<string, unknown> => {
    for (const [name, unit] of METRICS) {
      const value = summary[name]
      if (typeof value === 'number') metrics.addMetric(name, unit, value)
    }
    const record = metrics.serializeMetrics()
    metrics.clearMetrics()
    return { ...summary, ...record }
  }
}

/** Writes each batch's EMF record as one line on standard output (CloudWatch Logs in Lambda). */
export const emfLogger = (service: string, stage: string): ((summary: BatchSummary) => void) => {
  const recordOf = emfRecordOf(service, stage)
  return (summary) => {
    process.stdout.write(`${JSON.stringify(recordOf(summary))}\n`)
  }
}
