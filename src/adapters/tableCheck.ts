import {
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { type TableDefinition, type TableNames, viewTables } from './tables'

type Described = DescribeTableCommandOutput['Table']

const keysOf = (
  schema: ReadonlyArray<{ AttributeName?: string | undefined; KeyType?: string | undefined }> = [],
) => schema.map((key) => `${key.AttributeName}:${key.KeyType}`).join(', ')

/** What is wrong with a table against the view's definition, or undefined when it fits. */
export const tableMismatch = (
  name: string,
  table: Described,
  definition: TableDefinition,
): string | undefined => {
  const expected = keysOf(definition.KeySchema)
  const actual = keysOf(table?.KeySchema)
  if (actual !== expected)
    return `table ${name} has the key (${actual}), the view needs (${expected})`
  const indexes = new Set((table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName))
  const missing = (definition.GlobalSecondaryIndexes ?? []).filter((i) => !indexes.has(i.IndexName))
  return missing.length === 0
    ? undefined
    : `table ${name} lacks the index ${missing.map((i) => i.IndexName).join(', ')}`
}

const describeTable = async (client: DynamoDBDocumentClient, name: string) => {
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
  names: TableNames,
): Promise<void> => {
  for (const role of Object.keys(viewTables) as Array<keyof TableNames>) {
    const name = names[role]
    const problem = tableMismatch(
      name,
      await describeTable(client, name),
      viewTables[role].definition,
    )
    if (problem !== undefined) throw new Error(problem)
  }
}
