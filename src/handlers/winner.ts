import { makeDocumentClient, makeDynamoStore } from '../adapters/dynamoStore'
import { emfLogger } from '../adapters/emf'
import { stageFromEnv, tableNamesFromEnv } from '../adapters/tables'
import { makeHandler } from './processBatch'

// Built once per container, at module load. The endpoint comes from the SDK's own
// settings (AWS_ENDPOINT_URL_DYNAMODB for a local run), the tables from the environment.
const store = makeDynamoStore({
  client: makeDocumentClient(),
  names: tableNamesFromEnv(process.env),
})

/** The Lambda entry: a Kinesis batch in, the first unfinished record out, one EMF line. */
export const handler = makeHandler({ store, log: emfLogger(stageFromEnv(process.env)) })
