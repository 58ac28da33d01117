import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb'

/**
 * The one definition of the view's tables. The local stack and the tests create them
 * from it, and serverless.yml renders it as CloudFormation (the property names match).
 */
export type TableDefinition = Omit<CreateTableCommandInput, 'TableName' | 'BillingMode'>

export interface TableNames {
  readonly contributions: string
  readonly scores: string
  readonly rejected: string
}

export const contributionsTable: TableDefinition = {
  AttributeDefinitions: [
    { AttributeName: 'productId', AttributeType: 'S' },
    { AttributeName: 'creator', AttributeType: 'S' },
    { AttributeName: 'photographer', AttributeType: 'S' },
  ],
  KeySchema: [{ AttributeName: 'productId', KeyType: 'HASH' }],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'ProductsByCreator',
      KeySchema: [{ AttributeName: 'creator', KeyType: 'HASH' }],
      Projection: {
        ProjectionType: 'INCLUDE',
        NonKeyAttributes: ['name', 'purchases', 'creatorScore'],
      },
    },
    {
      IndexName: 'ProductsByPhotographer',
      KeySchema: [{ AttributeName: 'photographer', KeyType: 'HASH' }],
      Projection: {
        ProjectionType: 'INCLUDE',
        NonKeyAttributes: ['name', 'purchases', 'photographerScore'],
      },
    },
  ],
}

export const scoresTable: TableDefinition = {
  AttributeDefinitions: [
    { AttributeName: 'userId', AttributeType: 'S' },
    { AttributeName: 'role', AttributeType: 'S' },
    { AttributeName: 'score', AttributeType: 'N' },
  ],
  KeySchema: [
    { AttributeName: 'userId', KeyType: 'HASH' },
    { AttributeName: 'role', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      // The leaderboard: per role, users by score.
      IndexName: 'ScoresByRole',
      KeySchema: [
        { AttributeName: 'role', KeyType: 'HASH' },
        { AttributeName: 'score', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
}

export const rejectedTable: TableDefinition = {
  AttributeDefinitions: [{ AttributeName: 'eventId', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'eventId', KeyType: 'HASH' }],
}

/** The view's tables by role, with the suffix each table's name carries after the stage. */
export const viewTables = {
  contributions: { suffix: 'Contributions', definition: contributionsTable },
  scores: { suffix: 'Scores', definition: scoresTable },
  rejected: { suffix: 'Rejected', definition: rejectedTable },
} as const

/** The service's name: table names carry it, so a stage's tables never clash with another service's. */
export const SERVICE = 'winner-view'

/** The tables' names for a stage: `winner-view-${stage}-Contributions` and so on. */
export const tableNamesFor = (stage: string): TableNames => ({
  contributions: `${SERVICE}-${stage}-${viewTables.contributions.suffix}`,
  scores: `${SERVICE}-${stage}-${viewTables.scores.suffix}`,
  rejected: `${SERVICE}-${stage}-${viewTables.rejected.suffix}`,
})

const ENVIRONMENT = {
  contributions: 'TABLE_CONTRIBUTIONS_NAME',
  scores: 'TABLE_SCORES_NAME',
  rejected: 'TABLE_REJECTED_NAME',
} as const

/** The tables' names from the environment, as serverless.yml sets them. */
export const tableNamesFromEnv = (env: NodeJS.ProcessEnv): TableNames => {
  const read = (name: string): string => {
    const value = env[name]
    if (value === undefined || value === '')
      throw new Error(`${name} is not set: name the table in the environment`)
    return value
  }
  return {
    contributions: read(ENVIRONMENT.contributions),
    scores: read(ENVIRONMENT.scores),
    rejected: read(ENVIRONMENT.rejected),
  }
}

/** The stage, for the metrics' dimension, from the environment serverless.yml sets. */
export const stageFromEnv = (env: NodeJS.ProcessEnv): string => {
  const stage = env.WINNER_VIEW_STAGE
  if (stage === undefined || stage === '')
    throw new Error('WINNER_VIEW_STAGE is not set: name the stage in the environment')
  return stage
}

/** The environment that names a stage's tables. */
export const tableEnvironment = (names: TableNames): Record<string, string> => ({
  [ENVIRONMENT.contributions]: names.contributions,
  [ENVIRONMENT.scores]: names.scores,
  [ENVIRONMENT.rejected]: names.rejected,
})
