import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import kinesalite from 'kinesalite'
import { type TableNames, tableNamesFor } from '../adapters/tables'
import { documentClientOf, makeDynamoClient } from '../runtime/dynamoStore'
import { viewTableNamesFor } from '../runtime/tables'
import type { AnyView, ViewTableNames } from '../runtime/view'
import { categorySalesView } from '../views/categorySales'
import { winnerView } from '../views/winner'
import { checkpointsTable, checkpointsTableFor } from './checkpoints'
import {
  createTable,
  createViewTables,
  LOCAL_AWS,
  type LocalService,
  startDynamoDbLocal,
} from './dynamodbLocal'
import { makeKinesisClient } from './kinesis'
import { meterRequests, type RequestMeter } from './requestMeter'

/** Starts kinesalite, an in-memory emulator of the Kinesis API, in this process. */
export const startKinesalite = async (port = 0): Promise<LocalService> => {
  const server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 200,
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new Error(`port ${port} is taken: choose another`) : error,
      ),
    )
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const chosen = typeof address === 'object' && address !== null ? address.port : port
  return {
    endpoint: `http://127.0.0.1:${chosen}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** Where the stack runs: endpoints to use as they are, or none to start the emulators. */
export interface StackOptions {
  readonly kinesisEndpoint?: string
  readonly dynamodbEndpoint?: string
  readonly kinesisPort?: number
  readonly dynamodbPort?: number
  readonly stage: string
  /** Real AWS: the SDK's default endpoints, region and credentials; no emulator, no table created. */
  readonly aws?: boolean
}

/** The views the local stack runs, each on its own consumer of the stream: the winner view first. */
export const STACK_VIEWS: ReadonlyArray<AnyView> = [winnerView, categorySalesView]

/** A view's place in the stack: its tables, and a client of its own whose requests are its own. */
export interface StackView {
  readonly names: ViewTableNames
  readonly dynamo: DynamoDBDocumentClient
  readonly meter: RequestMeter
}

/** Every view's tables and client, by view name; `destroy` closes the clients. */
const viewsFor = (stage: string, config: DynamoDBClientConfig) => {
  const raws = STACK_VIEWS.map(() => makeDynamoClient(config))
  const views: Record<string, StackView> = Object.fromEntries(
    STACK_VIEWS.map((view, at) => {
      const raw = raws[at] ?? makeDynamoClient(config)
      const names = viewTableNamesFor(view, stage)
      return [view.name, { names, dynamo: documentClientOf(raw), meter: meterRequests(raw) }]
    }),
  )
  const destroy = () => {
    for (const raw of raws) raw.destroy()
  }
  return { views, destroy }
}

/** The category sales view's aggregate table in a stack. */
export const categorySalesTableOf = (stack: Stack): string => {
  const table = stack.views[categorySalesView.name]?.names.categorySales
  if (table === undefined) throw new Error('the stack runs no category sales view')
  return table
}

export interface Stack {
  readonly kinesis: KinesisClient
  readonly dynamo: DynamoDBDocumentClient
  /** The winner view's tables. */
  readonly names: TableNames
  /** Every view's tables and client, by view name. */
  readonly views: Readonly<Record<string, StackView>>
  readonly checkpointsTable: string
  readonly meter: RequestMeter
  readonly stop: () => Promise<void>
}

const envEndpoint = (service: 'KINESIS' | 'DYNAMODB'): string | undefined =>
  process.env[`AWS_ENDPOINT_URL_${service}`] ?? process.env.AWS_ENDPOINT_URL

/** The caller's AWS region and keys when set (real AWS or a shared emulator), else the local dummies. */
const accountOf = (env: NodeJS.ProcessEnv) => ({
  region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? LOCAL_AWS.region,
  credentials:
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : LOCAL_AWS.credentials,
})

const settledOrThrow = <A, B>([a, b]: [PromiseSettledResult<A>, PromiseSettledResult<B>]): [
  A,
  B,
] => {
  if (a.status === 'rejected') throw a.reason
  if (b.status === 'rejected') throw b.reason
  return [a.value, b.value]
}

/** The endpoints to use: given ones as they are, else emulators started into `started`. */
const endpointsOf = async (options: StackOptions, started: LocalService[]) => {
  const endpointOf = async (
    given: string | undefined,
    service: 'KINESIS' | 'DYNAMODB',
    start: () => Promise<LocalService>,
  ) => {
    const existing = given ?? envEndpoint(service)
    if (existing !== undefined) return existing
    const local = await start()
    started.push(local)
    return local.endpoint
  }
  // Both are awaited before any failure counts, so that none is left running.
  const [kinesis, dynamodb] = settledOrThrow(
    await Promise.allSettled([
      endpointOf(options.kinesisEndpoint, 'KINESIS', () => startKinesalite(options.kinesisPort)),
      endpointOf(options.dynamodbEndpoint, 'DYNAMODB', () =>
        startDynamoDbLocal(options.dynamodbPort),
      ),
    ]),
  )
  return { kinesis, dynamodb }
}

/**
 * Opens the stack: the given endpoints (flags, then AWS_ENDPOINT_URL_* variables, real
 * AWS included), or else DynamoDB Local and kinesalite started on free ports. Creates
 * the view's tables and the poller's checkpoints table if they are missing.
 */
export const openStack = async (options: StackOptions): Promise<Stack> =>
  options.aws === true ? openAws(options.stage) : openLocal(options)

/** The stage on AWS, as the SDK finds it (AWS_REGION, AWS_PROFILE, SSO, roles): reads only. */
const openAws = async (stage: string): Promise<Stack> => {
  const kinesis = makeKinesisClient({})
  const raw = makeDynamoClient({})
  const { views, destroy } = viewsFor(stage, {})
  return {
    kinesis,
    dynamo: documentClientOf(raw),
    names: tableNamesFor(stage),
    views,
    checkpointsTable: checkpointsTableFor(stage),
    meter: meterRequests(raw),
    stop: async () => {
      kinesis.destroy()
      raw.destroy()
      destroy()
    },
  }
}

const openLocal = async (options: StackOptions): Promise<Stack> => {
  const started: LocalService[] = []
  const stopStarted = () => Promise.all(started.map((service) => service.stop()))
  try {
    const endpoints = await endpointsOf(options, started)
    const account = accountOf(process.env)
    const kinesis = makeKinesisClient({ ...account, endpoint: endpoints.kinesis })
    const config = { ...account, endpoint: endpoints.dynamodb }
    const raw = makeDynamoClient(config)
    const { views, destroy } = viewsFor(options.stage, config)
    const stop = async () => {
      kinesis.destroy()
      raw.destroy()
      destroy()
      await stopStarted()
    }
    const names = tableNamesFor(options.stage)
    const checkpoints = checkpointsTableFor(options.stage)
    for (const view of STACK_VIEWS) await createViewTables(raw, view, views[view.name]?.names ?? {})
    await createTable(raw, checkpoints, checkpointsTable)
    const meter = meterRequests(raw)
    return {
      kinesis,
      dynamo: documentClientOf(raw),
      names,
      views,
      checkpointsTable: checkpoints,
      meter,
      stop,
    }
  } catch (error) {
    await stopStarted()
    throw error
  }
}
