import {
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { TableDefinition } from './tables'
import { type AnyView, tablesOf, type ViewTableNames } from './view'

type Described = DescribeTableCommandOutput['Table']

const keysOf = (
  schema: ReadonlyArray<{ AttributeName?: string | undefined; KeyType?: string | undefined }> = [],
) => schema.map((key) => `${key.AttributeName}:${key.KeyType}`).join(', ')

type Definition = Pick<
  TableDefinition,
  'AttributeDefinitions' | 'GlobalSecondaryIndexes' | 'KeySchema'
>

/** The names of the attributes a table's key and indexes use. */
const keyNamesOf = (table: Definition): Set<string | undefined> =>
  new Set(
    [table.KeySchema ?? [], ...(table.GlobalSecondaryIndexes ?? []).map((i) => i.KeySchema ?? [])]
      .flat()
      .map((key) => key.AttributeName),
  )

/**
 * The parts of a table the view relies on, as text: its key, the types of the key
 * attributes, and the view's indexes with their keys. Another index, of another
 * program's, changes none of them.
 */
const shapeOf = (table: Definition | Described, definition: Definition) => {
  const keyNames = keyNamesOf(definition)
  const indexNames = new Set((definition.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName))
  const indexes = (table?.GlobalSecondaryIndexes ?? []).filter((i) => indexNames.has(i.IndexName))
  return {
    key: keysOf(table?.KeySchema),
    'key attribute types': (table?.AttributeDefinitions ?? [])
      .filter((attribute) => keyNames.has(attribute.AttributeName))
      .map((attribute) => `${attribute.AttributeName}:${attribute.AttributeType}`)
      .sort()
      .join(', '),
    indexes: indexes
      .map((index) => `${index.IndexName} (${keysOf(index.KeySchema)})`)
      .sort()
      .join(', '),
  }
}

/**
 * What is wrong with a table against the view's definition, or undefined when it fits.
 * A wrong key, key type or index would make DynamoDB refuse every write as invalid,
 * which must fail the batch, never send records to Rejected.
 */
export const tableMismatch = (
  name: string,
  table: Described,
  definition: TableDefinition,
): string | undefined => {
  const actual = shapeOf(table, definition)
  const expected = shapeOf(definition, definition)
  for (const what of Object.keys(expected) as Array<keyof typeof expected>) {
    if (actual[what] !== expected[what])
      return `table ${name} has the ${what} (${actual[what]}), the view needs (${expected[what]})`
  }
  return undefined
}

/** A table's description; an error that names the table when it is missing or unreadable. */
export const describeTable = async (client: DynamoDBDocumentClient, name: string) => {
  // A document client sends low-level commands through the same stack; only its type says no.
  const plain = client as unknown as DynamoDBClient
  try {
    return (await plain.send(new DescribeTableCommand({ TableName: name }))).Table
  } catch (error) {
    const { name: kind, message } = error as { name?: string; message?: string }
    throw new Error(
      kind === 'ResourceNotFoundException'
        ? `table ${name} does not exist`
        : `table ${name} cannot be described (${kind}: ${message})`,
    )
  }
}

/**
 * Checks that the view's tables exist with the keys and indexes it writes to. A wrong
 * name or a missing permission must fail the batch loudly, never send records to
 * Rejected: it throws, naming the table and what is wrong.
 */
export const checkTables = async (
  client: DynamoDBDocumentClient,
  view: AnyView,
  names: ViewTableNames,
): Promise<void> => {
  for (const { role, definition } of tablesOf(view)) {
    const name = names[role]
    if (name === undefined) throw new Error(`no table is named for the ${role} table`)
    const problem = tableMismatch(name, await describeTable(client, name), definition)
    if (problem !== undefined) throw new Error(problem)
  }
}
