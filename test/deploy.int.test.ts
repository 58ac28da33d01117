import { execFile } from 'node:child_process'
import { readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams'
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda'
import { tableNamesFor } from '../src/adapters/tables'
import { LOCAL_AWS } from '../src/local/dynamodbLocal'
import { readView } from '../src/local/viewReader'
import { generateWorkload } from '../src/local/workload'
import { documentClientOf, makeDynamoStore } from '../src/runtime/dynamoStore'
import { DEFAULT_RESERVE_MS, makeViewHandler } from '../src/runtime/handler'
import { PARTIALS_ROLE } from '../src/runtime/partials'
import {
  TABLE_ACTIONS,
  type TableDefinition,
  TOTALS_ACTIONS,
  tableEnvironment,
  viewTableNamesFor,
} from '../src/runtime/tables'
import { dynamoTotals, makeTotalsHandler } from '../src/runtime/totalsStage'
import { type AnyView, tablesOf as tablesOfView, type ViewTableNames } from '../src/runtime/view'
import { categorySalesView } from '../src/views/categorySales'
import { winnerView } from '../src/views/winner'
import { createTablesOf, dynamoEndpoint, freshStage, testClient } from './support/dynamo'
import {
  createData,
  creatorOrigin,
  imageData,
  ingress,
  kinesisRecord,
  photographerOrigin,
  purchaseData,
  sequenceNumber,
} from './support/fixtures'
import { tablesOf } from './support/normalize'
import { oracleRecordsOfKinesis, oracleTables } from './support/oracle'
import { batchesOf, toShards } from './support/stream'

jest.setTimeout(180_000)

const execFileAsync = promisify(execFile)
/** Runs a tool; a tool that is not installed fails with how to install it. */
const run = (file: string, args: string[], options: Parameters<typeof execFileAsync>[2] = {}) =>
  execFileAsync(file, args, options).catch((error: { code?: unknown }) => {
    if (error.code === 'ENOENT' && file === 'unzip')
      throw new Error('unzip is not installed: apt-get install unzip')
    throw error
  })
const root = join(__dirname, '..')
const BUNDLE_BUDGET_BYTES = 800 * 1024
const ZIP_BUDGET_BYTES = 1024 * 1024

type Resource = { Type: string; Properties: Record<string, unknown> }
let resources: Record<string, Resource>
let outputs: Record<string, { Value: unknown }>
// Each stage is packaged into a folder of its own: osls clears .serverless when told another.
const devFolder = join(tmpdir(), `winner-view-dev-${process.pid}`)
const prodFolder = join(tmpdir(), `winner-view-prod-${process.pid}`)
const OFFLINE = {
  AWS_ACCESS_KEY_ID: 'offline',
  AWS_SECRET_ACCESS_KEY: 'offline',
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
}

afterAll(async () => {
  await Promise.all([devFolder, prodFolder].map((f) => rm(f, { recursive: true, force: true })))
})

beforeAll(async () => {
  await run('npx', ['osls', 'package', '--stage', 'dev', '--package', devFolder], {
    cwd: root,
    env: { ...process.env, ...OFFLINE },
  })
  const template = JSON.parse(
    await readFile(join(devFolder, 'cloudformation-template-update-stack.json'), 'utf8'),
  )
  resources = template.Resources
  outputs = template.Outputs
})

const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type)

/** The dev stage packaged with these parameters, into a folder of its own: its template, and what cfn-lint says of it (0: no error). */
const packagedDevWith = async (name: string, params: string[]) => {
  const folder = join(tmpdir(), `winner-view-${name}-${process.pid}`)
  const args = params.map((param) => `--param=${param}`)
  await run('npx', ['osls', 'package', '--stage', 'dev', '--package', folder, ...args], {
    cwd: root,
    env: { ...process.env, ...OFFLINE },
  })
  const file = join(folder, 'cloudformation-template-update-stack.json')
  const lint = await run('cfn-lint', [file]).then(
    () => 0,
    (error: { code: number; stdout: string }) => (error.code & 2 ? error.stdout : 0),
  )
  const template = JSON.parse(await readFile(file, 'utf8'))
  await rm(folder, { recursive: true, force: true })
  return {
    resources: template.Resources as Record<string, Resource>,
    outputs: template.Outputs as Record<string, { Value: unknown }>,
    lint,
  }
}

/** Each view as deployed: its function's, role's and mapping's logical ids, its alarms' prefix. */
const DEPLOYED = [
  { view: winnerView, id: 'Winner', alarms: '', queue: 'FailedBatchesQueue' },
  {
    view: categorySalesView,
    id: 'CategorySales',
    alarms: 'CategorySales',
    queue: 'CategorySalesFailedBatchesQueue',
  },
] as const

/** Every view's tables' logical ids, in the order the runtime lists them (`tablesOf`). */
const TABLE_IDS = [
  'ContributionsTable',
  'ScoresTable',
  'ContributionsPartialsTable',
  'RejectedTable',
  'ContributionsMarksTable',
  'CategoryProductsTable',
  'CategorySalesTable',
  'CategoryProductsPartialsTable',
  'CategoryRejectedTable',
  'CategoryProductsMarksTable',
]

/** The IAM actions a DynamoDB call needs, per table: a transaction needs those of its items. */
const iamActionsOf = (command: string, input: Record<string, unknown>): Array<[string, string]> => {
  if (command === 'TransactWriteItemsCommand') {
    const items = (input.TransactItems ?? []) as Array<Record<string, { TableName: string }>>
    const itemAction: Record<string, string> = {
      Put: 'PutItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      ConditionCheck: 'ConditionCheckItem',
    }
    return items.flatMap((item) =>
      Object.entries(item).map(([kind, op]): [string, string] => [
        op.TableName,
        `dynamodb:${itemAction[kind]}`,
      ]),
    )
  }
  const tables = Object.keys((input.RequestItems ?? {}) as object)
  const action = `dynamodb:${command.replace(/Command$/, '')}`
  return (tables.length > 0 ? tables : [String(input.TableName)]).map((table) => [table, action])
}

/** A client on DynamoDB Local recording, as `<table's logical id> <IAM action>`, what each call needs. */
const recordingClient = (view: AnyView, names: ViewTableNames) => {
  const base = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamoEndpoint() })
  const used = new Set<string>()
  const logicalIdOf = (table: string) => {
    const found = tablesOfView(view).find(({ role }) => names[role] === table)
    return found === undefined ? table : `${found.suffix}Table`
  }
  base.middlewareStack.add(
    (next, context) => async (args) => {
      for (const [table, action] of iamActionsOf(
        context.commandName ?? '',
        args.input as Record<string, unknown>,
      ))
        used.add(`${logicalIdOf(table)} ${action}`)
      return next(args)
    },
    { step: 'initialize', name: 'iamRecorder' },
  )
  return { base, used }
}

/** Folds a realistic log into a view's tables in a new stage with its handler on `client`. */
const foldWorkload = async (view: AnyView, names: ViewTableNames, client: DynamoDBClient) => {
  const handler = makeViewHandler(view, {
    store: makeDynamoStore(view, { client: documentClientOf(client), names }),
    log: () => {},
  })
  const workload = generateWorkload({ events: 1000, seed: 2, edgeCases: true })
  for (const batch of batchesOf(toShards(workload, 1)[0] ?? [], 100)) await handler(batch)
}

/** The DynamoDB actions a view's handler calls, per table's logical id, over a realistic log. */
const actionsCalledBy = async (view: AnyView): Promise<Set<string>> => {
  const names = viewTableNamesFor(view, freshStage())
  await createTablesOf(view, names)
  const { base, used } = recordingClient(view, names)
  await foldWorkload(view, names, base)
  base.destroy()
  return used
}

/** A stream record as Lambda hands it over: its creation time in epoch seconds. */
const lambdaRecordOf = (record: StreamRecord): DynamoDBRecord =>
  ({
    ...record,
    dynamodb: {
      ...record.dynamodb,
      ApproximateCreationDateTime:
        (record.dynamodb?.ApproximateCreationDateTime?.getTime() ?? 0) / 1000,
    },
  }) as DynamoDBRecord

/** Every record of one shard of a DynamoDB Local stream, oldest first. */
const shardRecords = async (streams: DynamoDBStreamsClient, StreamArn: string, ShardId: string) => {
  const records: StreamRecord[] = []
  let iterator = (
    await streams.send(
      new GetShardIteratorCommand({ StreamArn, ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    )
  ).ShardIterator
  while (iterator !== undefined) {
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }))
    if ((page.Records ?? []).length === 0) break
    records.push(...(page.Records ?? []))
    iterator = page.NextShardIterator
  }
  return records
}

