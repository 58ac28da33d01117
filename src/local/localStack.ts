import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  DeleteTableCommand,
  type DynamoDBClient,
  type DynamoDBClientConfig,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb'
import { type KinesisClient, ResourceNotFoundException } from '@aws-sdk/client-kinesis'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { type TableNames, tableNamesFor } from '../adapters/tables'
import type { ArchiveStore } from '../runtime/archiveHandler'
import type { ArchiveSource } from '../runtime/archiveReader'
import { documentClientOf, makeDynamoClient } from '../runtime/dynamoStore'
import { SERVICE, viewTableNamesFor } from '../runtime/tables'
import {
  liveTable,
  liveTableFor,
  MAX_VERSION,
  readLivePointer,
  versionStageOf,
} from '../runtime/versions'
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
import { fileArchive } from './fileArchive'
import { deleteStream, listShards, makeKinesisClient, startKinesalite } from './kinesis'
import { meterRequests, type RequestMeter } from './requestMeter'
import { runningStack, stackHome } from './stackHome'

/** Where the stack runs: endpoints to use as they are, or none to start the emulators. */
export interface StackOptions {
  readonly kinesisEndpoint?: string
  readonly dynamodbEndpoint?: string
  readonly kinesisPort?: number
  readonly dynamodbPort?: number
  readonly stage: string
  /**
   * The version of the stage's views to use (its tables are `${stage}-v${n}`'s, see
   * `versions.ts`); by default the live one, which the stage's pointer names; `next`:
   * the one after it (a rebuild's).
   */
  readonly version?: number | 'next'
  /** Real AWS: the SDK's default endpoints, region and credentials; no emulator, no table created. */
  readonly aws?: boolean
  /** A reading command: it starts no emulator and creates no table, and fails when the view is not there. */
  readonly readOnly?: boolean
  /**
   * Start the stage afresh: its stream and tables deleted before they are created again.
   * Only ever on an emulator on this machine (a loopback endpoint): elsewhere it fails.
   */
  readonly fresh?: boolean
  /** Never use the stack that outlives commands: given endpoints, or emulators of its own. */
  readonly ownStack?: boolean
  /** A reading command that needs no view of the stage (publish: the stream alone). */
  readonly anyStage?: boolean
  /** A stream the command reads: it must exist before any table is created for the stage. */
  readonly existingStream?: string
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

/** A view's tables and client in a stack, or an error naming the view. */
export const placeOf = (stack: Pick<Stack, 'views'>, view: AnyView): StackView => {
  const place = stack.views[view.name]
  if (place === undefined) throw new Error(`the stack has no tables for the view ${view.name}`)
  return place
}

/** The category sales view's aggregate table in a stack. */
export const categorySalesTableOf = (stack: Stack): string => {
  const table = stack.views[categorySalesView.name]?.names.categorySales
  if (table === undefined) throw new Error('the stack runs no category sales view')
  return table
}

/** A view's Rejected table in a stack, by the view's name. */
export const rejectedTableOf = (stack: Stack, viewName: string): string => {
  const view = STACK_VIEWS.find((v) => v.name === viewName)
  const table =
    view === undefined ? undefined : stack.views[viewName]?.names[view.tables.rejected.role]
  if (table === undefined) throw new Error(`the stack runs no view ${viewName}`)
  return table
}

export interface Stack {
  /** The stage as named: its stream and its pointer are its own. */
  readonly stage: string
  /** The version of the stage's views in use, and the stage whose tables hold it. */
  readonly version: number
  readonly tablesStage: string
  /** Whether the version was asked for (--version), not found through the pointer. */
  readonly pinned: boolean
  /** The stage whose tables hold another stage's live version (`diff --against`). */
  readonly liveStageOf: (stage: string) => Promise<string>
  readonly kinesis: KinesisClient
  /** Where `kinesis` points; NO_KINESIS for a reading command given DynamoDB alone. */
  readonly kinesisEndpoint?: string
  /** Whether this command started emulators of its own (stopped with it). */
  readonly startedEmulators?: boolean
  /** Fails in one line when another stage on the same endpoint has no view (`diff --against`). */
  readonly requireStageView: (stage: string) => Promise<void>
  readonly dynamo: DynamoDBDocumentClient
  /** The winner view's tables. */
  readonly names: TableNames
  /** Every view's tables and client, by view name. */
  readonly views: Readonly<Record<string, StackView>>
  readonly checkpointsTable: string
  readonly meter: RequestMeter
  /** The archive of the stack's streams (a folder on this machine); none on AWS. */
  readonly archive?: LocalArchive
  readonly stop: () => Promise<void>
}

/** The local stack's archive: a folder (see `fileArchive`) and where it is. */
export type LocalArchive = ArchiveStore & ArchiveSource & { readonly root: string }

/**
 * Where the local archive keeps the streams' archives: a folder under the stack's home,
 * beside the emulators' data. Each stream's archive is named by the stream's name and
 * creation time, so that streams of one name (another emulator's, or one made again)
 * never mix.
 */
export const localArchiveOf = (home = stackHome()): LocalArchive => {
  const root = join(home, 'archive')
  return { ...fileArchive(root), root }
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

type Service = 'KINESIS' | 'DYNAMODB'

const FLAG_OF: Record<Service, string> = {
  KINESIS: '--kinesis-endpoint',
  DYNAMODB: '--dynamodb-endpoint',
}

/** An endpoint a user gave, checked: a URL with its scheme, or an error naming where it came from. */
export const checkedEndpoint = (text: string, from: string): string => {
  const url = URL.canParse(text) ? new URL(text) : undefined
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new Error(
      `${from}: expected a URL with its scheme, such as http://127.0.0.1:8000, got ${JSON.stringify(text)}`,
    )
  return text
}

const givenEndpoint = (given: string | undefined, service: Service): string | undefined => {
  if (given !== undefined) return checkedEndpoint(given, FLAG_OF[service])
  const variable = process.env[`AWS_ENDPOINT_URL_${service}`]
    ? `AWS_ENDPOINT_URL_${service}`
    : 'AWS_ENDPOINT_URL'
  const fromEnv = envEndpoint(service)
  return fromEnv === undefined ? undefined : checkedEndpoint(fromEnv, variable)
}

/** Why no DynamoDB answered at an endpoint: nothing listens, or something else does. */
const whyNoDynamo = (error: unknown): string => {
  const code = (error as { code?: string }).code
  if (code === 'ECONNREFUSED') return 'nothing answers there (connection refused): is the stack up?'
  const name = error instanceof Error ? error.name : String(error)
  return `no DynamoDB answered there (${name}); is it the Kinesis endpoint?`
}

/** The Kinesis endpoint of a reading command given DynamoDB alone: any call there fails at once. */
export const NO_KINESIS = 'http://127.0.0.1:0'

/** Whether an endpoint is on this machine: the only place a stage is ever deleted. */
export const isLoopback = (endpoint: string): boolean => {
  const host = new URL(endpoint).hostname
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host)
}

/** What a reading command says when there is nothing to read. */
export const NO_STACK =
  'no local stack is running: start one with `npm start` (the demo) or `winner-view up`, or name its endpoints with --dynamodb-endpoint (and --kinesis-endpoint)'

/**
 * The endpoints to use: given ones (flags, then AWS_ENDPOINT_URL_* variables), else the
 * stack that outlives commands (`winner-view up`, or the demo's), else, for a command
 * that writes, emulators started for it alone into `started`; a reading command never
 * starts one.
 */
const endpointsOf = async (options: StackOptions, started: LocalService[]) => {
  const given = {
    kinesis: givenEndpoint(options.kinesisEndpoint, 'KINESIS'),
    dynamodb: givenEndpoint(options.dynamodbEndpoint, 'DYNAMODB'),
  }
  if (given.kinesis !== undefined && given.dynamodb !== undefined)
    return { kinesis: given.kinesis, dynamodb: given.dynamodb }
  const running = options.ownStack === true ? undefined : await runningStack()
  if (running !== undefined)
    return {
      kinesis: given.kinesis ?? running.kinesis,
      dynamodb: given.dynamodb ?? running.dynamodb,
    }
  return withoutStack(options, given, started)
}

/**
 * With no stack running: a reading command given DynamoDB alone (top, product, user) needs
 * no Kinesis, and otherwise fails; a command that writes starts what was not given.
 */
const withoutStack = async (
  options: StackOptions,
  given: { readonly kinesis: string | undefined; readonly dynamodb: string | undefined },
  started: LocalService[],
) => {
  if (options.readOnly === true) {
    if (given.dynamodb !== undefined) return { kinesis: NO_KINESIS, dynamodb: given.dynamodb }
    throw new Error(NO_STACK)
  }
  const endpointOf = async (existing: string | undefined, start: () => Promise<LocalService>) => {
    if (existing !== undefined) return existing
    const local = await start()
    started.push(local)
    return local.endpoint
  }
  // Both are awaited before any failure counts, so that none is left running.
  const [kinesis, dynamodb] = settledOrThrow(
    await Promise.allSettled([
      endpointOf(given.kinesis, () => startKinesalite(options.kinesisPort)),
      endpointOf(given.dynamodb, () => startDynamoDbLocal(options.dynamodbPort)),
    ]),
  )
  return { kinesis, dynamodb }
}

/**
 * The table names DynamoDB lists at this endpoint; an endpoint where no DynamoDB answers
 * (the Kinesis emulator, say) is named with the flag that points at it.
 */
const listedTables = async (raw: DynamoDBClient, endpoint: string): Promise<string[]> => {
  const names: string[] = []
  let start: string | undefined
  try {
    do {
      const page = await raw.send(new ListTablesCommand({ ExclusiveStartTableName: start }))
      names.push(...(page.TableNames ?? []))
      start = page.LastEvaluatedTableName
    } while (start !== undefined)
  } catch (error) {
    throw new Error(`--dynamodb-endpoint ${endpoint}: ${whyNoDynamo(error)}`)
  }
  return names
}

/** A stage's tables of views and checkpoints, of every version, and its pointer. */
const tablesOfStage = (stage: string, tables: ReadonlyArray<string>): string[] => {
  const versionStages = tables
    .map(
      // The versions `versionStageOf` names: 2 to 999, no leading zero (`local-v1` is no version).
      (name) =>
        new RegExp(`^${SERVICE}-(${escapeRegExp(stage)}-v(?:[2-9]|[1-9][0-9]{1,2}))-`).exec(
          name,
        )?.[1],
    )
    .filter((found) => found !== undefined)
  const ours = new Set([
    ...[stage, ...versionStages].flatMap((s) => [
      ...STACK_VIEWS.flatMap((view) => Object.values(viewTableNamesFor(view, s))),
      checkpointsTableFor(s),
    ]),
    liveTableFor(stage),
  ])
  return tables.filter((t) => ours.has(t))
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Deletes a stage's stream and every table of its views' versions, checkpoints and pointer that `tables` lists. */
const deleteStage = async (
  raw: DynamoDBClient,
  kinesis: KinesisClient,
  stage: string,
  tables: ReadonlyArray<string>,
  archive: LocalArchive,
) => {
  for (const table of tablesOfStage(stage, tables))
    await raw.send(new DeleteTableCommand({ TableName: table }))
  await deleteStream(kinesis, `${stage}Stream`)
  // Its stream made again is another stream (another archive): the old one's goes.
  for (const part of ['records', 'shards'])
    await rm(join(archive.root, part, `${stage}Stream`), { recursive: true, force: true })
}

/**
 * Fails with one clear line when the stream does not exist at the endpoint, or when a
 * reading command given DynamoDB alone has no Kinesis to ask.
 */
export const requireStreamOn = async (
  kinesis: KinesisClient,
  streamName: string,
  kinesisEndpoint?: string,
): Promise<void> => {
  try {
    await listShards(kinesis, streamName)
  } catch (error) {
    if (error instanceof ResourceNotFoundException)
      throw new Error(`stream ${streamName} not found: create it, or name another with --stream`)
    if (kinesisEndpoint === NO_KINESIS)
      throw new Error(
        'no Kinesis endpoint: name one with --kinesis-endpoint, or start the local stack',
      )
    throw error
  }
}

/** A reading command's check: the stage's view is there, or one line says which stages are. */
const requireView = async (raw: DynamoDBClient, endpoint: string, stage: string) => {
  const tables = await listedTables(raw, endpoint)
  const wanted = tableNamesFor(stage).contributions
  if (tables.includes(wanted)) return
  const stages = tables
    .map((name) => /^winner-view-(.+)-Contributions$/.exec(name)?.[1])
    .filter((found) => found !== undefined)
  const there = stages.length === 0 ? 'no view at all there' : `stages there: ${stages.join(', ')}`
  throw new Error(
    `no view at stage ${stage} on ${endpoint} (table ${wanted} does not exist; ${there}): name the stage with --stage`,
  )
}

/**
 * Opens the stack: the given endpoints (flags, then AWS_ENDPOINT_URL_* variables, real
 * AWS included), or else DynamoDB Local and kinesalite started on free ports. Creates
 * the view's tables and the poller's checkpoints table if they are missing.
 */
export const openStack = async (options: StackOptions): Promise<Stack> =>
  options.aws === true ? openAws(options) : openLocal(options)

/** The stage whose tables hold a stage's live version, as its pointer names it. */
const liveStage = async (dynamo: DynamoDBDocumentClient, stage: string) =>
  versionStageOf(stage, (await readLivePointer(dynamo, stage)).version)

/** The version a command uses, and the stage whose tables hold it: the one asked for, else the live one. */
const versionOf = async (dynamo: DynamoDBDocumentClient, options: StackOptions) => {
  const asked = options.version
  if (typeof asked === 'number')
    return { version: asked, tablesStage: versionStageOf(options.stage, asked), pinned: true }
  const live = (await readLivePointer(dynamo, options.stage)).version
  const version = asked === 'next' ? live + 1 : live
  if (version > MAX_VERSION)
    throw new Error(`stage ${options.stage} has no version after ${MAX_VERSION}`)
  return { version, tablesStage: versionStageOf(options.stage, version), pinned: false }
}

/** The stage on AWS, as the SDK finds it (AWS_REGION, AWS_PROFILE, SSO, roles): reads only. */
const openAws = async (options: StackOptions): Promise<Stack> => {
  const kinesis = makeKinesisClient({})
  const raw = makeDynamoClient({})
  const dynamo = documentClientOf(raw)
  const version = await versionOf(dynamo, options)
  const { views, destroy } = viewsFor(version.tablesStage, {})
  return {
    stage: options.stage,
    ...version,
    liveStageOf: (other) => liveStage(dynamo, other),
    kinesis,
    requireStageView: (other) => requireView(raw, 'AWS', other),
    dynamo,
    names: tableNamesFor(version.tablesStage),
    views,
    checkpointsTable: checkpointsTableFor(version.tablesStage),
    meter: meterRequests(raw),
    stop: async () => {
      kinesis.destroy()
      raw.destroy()
      destroy()
    },
  }
}

/**
 * A writing command's tables: every view's and the checkpoints, created where missing,
 * after deleting the stage's tables and stream when it starts afresh (on this machine only).
 */
const prepareTables = async (
  raw: DynamoDBClient,
  dynamo: DynamoDBDocumentClient,
  kinesis: KinesisClient,
  options: StackOptions,
  endpoints: { readonly kinesis: string; readonly dynamodb: string },
  archive: LocalArchive,
) => {
  // Refused before any call: a stage elsewhere is never touched.
  const remote = [endpoints.dynamodb, endpoints.kinesis].find((e) => !isLoopback(e))
  if (options.fresh === true && remote !== undefined)
    throw new Error(
      `refusing to start stage ${options.stage} afresh (deleting its tables and stream) on ${remote}: only on an emulator of this machine`,
    )
  const tables = await listedTables(raw, endpoints.dynamodb)
  if (options.fresh === true) await deleteStage(raw, kinesis, options.stage, tables, archive)
  await createTable(raw, liveTableFor(options.stage), liveTable)
  const version = await versionOf(dynamo, options)
  for (const view of STACK_VIEWS)
    await createViewTables(raw, view, viewTableNamesFor(view, version.tablesStage))
  await createTable(raw, checkpointsTableFor(version.tablesStage), checkpointsTable)
  // The stream's archive is the stage's, whatever the version: its checkpoints too.
  await createTable(raw, checkpointsTableFor(options.stage), checkpointsTable)
  return version
}

/**
 * A command's version of the stage, its tables made ready: a reading command finds the
 * version's view there (or fails in one line); a writing one creates what is missing.
 */
const readyVersion = async (
  raw: DynamoDBClient,
  dynamo: DynamoDBDocumentClient,
  kinesis: KinesisClient,
  options: StackOptions,
  endpoints: { readonly kinesis: string; readonly dynamodb: string },
  archive: LocalArchive,
) => {
  if (options.readOnly !== true) {
    if (options.existingStream !== undefined)
      await requireStreamOn(kinesis, options.existingStream, endpoints.kinesis)
    return prepareTables(raw, dynamo, kinesis, options, endpoints, archive)
  }
  // First a call that names the flag when no DynamoDB answers there.
  await listedTables(raw, endpoints.dynamodb)
  const version = await versionOf(dynamo, options)
  if (options.anyStage !== true) await requireView(raw, endpoints.dynamodb, version.tablesStage)
  return version
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
    const archive = localArchiveOf()
    const dynamo = documentClientOf(raw)
    const version = await readyVersion(raw, dynamo, kinesis, options, endpoints, archive).catch(
      (error) => {
        raw.destroy()
        kinesis.destroy()
        throw error
      },
    )
    const { views, destroy } = viewsFor(version.tablesStage, config)
    return {
      stage: options.stage,
      ...version,
      liveStageOf: (stage) => liveStage(dynamo, stage),
      kinesis,
      kinesisEndpoint: endpoints.kinesis,
      startedEmulators: started.length > 0,
      requireStageView: (stage) => requireView(raw, endpoints.dynamodb, stage),
      dynamo,
      names: tableNamesFor(version.tablesStage),
      views,
      checkpointsTable: checkpointsTableFor(version.tablesStage),
      meter: meterRequests(raw),
      archive,
      stop: async () => {
        kinesis.destroy()
        raw.destroy()
        destroy()
        await stopStarted()
      },
    }
  } catch (error) {
    await stopStarted()
    throw error
  }
}
