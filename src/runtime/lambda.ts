import { makeDocumentClient, makeDynamoStore } from './dynamoStore'
import { emfLogger, totalsEmfLogger } from './emf'
import { makeViewHandler } from './handler'
import { rejectedRetentionFromEnv, stageFromEnv, viewTableNamesFromEnv } from './tables'
import { dynamoTotals, makeTotalsHandler } from './totalsStage'
import type { AnyView, View } from './view'

/** The Rejected retention the environment sets, as a store option. */
const retentionOf = (env: NodeJS.ProcessEnv) => {
  const days = rejectedRetentionFromEnv(env)
  return days === undefined ? {} : { rejectedRetentionDays: days }
}

/**
 * A view's Lambda handler as deployed: its store on DynamoDB and its EMF log line, built
 * once per container at module load. The endpoint comes from the SDK's own settings
 * (AWS_ENDPOINT_URL_DYNAMODB for a local run); the stage and the tables' names from the
 * environment serverless.yml sets, failing at load, naming the variable, when one is missing.
 */
export const lambdaHandlerOf = <Event, State>(
  view: View<Event, State>,
  env: NodeJS.ProcessEnv = process.env,
) =>
  makeViewHandler(view, {
    store: makeDynamoStore(view, {
      client: makeDocumentClient(),
      names: viewTableNamesFromEnv(view, env),
      ...retentionOf(env),
    }),
    log: emfLogger(view.name, stageFromEnv(env)),
  })

/**
 * A view's totals stage as deployed: a batch of its partials table's stream in, its
 * totals moved by plain conditional updates, one EMF line (the metrics named `totals…`).
 */
export const totalsHandlerOf = (view: AnyView, env: NodeJS.ProcessEnv = process.env) =>
  makeTotalsHandler(
    view,
    dynamoTotals(makeDocumentClient(), viewTableNamesFromEnv(view, env)),
    totalsEmfLogger(view.name, stageFromEnv(env)),
  )