/** What the totals mapping would deliver of a partials table's stream: batches of 1,000, in stream order. */
const partialsStreamBatches = async (table: string): Promise<DynamoDBStreamEvent[]> => {
  const local = { ...LOCAL_AWS, endpoint: dynamoEndpoint() }
  const dynamo = new DynamoDBClient(local)
  const streams = new DynamoDBStreamsClient(local)
  const described = await dynamo.send(new DescribeTableCommand({ TableName: table }))
  const StreamArn = described.Table?.LatestStreamArn ?? ''
  const stream = await streams.send(new DescribeStreamCommand({ StreamArn }))
  const records: StreamRecord[] = []
  for (const { ShardId } of stream.StreamDescription?.Shards ?? [])
    records.push(...(await shardRecords(streams, StreamArn, ShardId ?? '')))
  dynamo.destroy()
  streams.destroy()
  // A child shard's sequence numbers follow its parent's: one order keeps each item's.
  records.sort((a, b) => {
    const [x, y] = [a, b].map((r) => BigInt(r.dynamodb?.SequenceNumber ?? '0'))
    return x === y ? 0 : (x ?? 0n) < (y ?? 0n) ? -1 : 1
  })
  const batches: DynamoDBStreamEvent[] = []
  for (let at = 0; at < records.length; at += 1000)
    batches.push({ Records: records.slice(at, at + 1000).map(lambdaRecordOf) })
  return batches
}

/** The DynamoDB actions a view's totals handler calls, per logical id, on what a realistic log left in its partials, delivered twice. */
const actionsCalledByTotals = async (view: AnyView): Promise<Set<string>> => {
  const names = viewTableNamesFor(view, freshStage())
  await createTablesOf(view, names)
  const plain = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamoEndpoint() })
  await foldWorkload(view, names, plain)
  plain.destroy()
  const { base, used } = recordingClient(view, names)
  const handler = makeTotalsHandler(view, dynamoTotals(documentClientOf(base), names), () => {})
  const batches = await partialsStreamBatches(names[PARTIALS_ROLE] ?? '')
  // Delivered again, as after a failed batch: the updates are refused, the totals unchanged.
  for (const batch of [...batches, ...batches])
    expect(await handler(batch)).toEqual({ batchItemFailures: [] })
  base.destroy()
  return used
}

type Statement = { Effect: string; Action: string[]; Resource: unknown; Condition?: unknown }
type Policy = { PolicyName: string; PolicyDocument: { Statement: Statement[] } }
const statementsOf = (role: Resource | undefined): Statement[] => {
  const policies = (role?.Properties.Policies ?? []) as Policy[]
  expect(policies).toHaveLength(1)
  return policies[0]?.PolicyDocument.Statement ?? []
}

