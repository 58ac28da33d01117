import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb'
import { type AnyView, tablesOf, type ViewTableNames } from './view'

/**
 * A table as the view defines it. The local stack and the tests create tables from it,
 * and serverless.yml renders it as CloudFormation (the property names match).
 */
export type TableDefinition = Omit<CreateTableCommandInput, 'TableName' | 'BillingMode'>

/** Every view's Rejected table: the record's bytes and the reason, by Lambda's eventID. */
export const rejectedTable: TableDefinition = {
  AttributeDefinitions: [{ AttributeName: 'eventId', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'eventId', KeyType: 'HASH' }],
}

/** The deployment's name: table names carry it, so a stage's tables never clash with another's. */
export const SERVICE = 'winner-view'

/** A table's name in a stage: `winner-view-${stage}-${suffix}`. */
export const tableNameFor = (stage: string, suffix: string): string =>
  `${SERVICE}-${stage}-${suffix}`

/** A view's tables' names in a stage, by role. */
export const viewTableNamesFor = (view: AnyView, stage: string): ViewTableNames =>
  Object.fromEntries(tablesOf(view).map((t) => [t.role, tableNameFor(stage, t.suffix)]))

/** The environment variable that names a table of a role: `categorySales` → `TABLE_CATEGORY_SALES_NAME`. */
export const tableVariableOf = (role: string): string =>
  `TABLE_${role.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_NAME`

/** A view's tables' names from the environment, as serverless.yml sets them; throws naming what is missing. */
export const viewTableNamesFromEnv = (view: AnyView, env: NodeJS.ProcessEnv): ViewTableNames =>
  Object.fromEntries(
    tablesOf(view).map(({ role }) => {
      const variable = tableVariableOf(role)
      const value = env[variable]
      if (value === undefined || value === '')
        throw new Error(`${variable} is not set: name the table in the environment`)
      return [role, value]
    }),
  )

/** The environment that names a view's tables. */
export const tableEnvironment = (names: ViewTableNames): Record<string, string> =>
  Object.fromEntries(Object.entries(names).map(([role, name]) => [tableVariableOf(role), name]))

/**
 * Days Rejected items are kept (REJECTED_RETENTION_DAYS, as serverless.yml sets it from
 * `rejectedRetentionDays`); unset or `none`: kept for good. Anything else fails loudly.
 */
export const rejectedRetentionFromEnv = (env: NodeJS.ProcessEnv): number | undefined => {
  const value = env.REJECTED_RETENTION_DAYS
  if (value === undefined || value === '' || value === 'none') return undefined
  const days = Number(value)
  if (!Number.isFinite(days) || days <= 0)
    throw new Error(
      `REJECTED_RETENTION_DAYS is ${JSON.stringify(value)}: expected a number of days, or none`,
    )
  return days
}

/** The stage, for the metrics' dimension, from the environment serverless.yml sets. */
export const stageFromEnv = (env: NodeJS.ProcessEnv): string => {
  const stage = env.WINNER_VIEW_STAGE
  if (stage === undefined || stage === '')
    throw new Error('WINNER_VIEW_STAGE is not set: name the stage in the environment')
  return stage
}

/**
 * The DynamoDB actions the runtime calls on each kind of a view's tables, for a
 * least-privilege role: a transaction is authorised by the actions of its items, and
 * every table is described once per container. The deployment grants exactly these.
 * The view's function adds to its partials in its transactions and only describes the
 * aggregate tables; the totals stage alone moves them (`TOTALS_ACTIONS`).
 */
export const TABLE_ACTIONS = {
  state: ['dynamodb:BatchGetItem', 'dynamodb:DescribeTable', 'dynamodb:PutItem'],
  partials: ['dynamodb:DescribeTable', 'dynamodb:UpdateItem'],
  aggregate: ['dynamodb:DescribeTable'],
  rejected: ['dynamodb:BatchWriteItem', 'dynamodb:DescribeTable'],
  /** Its freshness marks: a conditional update per batch (`dynamoMarks.ts`). */
  marks: ['dynamodb:DescribeTable', 'dynamodb:UpdateItem'],
} as const

/**
 * The actions of a view's totals stage: it reads its partials table's stream (as its
 * event source mapping does, under the function's role; `ListStreams` names no resource,
 * so it is granted on any, and lists stream ARNs only), queries a totals item's partials
 * to resync it, and moves the aggregate tables with conditional updates (a resync reads
 * the item and replaces it; `GetItem` also stands in on an endpoint that refuses a
 * condition without the item).
 */
export const TOTALS_ACTIONS = {
  partialsStream: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
  anyStream: ['dynamodb:ListStreams'],
  partials: ['dynamodb:Query'],
  aggregate: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
} as const
