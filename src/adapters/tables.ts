import { rejectedTable, type TableDefinition, tableNameFor } from '../runtime/tables'

/** The winner view's tables' names, by role (a type, not an interface, so it is a record). */
export type TableNames = {
  readonly contributions: string
  readonly scores: string
  /** Each shard's partial sums of Scores, which the totals stage adds up into Scores. */
  readonly partials: string
  readonly rejected: string
  /** How far the view has folded each shard (its freshness marks). */
  readonly marks: string
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
    { AttributeName: 'leaderboardKey', AttributeType: 'S' },
    { AttributeName: 'score', AttributeType: 'N' },
  ],
  KeySchema: [
    { AttributeName: 'userId', KeyType: 'HASH' },
    { AttributeName: 'role', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      // The leaderboard: per role, users by score, over LEADERBOARD_PARTITIONS partitions
      // (`role#k`) so that no index partition takes every score change of a role.
      IndexName: 'Leaderboard',
      KeySchema: [
        { AttributeName: 'leaderboardKey', KeyType: 'HASH' },
        { AttributeName: 'score', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
}

/** The view's tables by role, with the suffix each table's name carries after the stage. */
export const viewTables = {
  contributions: { suffix: 'Contributions', definition: contributionsTable },
  scores: { suffix: 'Scores', definition: scoresTable },
  rejected: { suffix: 'Rejected', definition: rejectedTable },
} as const

/** The tables' names for a stage: `winner-view-${stage}-Contributions` and so on. */
export const tableNamesFor = (stage: string): TableNames => ({
  contributions: tableNameFor(stage, viewTables.contributions.suffix),
  scores: tableNameFor(stage, viewTables.scores.suffix),
  partials: tableNameFor(stage, `${viewTables.contributions.suffix}Partials`),
  rejected: tableNameFor(stage, viewTables.rejected.suffix),
  marks: tableNameFor(stage, `${viewTables.contributions.suffix}Marks`),
})

/** The category sales view's per-product state: its category and units sold. */
export const categoryProductsTable: TableDefinition = {
  AttributeDefinitions: [{ AttributeName: 'productId', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'productId', KeyType: 'HASH' }],
}

/**
 * Per category, units sold and products. The key is `#` and the category, so that an
 * empty category (the schemas allow it) is a key too: DynamoDB refuses empty keys.
 */
export const categorySalesTable: TableDefinition = {
  AttributeDefinitions: [{ AttributeName: 'categoryKey', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'categoryKey', KeyType: 'HASH' }],
}

/** The category sales view's tables by role, with the suffix each name carries after the stage. */
export const categoryViewTables = {
  categoryProducts: { suffix: 'CategoryProducts', definition: categoryProductsTable },
  categorySales: { suffix: 'CategorySales', definition: categorySalesTable },
  categoryRejected: { suffix: 'CategoryRejected', definition: rejectedTable },
} as const