/** Runs an export of a packaged function's bundle in a fresh node on each event; its output lines, parsed. */
const runBundled = async (
  [zipName, file, exportName]: [string, string, string],
  events: ReadonlyArray<unknown>,
  names: ViewTableNames,
): Promise<Array<Record<string, unknown>>> => {
  const folder = join(devFolder, `unzipped-${zipName}`)
  await run('unzip', ['-o', '-q', join(devFolder, `${zipName}.zip`), '-d', folder])
  const script = `const { ${exportName}: handler } = require(${JSON.stringify(join(folder, file))});
      let input = ''; process.stdin.on('data', (c) => (input += c)).on('end', async () => {
        for (const event of JSON.parse(input)) process.stdout.write(JSON.stringify(await handler(event)) + '\\n')
      })`
  const child = execFile(process.execPath, ['-e', script], {
    env: {
      PATH: process.env.PATH,
      ...tableEnvironment(names),
      WINNER_VIEW_STAGE: 'dev',
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint(),
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  })
  const output = new Promise<string>((resolve, reject) => {
    let text = ''
    child.stdout?.on('data', (chunk) => (text += chunk))
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}`))))
  })
  child.stdin?.end(JSON.stringify(events))
  return (await output)
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
}

/** A table's definition as CloudFormation takes it: a stream without the API's StreamEnabled. */
const cfnDefinitionOf = ({ StreamSpecification, ...definition }: TableDefinition) =>
  StreamSpecification === undefined
    ? definition
    : { ...definition, StreamSpecification: { StreamViewType: StreamSpecification.StreamViewType } }

describe('the deployment', () => {
  it('passes cfn-lint with no errors', async () => {
    const lint = await run('cfn-lint', [
      join(devFolder, 'cloudformation-template-update-stack.json'),
    ]).then(
      () => 0,
      (error: { code: number | string; stdout: string }) => {
        // A linter that is not there is no pass: execFile's code is then the string ENOENT.
        if (typeof error.code !== 'number')
          throw new Error(
            `cfn-lint could not run (${error.code}): install it with pip install cfn-lint`,
          )
        return error.code & 2 ? error.stdout : 0
      },
    )
    expect(lint).toBe(0)
  })

  it('gives each function a timeout above the time reserve, so that a batch can start a transaction', () => {
    const timeouts = ofType('AWS::Lambda::Function').map((f) => f.Properties.Timeout)
    // The views' and totals stages' functions, then the archive's.
    expect(timeouts).toEqual([60, 60, 60, 60, 120])
    for (const timeout of timeouts)
      expect(Number(timeout) * 1000).toBeGreaterThan(DEFAULT_RESERVE_MS)
  })

  it.each(DEPLOYED)(
    'maps the stream to the $view.name function from TRIM_HORIZON with partial failures, bisection, no record age limit and EventCount metrics',
    ({ id, queue }) => {
      expect(resources[`${id}StreamMapping`]?.Properties).toMatchObject({
        FunctionName: { 'Fn::GetAtt': [`${id}LambdaFunction`, 'Arn'] },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 500,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRecordAgeInSeconds: -1,
        MaximumRetryAttempts: -1,
        ParallelizationFactor: 1,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } },
        },
        MetricsConfig: { Metrics: ['EventCount'] },
      })
      // One mapping per view (each its own position in every shard), one per totals stage,
      // and the archive's.
      expect(ofType('AWS::Lambda::EventSourceMapping')).toHaveLength(5)
      expect(JSON.stringify(resources[`${id}StreamMapping`]?.Properties.EventSourceArn)).toContain(
        ':stream/devStream',
      )
    },
  )

  it('runs the handler on nodejs24.x, arm64, with reserved concurrency and the tables and stage in its environment', () => {
    expect(ofType('AWS::Lambda::Function')).toHaveLength(5)
    expect(resources.WinnerLambdaFunction?.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'src/handlers/winner.handler',
      ReservedConcurrentExecutions: 10,
      Environment: {
        Variables: {
          WINNER_VIEW_STAGE: 'dev',
          REJECTED_RETENTION_DAYS: 'none',
          TABLE_CONTRIBUTIONS_NAME: { Ref: 'ContributionsTable' },
          TABLE_SCORES_NAME: { Ref: 'ScoresTable' },
          TABLE_PARTIALS_NAME: { Ref: 'ContributionsPartialsTable' },
          TABLE_REJECTED_NAME: { Ref: 'RejectedTable' },
          TABLE_MARKS_NAME: { Ref: 'ContributionsMarksTable' },
        },
      },
      Role: { 'Fn::GetAtt': ['WinnerRole', 'Arn'] },
    })
    expect(resources.CategorySalesLambdaFunction?.Properties).toMatchObject({
      Handler: 'src/handlers/categorySales.handler',
      ReservedConcurrentExecutions: 10,
      Environment: {
        Variables: {
          WINNER_VIEW_STAGE: 'dev',
          TABLE_CATEGORY_PRODUCTS_NAME: { Ref: 'CategoryProductsTable' },
          TABLE_CATEGORY_SALES_NAME: { Ref: 'CategorySalesTable' },
          TABLE_PARTIALS_NAME: { Ref: 'CategoryProductsPartialsTable' },
          TABLE_CATEGORY_REJECTED_NAME: { Ref: 'CategoryRejectedTable' },
          TABLE_MARKS_NAME: { Ref: 'CategoryProductsMarksTable' },
        },
      },
      Role: { 'Fn::GetAtt': ['CategorySalesRole', 'Arn'] },
    })
    // Each function sees its own tables only.
    const winnerVariables = JSON.stringify(resources.WinnerLambdaFunction?.Properties.Environment)
    expect(winnerVariables).not.toContain('CATEGORY')
  })

  it('creates the tables from the one definition, named after the service, kept on remove but not on a failed create', () => {
    // Each view's tables as the runtime lists them, then the stage's Live table.
    expect(
      Object.entries(resources)
        .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')
        .map(([id]) => id),
    ).toEqual([...TABLE_IDS, 'LiveTable'])
    const all = DEPLOYED.flatMap(({ view }) => tablesOfView(view))
    for (const { suffix, definition } of all) {
      const table = resources[`${suffix}Table`] as Resource & {
        DeletionPolicy: string
        UpdateReplacePolicy: string
      }
      const { TableName, BillingMode, PointInTimeRecoverySpecification, ...rest } = table.Properties
      expect({ TableName, BillingMode, PointInTimeRecoverySpecification }).toEqual({
        TableName: `winner-view-dev-${suffix}`,
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      })
      expect(rest).toEqual({ ...cfnDefinitionOf(definition), DeletionProtectionEnabled: false })
      expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual([
        'RetainExceptOnCreate',
        'Retain',
      ])
    }
  })

  it.each([
    ['ContributionsPartialsTable', 'winner-view-dev-ContributionsPartials'],
    ['CategoryProductsPartialsTable', 'winner-view-dev-CategoryProductsPartials'],
  ])(
    'keeps each view’s partial sums in %s, by item and writer, with a stream of old and new images and no StreamEnabled',
    (id, TableName) => {
      expect(resources[id]).toEqual({
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'item', AttributeType: 'S' },
            { AttributeName: 'writer', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'item', KeyType: 'HASH' },
            { AttributeName: 'writer', KeyType: 'RANGE' },
          ],
          StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: false,
        },
      })
    },
  )

  it.each([
    ['ContributionsMarksTable', 'winner-view-dev-ContributionsMarks'],
    ['CategoryProductsMarksTable', 'winner-view-dev-CategoryProductsMarks'],
  ])(
    'keeps each view’s freshness marks in %s, an item by shardId, with no stream, time to live or warm throughput',
    (id, TableName) => {
      expect(resources[id]).toEqual({
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'shardId', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'shardId', KeyType: 'HASH' }],
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: false,
        },
      })
    },
  )

  it('keeps the stage’s live version in one Live table, by stage, outputs its name, and no function’s role or environment names it', () => {
    expect(resources.LiveTable).toEqual({
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: 'winner-view-dev-Live',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'stage', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'stage', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: false,
      },
    })
    expect(outputs.LiveTableName).toEqual({ Value: { Ref: 'LiveTable' } })
    // The CLI alone reads and moves the pointer: every role, and every other resource, leaves it out.
    const roles = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role')
    expect(roles.map(([id]) => id).sort()).toEqual([
      'ArchiveRole',
      'CategorySalesRole',
      'CategorySalesTotalsRole',
      'WinnerRole',
      'WinnerTotalsRole',
    ])
    const naming = Object.entries(resources)
      .filter(([id, r]) => id !== 'LiveTable' && /LiveTable|-dev-Live/.test(JSON.stringify(r)))
      .map(([id]) => id)
    expect(naming).toEqual([])
  })

  it.each([
    ['WinnerTotals', 'winner', 'ContributionsPartialsTable', 'WinnerLambdaFunction'],
    [
      'CategorySalesTotals',
      'categorySales',
      'CategoryProductsPartialsTable',
      'CategorySalesLambdaFunction',
    ],
  ])(
    'runs the %s stage from the %s module on its partials’ stream, from TRIM_HORIZON, retrying forever, one batch of a shard at a time',
    (id, module, partials, viewFunction) => {
      expect(resources[`${id}LambdaFunction`]?.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: `src/handlers/${module}.totals`,
        MemorySize: 512,
        Timeout: 60,
        Role: { 'Fn::GetAtt': [`${id}Role`, 'Arn'] },
        // Its view's environment: the module builds both handlers at load.
        Environment: resources[viewFunction]?.Properties.Environment,
      })
      expect(
        resources[`${id}LambdaFunction`]?.Properties.ReservedConcurrentExecutions,
      ).toBeUndefined()
      expect(resources[`${id}StreamMapping`]).toEqual({
        Type: 'AWS::Lambda::EventSourceMapping',
        DependsOn: [`${id}Role`],
        Properties: {
          FunctionName: { 'Fn::GetAtt': [`${id}LambdaFunction`, 'Arn'] },
          EventSourceArn: { 'Fn::GetAtt': [partials, 'StreamArn'] },
          StartingPosition: 'TRIM_HORIZON',
          BatchSize: 1000,
          MaximumBatchingWindowInSeconds: 0,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          BisectBatchOnFunctionError: true,
          MaximumRetryAttempts: -1,
          MaximumRecordAgeInSeconds: -1,
          ParallelizationFactor: 10,
          MetricsConfig: { Metrics: ['EventCount'] },
        },
      })
    },
  )

  it.each([
    ['WinnerTotals', 'winnerTotals', 'ContributionsPartialsTable', 'ScoresTable'],
    [
      'CategorySalesTotals',
      'categorySalesTotals',
      'CategoryProductsPartialsTable',
      'CategorySalesTable',
    ],
  ])(
    'grants the %s role the partials’ stream reads, a query of its partials, GetItem, PutItem and UpdateItem on the totals, and its own logs: nothing else',
    (id, functionKey, partials, aggregate) => {
      expect(statementsOf(resources[`${id}Role`])).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Resource: { 'Fn::GetAtt': [partials, 'StreamArn'] },
        },
        { Effect: 'Allow', Action: ['dynamodb:ListStreams'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['dynamodb:Query'],
          Resource: { 'Fn::GetAtt': [partials, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: { 'Fn::GetAtt': [aggregate, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: {
            'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/winner-view-dev-${functionKey}:*`,
          },
        },
      ])
    },
  )

  it.each([
    [
      'Winner',
      'ContributionsTable',
      'ScoresTable',
      'ContributionsPartialsTable',
      'RejectedTable',
      'ContributionsMarksTable',
      'CategoryProductsMarksTable',
    ],
    [
      'CategorySales',
      'CategoryProductsTable',
      'CategorySalesTable',
      'CategoryProductsPartialsTable',
      'CategoryRejectedTable',
      'CategoryProductsMarksTable',
      'ContributionsMarksTable',
    ],
  ])(
    'lets the %s function add to its partials, put its own freshness marks and only describe its totals, which the totals stage alone moves',
    (id, state, aggregate, partials, rejected, marks, otherMarks) => {
      const tables = statementsOf(resources[`${id}Role`]).filter((s) =>
        s.Action.some((a) => a.startsWith('dynamodb:')),
      )
      const arn = (table: string) => ({ 'Fn::GetAtt': [table, 'Arn'] })
      expect(tables).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:BatchGetItem', 'dynamodb:DescribeTable', 'dynamodb:PutItem'],
          Resource: arn(state),
        },
        { Effect: 'Allow', Action: ['dynamodb:DescribeTable'], Resource: arn(aggregate) },
        {
          Effect: 'Allow',
          Action: ['dynamodb:DescribeTable', 'dynamodb:UpdateItem'],
          Resource: arn(partials),
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:BatchWriteItem', 'dynamodb:DescribeTable'],
          Resource: arn(rejected),
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:DescribeTable', 'dynamodb:UpdateItem'],
          Resource: arn(marks),
        },
      ])
      // Nothing of the other view's marks.
      expect(JSON.stringify(resources[`${id}Role`])).not.toContain(otherMarks)
    },
  )

  it.each(
    ['', 'CategorySales'].flatMap((prefix) =>
      [
        // id, severity, namespace, metric, statistic, period, M of N, comparison, threshold
        [
          'IteratorAgeAlarm',
          'page',
          'AWS/Lambda',
          'IteratorAge',
          'Maximum',
          60,
          3,
          3,
          '>',
          600_000,
        ],
        ['ErrorsAlarm', 'page', 'AWS/Lambda', 'Errors', 'Sum', 60, 3, 3, '>=', 1],
        [
          'UnfinishedBatchesAlarm',
          'page',
          'WinnerView',
          'unfinishedBatches',
          'Sum',
          60,
          5,
          5,
          '>=',
          1,
        ],
        [
          'FailedBatchesAlarm',
          'page',
          'AWS/SQS',
          'ApproximateNumberOfMessagesVisible',
          'Maximum',
          60,
          1,
          1,
          '>',
          0,
        ],
        ['NearTimeoutAlarm', 'ticket', 'AWS/Lambda', 'Duration', 'Maximum', 60, 3, 5, '>', 32_800],
        ['ThrottlesAlarm', 'ticket', 'AWS/Lambda', 'Throttles', 'Sum', 300, 1, 1, '>', 0],
        ['TableThrottlesAlarm', 'ticket', 'WinnerView', 'throttles', 'Sum', 300, 1, 1, '>', 0],
        ['ConflictsAlarm', 'ticket', 'WinnerView', 'conflicts', 'Sum', 300, 1, 1, '>', 100],
        ['TotalsErrorsAlarm', 'page', 'AWS/Lambda', 'Errors', 'Sum', 60, 3, 3, '>=', 1],
        [
          'TotalsIteratorAgeAlarm',
          'page',
          'AWS/Lambda',
          'IteratorAge',
          'Maximum',
          60,
          3,
          3,
          '>',
          60_000,
        ],
      ].map(([id, ...rest]) => [`${prefix}${id}`, ...rest] as const),
    ),
  )(
    'alarms with %s (a %s) on %s %s, %s over %ds, %d of %d periods %s %d, on ALARM and OK',
    (id, severity, namespace, metric, statistic, period, m, n, comparison, threshold) => {
      const topic = { Ref: severity === 'page' ? 'AlarmTopic' : 'TicketTopic' }
      expect(resources[id]?.Properties).toMatchObject({
        AlarmDescription: expect.stringMatching(new RegExp(`^\\[${severity}\\] `)),
        Namespace: namespace,
        MetricName: metric,
        Statistic: statistic,
        Period: period,
        DatapointsToAlarm: m,
        EvaluationPeriods: n,
        ComparisonOperator:
          comparison === '>' ? 'GreaterThanThreshold' : 'GreaterThanOrEqualToThreshold',
        Threshold: threshold,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
        OKActions: [topic],
      })
    },
  )

  it.each([
    ['Winner', '', 'winner-view', 'winner-view-dev-'],
    ['CategorySales', 'CategorySales', 'category-sales', 'winner-view-dev-category-sales-'],
  ])(
    'watches the %s totals stage: its own function’s errors and iterator age, and a ticket when its p99 lag passes 5 s for 15 minutes',
    (id, prefix, service, name) => {
      const fn = [{ Name: 'FunctionName', Value: { Ref: `${id}TotalsLambdaFunction` } }]
      expect(resources[`${prefix}TotalsErrorsAlarm`]?.Properties).toMatchObject({
        AlarmName: `${name}totals-errors`,
        Dimensions: fn,
      })
      expect(resources[`${prefix}TotalsIteratorAgeAlarm`]?.Properties).toMatchObject({
        AlarmName: `${name}totals-iterator-age`,
        Dimensions: fn,
      })
      expect(resources[`${prefix}TotalsLagAlarm`]).toEqual({
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: `${name}totals-lag`,
          AlarmDescription: expect.stringMatching(/^\[ticket\] The totals trail/),
          Namespace: 'WinnerView',
          MetricName: 'totalsNewestChangeAgeMs',
          Dimensions: [
            { Name: 'service', Value: service },
            { Name: 'stage', Value: 'dev' },
          ],
          ExtendedStatistic: 'p99',
          Period: 300,
          EvaluationPeriods: 3,
          DatapointsToAlarm: 3,
          Threshold: 5000,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: 'TicketTopic' }],
          OKActions: [{ Ref: 'TicketTopic' }],
        },
      })
    },
  )

  it.each(DEPLOYED)(
    'pages when records arrive on the stream and the $view.name mapping polls none for 5 minutes',
    ({ id, alarms, view }) => {
      const name = `winner-view-dev-${view.name === 'winner-view' ? '' : 'category-sales-'}`
      expect(resources[`${alarms}StalledAlarm`]).toMatchObject({
        Type: 'AWS::CloudWatch::CompositeAlarm',
        Properties: {
          AlarmName: `${name}stalled`,
          AlarmRule: `ALARM("${name}stalled-incoming") AND ALARM("${name}stalled-polled")`,
          AlarmActions: [{ Ref: 'AlarmTopic' }],
          OKActions: [{ Ref: 'AlarmTopic' }],
        },
      })
      // Its parts notify no one: records in five minutes in a row, and none polled.
      const incoming = resources[`${alarms}StalledIncomingAlarm`]?.Properties
      expect(incoming).toMatchObject({
        Namespace: 'AWS/Kinesis',
        MetricName: 'IncomingRecords',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        TreatMissingData: 'notBreaching',
      })
      expect(incoming?.AlarmActions).toBeUndefined()
      const polled = resources[`${alarms}StalledPolledAlarm`]?.Properties
      expect(polled).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'PolledEventCount',
        Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: `${id}StreamMapping` } }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        // A mapping gone silent emits nothing at all: that counts as none polled.
        TreatMissingData: 'breaching',
      })
      expect(polled?.OKActions).toBeUndefined()
    },
  )

  it.each([
    ['Winner', '', 'winner-view', 'winner-view-dev-'],
    ['CategorySales', 'CategorySales', 'category-sales', 'winner-view-dev-category-sales-'],
  ])(
    'pages when the %s view writes its partials and its totals mapping polls none for 5 minutes',
    (id, prefix, service, name) => {
      expect(resources[`${prefix}TotalsStalledAlarm`]).toEqual({
        Type: 'AWS::CloudWatch::CompositeAlarm',
        DependsOn: [`${prefix}TotalsStalledWritesAlarm`, `${prefix}TotalsStalledPolledAlarm`],
        Properties: {
          AlarmName: `${name}totals-stalled`,
          AlarmDescription: expect.stringMatching(
            /^\[page\] The view writes its partials but the totals mapping polls no change/,
          ),
          AlarmRule: `ALARM("${name}totals-stalled-writes") AND ALARM("${name}totals-stalled-polled")`,
          AlarmActions: [{ Ref: 'AlarmTopic' }],
          OKActions: [{ Ref: 'AlarmTopic' }],
        },
      })
      // Its parts notify no one: the view folds five minutes in a row, an idle minute not breaching…
      expect(resources[`${prefix}TotalsStalledWritesAlarm`]).toEqual({
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: `${name}totals-stalled-writes`,
          AlarmDescription: expect.stringMatching(/^The view writes states and their partials/),
          Namespace: 'WinnerView',
          MetricName: 'writes',
          Dimensions: [
            { Name: 'service', Value: service },
            { Name: 'stage', Value: 'dev' },
          ],
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 5,
          DatapointsToAlarm: 5,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        },
      })
      // …and the totals mapping polls no change, a silent minute counting as none polled.
      expect(resources[`${prefix}TotalsStalledPolledAlarm`]).toEqual({
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: `${name}totals-stalled-polled`,
          AlarmDescription: expect.stringMatching(/^The totals mapping polls no change/),
          Namespace: 'AWS/Lambda',
          MetricName: 'PolledEventCount',
          Dimensions: [
            { Name: 'EventSourceMappingUUID', Value: { Ref: `${id}TotalsStreamMapping` } },
          ],
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 5,
          DatapointsToAlarm: 5,
          Threshold: 1,
          ComparisonOperator: 'LessThanThreshold',
          TreatMissingData: 'breaching',
        },
      })
    },
  )

  it('runs the archive on a function of its own: 512 MB, 120 s, its own role, its bucket and stage in its environment, no table', () => {
    expect(resources.ArchiveLambdaFunction?.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'src/handlers/archive.handler',
      MemorySize: 512,
      Timeout: 120,
      Role: { 'Fn::GetAtt': ['ArchiveRole', 'Arn'] },
      Environment: {
        Variables: { WINNER_VIEW_STAGE: 'dev', ARCHIVE_BUCKET: { Ref: 'ArchiveBucket' } },
      },
    })
    expect(JSON.stringify(resources.ArchiveLambdaFunction?.Properties.Environment)).not.toContain(
      'TABLE_',
    )
    expect(resources.ArchiveLambdaFunction?.Properties.ReservedConcurrentExecutions).toBeUndefined()
  })

  it('maps the stream to the archive from TRIM_HORIZON in batches of up to 10,000 records or a minute, one at a time per shard, retried and split until written', () => {
    expect(resources.ArchiveStreamMapping).toEqual({
      Type: 'AWS::Lambda::EventSourceMapping',
      DependsOn: ['ArchiveRole'],
      Properties: {
        FunctionName: { 'Fn::GetAtt': ['ArchiveLambdaFunction', 'Arn'] },
        EventSourceArn: resources.WinnerStreamMapping?.Properties.EventSourceArn,
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 10000,
        MaximumBatchingWindowInSeconds: 60,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: -1,
        MaximumRecordAgeInSeconds: -1,
        ParallelizationFactor: 1,
        MetricsConfig: { Metrics: ['EventCount'] },
      },
    })
  })

  it('grants the archive role the stream reads and ListShards, PutObject on the bucket’s objects, and its own logs: nothing else', () => {
    expect(statementsOf(resources.ArchiveRole)).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'kinesis:DescribeStream',
          'kinesis:DescribeStreamSummary',
          'kinesis:GetRecords',
          'kinesis:GetShardIterator',
          'kinesis:ListShards',
        ],
        Resource: resources.WinnerStreamMapping?.Properties.EventSourceArn,
      },
      {
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: { 'Fn::Sub': `\${ArchiveBucket.Arn}/*` },
      },
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: {
          'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/winner-view-dev-archive:*`,
        },
      },
    ])
  })

  it('keeps the archive in a bucket of its own: retained, private, owned by the account, encrypted by S3, to STANDARD_IA after 30 days and never expired, over TLS only', () => {
    expect(resources.ArchiveBucket).toEqual({
      Type: 'AWS::S3::Bucket',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
          ],
        },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'archive-storage',
              Status: 'Enabled',
              Prefix: 'records/',
              Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
            },
          ],
        },
      },
    })
    expect(resources.ArchiveBucketPolicy?.Properties).toEqual({
      Bucket: { Ref: 'ArchiveBucket' },
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyPlainHttp',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [
              { 'Fn::GetAtt': ['ArchiveBucket', 'Arn'] },
              { 'Fn::Sub': `\${ArchiveBucket.Arn}/*` },
            ],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    })
    const template = resources as unknown as Record<string, unknown>
    expect(template).not.toHaveProperty('ArchiveBucket.Properties.BucketName')
    expect(template).not.toHaveProperty('ArchiveBucket.Properties.VersioningConfiguration')
  })

  it('outputs the archive bucket’s name and the archive mapping’s id', () => {
    expect(outputs.ArchiveBucketName).toMatchObject({ Value: { Ref: 'ArchiveBucket' } })
    expect(outputs.ArchiveStreamMappingId).toMatchObject({
      Value: { Ref: 'ArchiveStreamMapping' },
    })
  })

  it('pages when the archive stops, keeps failing, or falls an hour behind', () => {
    const page = { AlarmActions: [{ Ref: 'AlarmTopic' }], OKActions: [{ Ref: 'AlarmTopic' }] }
    const fn = [{ Name: 'FunctionName', Value: { Ref: 'ArchiveLambdaFunction' } }]
    expect(resources.ArchiveStalledAlarm).toEqual({
      Type: 'AWS::CloudWatch::CompositeAlarm',
      DependsOn: ['ArchiveStalledIncomingAlarm', 'ArchiveStalledPolledAlarm'],
      Properties: {
        AlarmName: 'winner-view-dev-archive-stalled',
        AlarmDescription: expect.stringMatching(
          /^\[page\] Records arrive on the stream but the archive’s mapping polls none/,
        ),
        AlarmRule:
          'ALARM("winner-view-dev-archive-stalled-incoming") AND ALARM("winner-view-dev-archive-stalled-polled")',
        ...page,
      },
    })
    // Its parts notify no one: records in five minutes in a row, and none polled.
    expect(resources.ArchiveStalledIncomingAlarm).toEqual({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: 'winner-view-dev-archive-stalled-incoming',
        AlarmDescription: expect.stringMatching(/^Records arrive on the stream/),
        Namespace: 'AWS/Kinesis',
        MetricName: 'IncomingRecords',
        Dimensions: resources.StalledIncomingAlarm?.Properties.Dimensions,
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      },
    })
    expect(resources.ArchiveStalledPolledAlarm).toEqual({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: 'winner-view-dev-archive-stalled-polled',
        AlarmDescription: expect.stringMatching(/^The archive’s mapping polls no record/),
        Namespace: 'AWS/Lambda',
        MetricName: 'PolledEventCount',
        Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: 'ArchiveStreamMapping' } }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        // A mapping gone silent emits nothing at all: that counts as none polled.
        TreatMissingData: 'breaching',
      },
    })
    expect(resources.ArchiveErrorsAlarm).toEqual({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: 'winner-view-dev-archive-errors',
        AlarmDescription: expect.stringMatching(/^\[page\] The archive keeps failing/),
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: fn,
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        ...page,
      },
    })
    expect(resources.ArchiveIteratorAgeAlarm).toEqual({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: 'winner-view-dev-archive-iterator-age',
        AlarmDescription: expect.stringMatching(/^\[page\] The archive is far behind the stream/),
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Dimensions: fn,
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 3_600_000,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        ...page,
      },
    })
  })

  it('keeps the archive under the given key, moves and expires it as told, reads through a consumer of its own, and pages at the given age', async () => {
    const { resources: template, lint } = await packagedDevWith('archive', [
      'archiveKmsKeyArn=arn:aws:kms:us-east-1:123456789012:key/a-1',
      'archiveInfrequentAccessDays=90',
      'archiveExpireDays=3650',
      'archiveIteratorAgeAlarmMs=7200000',
      'enhancedFanOut=archive',
    ])
    expect(lint).toBe(0)
    expect(template.ArchiveBucket?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: 'arn:aws:kms:us-east-1:123456789012:key/a-1',
            },
            BucketKeyEnabled: true,
          },
        ],
      },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'archive-storage',
            Status: 'Enabled',
            Prefix: 'records/',
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 90 }],
            ExpirationInDays: 3650,
          },
        ],
      },
    })
    // Its role may put with the key through S3 only, and subscribe to its own consumer.
    const statements = statementsOf(template.ArchiveRole)
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey'],
      Resource: 'arn:aws:kms:us-east-1:123456789012:key/a-1',
      Condition: {
        StringEquals: { 'kms:ViaService': { 'Fn::Sub': `s3.\${AWS::Region}.amazonaws.com` } },
      },
    })
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'],
      Resource: { Ref: 'ArchiveStreamConsumer' },
    })
    expect(template.ArchiveStreamConsumer).toEqual({
      Type: 'AWS::Kinesis::StreamConsumer',
      Properties: {
        StreamARN: resources.ArchiveStreamMapping?.Properties.EventSourceArn,
        ConsumerName: 'winner-view-dev-archive',
      },
    })
    expect(template.ArchiveStreamMapping?.Properties.EventSourceArn).toEqual({
      Ref: 'ArchiveStreamConsumer',
    })
    expect(template.ArchiveIteratorAgeAlarm?.Properties.Threshold).toBe(7_200_000)
    // Nothing else of the archive's key: the views' roles do not touch the bucket.
    expect(JSON.stringify(template.WinnerRole)).not.toContain('key/a-1')
  })

  it.each([
    [
      'archiveInfrequentAccessDays=10',
      'winner-view: archiveInfrequentAccessDays is "10": expected none, or a whole number of days of at least 30 (S3 moves an object to STANDARD_IA no sooner than 30 days after it is written)',
    ],
    [
      'archiveExpireDays=30',
      'winner-view: archiveExpireDays is "30": expected none, or a whole number of days of at least 31 (S3 expires an object only after its transition to STANDARD_IA)',
    ],
    [
      'disabledMapping=archive',
      "winner-view: disabledMapping names archive: only the views' mappings are enabled by rebuild --aws (leave the archive's out with withoutMapping)",
    ],
    [
      'archiveExpireDays=forever',
      'winner-view: archiveExpireDays is "forever": expected none, or a whole number of days of at least 31',
    ],
  ])('refuses to package the archive with %s, saying why', async (param, message) => {
    const failure = await run(
      'npx',
      [
        'osls',
        'package',
        '--stage',
        'dev',
        '--package',
        join(tmpdir(), `winner-view-lifecycle-${process.pid}`),
        `--param=${param}`,
      ],
      { cwd: root, env: { ...process.env, ...OFFLINE } },
    ).then(
      () => undefined,
      (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`,
    )
    expect(failure).toContain(message)
  })

  it('loads the bundled archive handler in a fresh node: without its bucket it fails at load, naming the variable; with it, it exports a handler', async () => {
    const folder = join(devFolder, 'unzipped-archive')
    await run('unzip', ['-o', '-q', join(devFolder, 'archive.zip'), '-d', folder])
    const load = (env: Record<string, string>) =>
      run(
        process.execPath,
        [
          '-e',
          `console.log(typeof require(${JSON.stringify(join(folder, 'src/handlers/archive.js'))}).handler)`,
        ],
        {
          env: {
            PATH: process.env.PATH ?? '',
            WINNER_VIEW_STAGE: 'dev',
            AWS_REGION: 'us-east-1',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            ...env,
          },
        },
      ).then(
        ({ stdout }) => String(stdout).trim(),
        (error: { stderr: string }) => error.stderr,
      )
    expect(await load({})).toContain(
      'ARCHIVE_BUCKET is not set: the archive has no bucket to write to',
    )
    expect(await load({ ARCHIVE_BUCKET: 'winner-view-dev-archivebucket' })).toBe('function')
  })

  it('notifies topics of its own for pages and tickets, with no subscription unless an e-mail is given, and draws a dashboard', () => {
    // 11 per view (stalled's two parts among them) and 5 per totals stage (totals-stalled's two
    // parts among them), 4 for the archive (archive-stalled's two parts among them), and the
    // stack's read throttles and two delivery alarms; stalled and totals-stalled are
    // composites of their two parts, per view, and archive-stalled of its two.
    expect(ofType('AWS::CloudWatch::Alarm')).toHaveLength(39)
    expect(ofType('AWS::CloudWatch::CompositeAlarm')).toHaveLength(5)
    expect(resources.AlarmTopic?.Properties).toEqual({ TopicName: 'winner-view-dev-alarms' })
    expect(resources.TicketTopic?.Properties).toEqual({ TopicName: 'winner-view-dev-tickets' })
    expect(ofType('AWS::SNS::Subscription')).toEqual([])
    expect(resources.PageDeliveriesAlarm?.Properties).toMatchObject({
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfNotificationsFailed',
      Dimensions: [{ Name: 'TopicName', Value: { 'Fn::GetAtt': ['AlarmTopic', 'TopicName'] } }],
      AlarmActions: [{ Ref: 'TicketTopic' }],
    })
    expect(resources.ReadThrottlesAlarm?.Properties).toMatchObject({
      Namespace: 'AWS/Kinesis',
      MetricName: 'ReadProvisionedThroughputExceeded',
      AlarmName: 'winner-view-dev-read-throttles',
    })
    expect(resources.UnfinishedBatchesAlarm?.Properties.Dimensions).toEqual([
      { Name: 'service', Value: 'winner-view' },
      { Name: 'stage', Value: 'dev' },
    ])
    const rejected = resources.CategorySalesRejectedAlarm?.Properties
    expect(rejected).toMatchObject({
      AlarmName: 'winner-view-dev-category-sales-rejected',
      AlarmActions: [{ Ref: 'TicketTopic' }],
    })
    const rejectedMetrics = (rejected?.Metrics ?? []) as Array<{ Expression?: string }>
    expect(rejectedMetrics[2]?.Expression).toBe('FILL(rejected, 0) - FILL(duplicates, 0)')
    expect(resources.CategorySalesIteratorAgeAlarm?.Properties.Dimensions).toEqual([
      { Name: 'FunctionName', Value: { Ref: 'CategorySalesLambdaFunction' } },
    ])
    const body = JSON.stringify(resources.Dashboard?.Properties.DashboardBody)
    for (const metric of [
      'IteratorAge',
      'unfinishedBatches',
      'rejected',
      'newestRecordAgeMs',
      'category-sales',
      'totalsNewestChangeAgeMs',
      'totalsUpdates',
    ])
      expect(body).toContain(metric)
    // A row for the totals stages: their functions' iterator age and errors.
    expect(body).toContain('"TotalsFn":{"Ref":"WinnerTotalsLambdaFunction"}')
    expect(body).toContain('"CategoryTotalsFn":{"Ref":"CategorySalesTotalsLambdaFunction"}')
    // A row for the archive: records and bytes archived, how far it trails, its errors.
    const sub = resources.Dashboard?.Properties.DashboardBody as { 'Fn::Sub': [string] } | undefined
    const text = sub?.['Fn::Sub'][0] ?? ''
    for (const metric of ['archiveRecords', 'archiveBytes', 'archiveNewestRecordAgeMs'])
      expect(text).toContain(
        `["WinnerView", "${metric}", "service", "winner-view-archive", "stage", "\${Stage}"`,
      )
    expect(text).toContain(`["AWS/Lambda", "IteratorAge", "FunctionName", "\${ArchiveFn}"]`)
    expect(body).toContain('"ArchiveFn":{"Ref":"ArchiveLambdaFunction"}')
  })

  it('writes an import template holding the tables alone, for re-adopting them after a remove', async () => {
    const out = join(devFolder, 'import')
    await run(process.execPath, [
      join(root, 'deploy', 'import-template.js'),
      join(devFolder, 'cloudformation-template-update-stack.json'),
      out,
    ])
    const template = JSON.parse(await readFile(join(out, 'import-template.json'), 'utf8'))
    const tables = [
      'ContributionsTable',
      'ScoresTable',
      'ContributionsPartialsTable',
      'RejectedTable',
      'ContributionsMarksTable',
      'CategoryProductsTable',
      'CategorySalesTable',
      'CategoryProductsPartialsTable',
      'CategoryRejectedTable',
      'CategoryProductsMarksTable',
      'LiveTable',
    ]
    expect(Object.keys(template.Resources).sort()).toEqual([...tables].sort())
    for (const id of tables)
      expect(template.Resources[id]).toEqual({
        ...resources[id],
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      })
    expect(
      JSON.parse(await readFile(join(out, 'resources-to-import.json'), 'utf8')),
    ).toContainEqual({
      ResourceType: 'AWS::DynamoDB::Table',
      LogicalResourceId: 'ScoresTable',
      ResourceIdentifier: { TableName: 'winner-view-dev-Scores' },
    })
    expect(
      JSON.parse(await readFile(join(out, 'resources-to-import.json'), 'utf8')),
    ).toContainEqual({
      ResourceType: 'AWS::DynamoDB::Table',
      LogicalResourceId: 'LiveTable',
      ResourceIdentifier: { TableName: 'winner-view-dev-Live' },
    })
    const lint = await run('cfn-lint', [join(out, 'import-template.json')]).then(
      () => 0,
      (error: { code: number; stdout: string }) => (error.code & 2 ? error.stdout : 0),
    )
    expect(lint).toBe(0)
  })

  it('refuses plain HTTP on its queues and topics', () => {
    const denyPlainHttp = (resource: unknown) => ({
      Sid: 'DenyPlainHttp',
      Effect: 'Deny',
      Principal: '*',
      Resource: resource,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    })
    expect(resources.FailedBatchesQueuePolicy?.Properties.PolicyDocument).toMatchObject({
      Statement: [
        { ...denyPlainHttp({ 'Fn::GetAtt': ['FailedBatchesQueue', 'Arn'] }), Action: 'sqs:*' },
      ],
    })
    expect(resources.CategorySalesFailedBatchesQueuePolicy?.Properties.Queues).toEqual([
      { Ref: 'CategorySalesFailedBatchesQueue' },
    ])
    for (const topic of ['AlarmTopic', 'TicketTopic'])
      expect(resources[`${topic}Policy`]?.Properties).toMatchObject({
        Topics: [{ Ref: topic }],
        PolicyDocument: {
          Statement: [
            // The policy replaces the default one: the stage's alarms must still publish.
            {
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: { Ref: topic },
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: {
                  'aws:SourceArn': {
                    'Fn::Sub': `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:winner-view-dev-*`,
                  },
                },
              },
            },
            denyPlainHttp({ Ref: topic }),
          ],
        },
      })
  })

  it('leaves a view’s mapping out, reads through a consumer of its own, and warms new tables, when told', async () => {
    const {
      resources: template,
      outputs: templateOutputs,
      lint,
    } = await packagedDevWith('without', [
      'withoutMapping=winner,archive',
      'disabledMapping=categorySales',
      'enhancedFanOut=categorySales',
      'warmWriteUnitsPerSecond=10000',
      'warmReadUnitsPerSecond=12000',
      'rejectedRetentionDays=90',
    ])
    expect(lint).toBe(0)
    const ids = Object.keys(template)
    expect(ids).not.toContain('WinnerStreamMapping')
    expect(ids).not.toContain('StalledAlarm')
    // Only the view's own mapping: its totals mapping, never replaced, stays, and so does its page.
    expect(ids).toContain('WinnerTotalsStreamMapping')
    expect(ids).toContain('TotalsStalledAlarm')
    expect(ids).toContain('CategorySalesStreamMapping')
    expect(ids).toContain('WinnerLambdaFunction')
    // Created disabled, for rebuild --aws to enable, without its stalled page meanwhile.
    expect(template.CategorySalesStreamMapping?.Properties.Enabled).toBe(false)
    expect(template.CategorySalesStreamMapping?.Properties.StartingPosition).toBe('TRIM_HORIZON')
    expect(ids.filter((id) => id.startsWith('CategorySalesStalled'))).toEqual([])
    expect(ids).toContain('CategorySalesTotalsStalledAlarm')
    expect(resources.CategorySalesStreamMapping?.Properties).not.toHaveProperty('Enabled')
    expect(ids).toContain('CategorySalesIteratorAgeAlarm')
    expect(Object.keys(templateOutputs)).not.toContain('StreamMappingId')
    // The archive's mapping and its archive-stalled page left out; its bucket, function and other pages stay.
    expect(ids).not.toContain('ArchiveStreamMapping')
    expect(ids.filter((id) => id.startsWith('ArchiveStalled'))).toEqual([])
    expect(ids).toEqual(
      expect.arrayContaining([
        'ArchiveBucket',
        'ArchiveLambdaFunction',
        'ArchiveErrorsAlarm',
        'ArchiveIteratorAgeAlarm',
      ]),
    )
    expect(Object.keys(templateOutputs)).not.toContain('ArchiveStreamMappingId')
    // Enhanced fan-out: the category view's own consumer, its mapping on it, its role may subscribe.
    expect(template.CategorySalesStreamConsumer).toEqual({
      Type: 'AWS::Kinesis::StreamConsumer',
      Properties: {
        StreamARN: resources.CategorySalesStreamMapping?.Properties.EventSourceArn,
        ConsumerName: 'winner-view-dev-categorySales',
      },
    })
    expect(template.CategorySalesStreamMapping?.Properties.EventSourceArn).toEqual({
      Ref: 'CategorySalesStreamConsumer',
    })
    expect(statementsOf(template.CategorySalesRole)).toContainEqual({
      Effect: 'Allow',
      Action: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'],
      Resource: { Ref: 'CategorySalesStreamConsumer' },
    })
    expect(ids).not.toContain('WinnerStreamConsumer')
    // Warm throughput on the views' tables but their marks (an item per shard) and the Live table (one item).
    const warmed = Object.entries(template)
      .filter(([, r]) => r.Properties.WarmThroughput !== undefined)
      .map(([id]) => id)
    expect(warmed).toEqual([
      'ContributionsTable',
      'ScoresTable',
      'ContributionsPartialsTable',
      'RejectedTable',
      'CategoryProductsTable',
      'CategorySalesTable',
      'CategoryProductsPartialsTable',
      'CategoryRejectedTable',
    ])
    expect(template.ScoresTable?.Properties.WarmThroughput).toEqual({
      WriteUnitsPerSecond: 10000,
      ReadUnitsPerSecond: 12000,
    })
    expect(resources.ScoresTable?.Properties.WarmThroughput).toBeUndefined()
    // A retention for Rejected: time to live on its tables alone, the days in each function's environment.
    const expiring = Object.entries(template)
      .filter(([, r]) => r.Properties.TimeToLiveSpecification !== undefined)
      .map(([id]) => id)
    expect(expiring).toEqual(['RejectedTable', 'CategoryRejectedTable'])
    for (const table of expiring)
      expect(template[table]?.Properties.TimeToLiveSpecification).toEqual({
        AttributeName: 'expiresAt',
        Enabled: true,
      })
    expect(template.WinnerLambdaFunction?.Properties.Environment).toMatchObject({
      Variables: { REJECTED_RETENTION_DAYS: '90' },
    })
    expect(resources.RejectedTable?.Properties.TimeToLiveSpecification).toBeUndefined()
  })

  it('refuses to package a stage other than local and dev without its stream', async () => {
    const failure = await run(
      'npx',
      ['osls', 'package', '--stage', 'prod', '--package', prodFolder],
      {
        cwd: root,
        env: { ...process.env, ...OFFLINE },
      },
    ).then(
      () => undefined,
      (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`,
    )
    expect(failure).toContain(
      'winner-view: stage "prod" needs the retail stream: add streamArn under params.prod in serverless.yml, or pass --param="streamArn=arn:aws:kinesis:REGION:ACCOUNT:stream/NAME"',
    )
  })

  it('refuses to package with a parallelizationFactor, saying why', async () => {
    const failure = await run(
      'npx',
      [
        'osls',
        'package',
        '--stage',
        'dev',
        '--package',
        join(tmpdir(), `winner-view-factor-${process.pid}`),
        '--param=parallelizationFactor=4',
      ],
      { cwd: root, env: { ...process.env, ...OFFLINE } },
    ).then(
      () => undefined,
      (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`,
    )
    expect(failure).toContain(
      'winner-view: parallelizationFactor is no longer a parameter (the mappings read each shard one batch at a time, as the views keep partial sums per shard and two batches of one shard would contend for them): remove it, and add shards to the stream to go faster',
    )
  })

  it('on a production stage protects the tables, decrypts with the given key only, and notifies the given topic', async () => {
    const params = [
      'streamArn=arn:aws:kinesis:eu-west-1:123456789012:stream/retail',
      'streamKmsKeyArn=arn:aws:kms:eu-west-1:123456789012:key/k-1',
      'alarmTopicArn=arn:aws:sns:eu-west-1:123456789012:oncall',
      'tableKmsKeyArn=arn:aws:kms:eu-west-1:123456789012:key/t-1',
    ].map((param) => `--param=${param}`)
    await run('npx', ['osls', 'package', '--stage', 'prod', '--package', prodFolder, ...params], {
      cwd: root,
      env: { ...process.env, ...OFFLINE },
    })
    const prod = JSON.parse(
      await readFile(join(prodFolder, 'cloudformation-template-update-stack.json'), 'utf8'),
    ).Resources as Record<string, Resource>
    const unprotected = [...TABLE_IDS, 'LiveTable'].filter(
      (table) => prod[table]?.Properties.DeletionProtectionEnabled !== true,
    )
    expect(unprotected).toEqual([])
    expect(prod.StreamKeyPolicy?.Properties.Roles).toEqual([
      { Ref: 'WinnerRole' },
      { Ref: 'CategorySalesRole' },
      { Ref: 'ArchiveRole' },
    ])
    expect(prod.StreamKeyPolicy?.Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: 'arn:aws:kms:eu-west-1:123456789012:key/k-1',
          Condition: {
            StringEquals: {
              'kms:ViaService': { 'Fn::Sub': `kinesis.\${AWS::Region}.amazonaws.com` },
            },
          },
        },
      ],
    })
    // The mappings read only once their role may decrypt the stream.
    expect((prod.WinnerStreamMapping as { DependsOn?: string[] }).DependsOn).toContain(
      'StreamKeyPolicy',
    )
    expect((prod.CategorySalesStreamMapping as { DependsOn?: string[] }).DependsOn).toContain(
      'StreamKeyPolicy',
    )
    expect((prod.ArchiveStreamMapping as { DependsOn?: string[] }).DependsOn).toEqual([
      'ArchiveRole',
      'StreamKeyPolicy',
    ])
    // Every table encrypted with the given key, used by the roles through DynamoDB only.
    const tables = Object.entries(prod).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')
    expect(tables.map(([id]) => id)).toEqual([...TABLE_IDS, 'LiveTable'])
    for (const [, table] of tables)
      expect(table.Properties.SSESpecification).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/t-1',
      })
    const winnerStatements = JSON.stringify(prod.WinnerRole?.Properties.Policies)
    expect(winnerStatements).toContain('"Resource":"arn:aws:kms:eu-west-1:123456789012:key/t-1"')
    expect(winnerStatements).toContain(`dynamodb.\${AWS::Region}.amazonaws.com`)
    // The totals stage reads an encrypted table's stream and updates its totals with the key.
    expect(statementsOf(prod.WinnerTotalsRole)).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: 'arn:aws:kms:eu-west-1:123456789012:key/t-1',
      Condition: {
        StringEquals: { 'kms:ViaService': { 'Fn::Sub': `dynamodb.\${AWS::Region}.amazonaws.com` } },
      },
    })
    // The stream's key is its readers' alone (the views and the archive): the totals stages read no Kinesis stream.
    expect(prod.StreamKeyPolicy?.Properties.Roles).not.toContainEqual({ Ref: 'WinnerTotalsRole' })
    expect(prod.TotalsIteratorAgeAlarm?.Properties.AlarmActions).toEqual([
      'arn:aws:sns:eu-west-1:123456789012:oncall',
    ])
    expect(resources.ContributionsTable?.Properties.SSESpecification).toBeUndefined()
    expect(resources.StreamKeyPolicy).toBeUndefined()
    expect(prod.AlarmTopic).toBeUndefined()
    expect(prod.ErrorsAlarm?.Properties.AlarmActions).toEqual([
      'arn:aws:sns:eu-west-1:123456789012:oncall',
    ])
    expect(prod.PageDeliveriesAlarm?.Properties.Dimensions).toEqual([
      { Name: 'TopicName', Value: 'oncall' },
    ])
    expect(prod.RejectedAlarm?.Properties.AlarmActions).toEqual([{ Ref: 'TicketTopic' }])
    expect(prod.WinnerStreamMapping?.Properties.EventSourceArn).toBe(
      'arn:aws:kinesis:eu-west-1:123456789012:stream/retail',
    )
  })

  it.each(DEPLOYED)(
    'grants the $view.name role on each of its tables exactly the DynamoDB actions its handler calls, and no wildcard',
    async ({ view, id }) => {
      const used = await actionsCalledBy(view)
      const statements = statementsOf(resources[`${id}Role`])
      const granted = statements.flatMap((s) =>
        s.Action.filter((a) => a.startsWith('dynamodb:')).map(
          (a) => `${(s.Resource as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]} ${a}`,
        ),
      )
      expect(new Set(granted)).toEqual(used)
      expect(statements.flatMap((s) => s.Action).filter((a) => a.includes('*'))).toEqual([])
      const awsResources = statements.filter((s) => !s.Action.some((a) => a.startsWith('logs:')))
      expect(JSON.stringify(awsResources.map((s) => s.Resource))).not.toContain('*')
      // Its own queue and log group, none of the other view's.
      const text = JSON.stringify(statements)
      expect(text).toContain(
        `/aws/lambda/winner-view-dev-${id === 'Winner' ? 'winner' : 'categorySales'}:*`,
      )
      const other = DEPLOYED.find((d) => d.id !== id)
      expect(text).not.toContain(`"${other?.queue}"`)
    },
  )

  it.each(DEPLOYED)(
    'grants the $view.name totals role every DynamoDB action its handler calls, the stream reads aside',
    async ({ view, id }) => {
      const used = await actionsCalledByTotals(view)
      const granted = statementsOf(resources[`${id}TotalsRole`]).flatMap((s) =>
        s.Action.map(
          (a) => `${(s.Resource as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0]} ${a}`,
        ),
      )
      const aggregate = `${view.tables.aggregates[0]?.suffix}Table`
      expect(used).toContain(`${aggregate} dynamodb:UpdateItem`)
      expect(granted).toEqual(expect.arrayContaining([...used]))
    },
  )

  it('grants what the runtime says it calls on each kind of table', () => {
    const statements = JSON.stringify(resources.CategorySalesRole?.Properties.Policies)
    for (const actions of Object.values(TABLE_ACTIONS))
      expect(statements).toContain(JSON.stringify(actions))
    const totals = JSON.stringify(resources.CategorySalesTotalsRole?.Properties.Policies)
    for (const actions of Object.values(TOTALS_ACTIONS))
      expect(totals).toContain(JSON.stringify(actions))
  })

  it.each([
    ['winner', 'winner'],
    ['categorySales', 'categorySales'],
    ['winnerTotals', 'winner'],
    ['categorySalesTotals', 'categorySales'],
    ['archive', 'archive'],
  ])(
    'keeps the %s bundle within its budget and leaves the local stack out of it',
    async (name, module) => {
      const zip = join(devFolder, `${name}.zip`)
      expect((await stat(zip)).size).toBeLessThan(ZIP_BUDGET_BYTES)
      const { stdout: bundle } = await run('unzip', ['-p', zip, `src/handlers/${module}.js`], {
        maxBuffer: 8 * 1024 * 1024,
      })
      expect(Buffer.byteLength(bundle)).toBeLessThan(BUNDLE_BUDGET_BYTES)
      expect(bundle).not.toMatch(/kinesalite|DynamoDBLocal|cli-progress/)
    },
  )

  it('loads the bundled handlers in a fresh node: the view folds batches into DynamoDB Local, its totals stage moves Scores', async () => {
    // Every table of the view, its marks among them: the bundle fails at load without one's name.
    const stage = freshStage()
    const names = { ...tableNamesFor(stage), ...viewTableNamesFor(winnerView, stage) }
    await createTablesOf(winnerView, names)
    const shard = toShards(generateWorkload({ events: 200, seed: 4 }), 1)[0] ?? []
    const at = (n: number, partitionKey?: string) => ({
      shardId: 'shardId-000000000009',
      sequenceNumber: sequenceNumber(n),
      ...(partitionKey === undefined ? {} : { partitionKey }),
    })
    const literal = {
      Records: [
        kinesisRecord(ingress(creatorOrigin('ann'), createData('emf-1')), at(1)),
        kinesisRecord(ingress(photographerOrigin('bob'), imageData('emf-1')), at(2)),
        kinesisRecord(ingress('buyer', purchaseData('emf-1')), at(3)),
        kinesisRecord(ingress('u', { schema: 'com.nordstrom/user-info/login/1-0-0' }), at(4, 'u')),
        kinesisRecord('not json', at(5, 'x')),
      ],
    }
    const lines = await runBundled(
      ['winner', 'src/handlers/winner.js', 'handler'],
      [...batchesOf(shard, 100), literal],
      names,
    )
    // One EMF line per batch, then the handler's answer.
    const emf = lines.filter((line) => line.message === 'batch')
    expect(emf).toHaveLength(3)
    expect(lines.filter((line) => 'batchItemFailures' in line)).toEqual([
      { batchItemFailures: [] },
      { batchItemFailures: [] },
      { batchItemFailures: [] },
    ])
    expect(emf[2]).toMatchObject({
      service: 'winner-view',
      stage: 'dev',
      shardId: 'shardId-000000000009',
      records: 5,
      folded: 3,
      skipped: 1,
      rejected: 1,
      duplicates: 0,
      retries: 0,
      refolds: 0,
      unfinishedBatches: 0,
      _aws: {
        CloudWatchMetrics: [{ Namespace: 'WinnerView', Dimensions: [['service', 'stage']] }],
      },
    })
    // The totals stage, from the other bundle, on what the partials' stream holds now.
    const batches = await partialsStreamBatches(names.partials)
    const totals = await runBundled(
      ['winnerTotals', 'src/handlers/winner.js', 'totals'],
      batches,
      names,
    )
    expect(totals.filter((line) => 'batchItemFailures' in line)).toEqual(
      batches.map(() => ({ batchItemFailures: [] })),
    )
    const emfTotals = totals.filter((line) => line.message === 'totals')
    expect(emfTotals).toHaveLength(batches.length)
    expect(emfTotals[0]).toMatchObject({
      service: 'winner-view',
      stage: 'dev',
      view: 'winner-view',
      records: batches[0]?.Records.length,
      failedFrom: null,
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'WinnerView',
            Dimensions: [['service', 'stage']],
            Metrics: [
              { Name: 'totalsRecords', Unit: 'Count' },
              { Name: 'totalsUpdates', Unit: 'Count' },
              { Name: 'totalsIncluded', Unit: 'Count' },
              { Name: 'totalsResyncs', Unit: 'Count' },
              { Name: 'totalsDurationMs', Unit: 'Milliseconds' },
              { Name: 'totalsNewestChangeAgeMs', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
    })
    expect(tablesOf(await readView(testClient(), names))).toEqual(
      oracleTables(oracleRecordsOfKinesis([...shard, ...literal.Records])),
    )
  })
})
