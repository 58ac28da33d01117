import { execFile } from 'node:child_process'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { documentClientOf, makeDynamoStore } from '../src/adapters/dynamoStore'
import { type TableNames, tableEnvironment, viewTables } from '../src/adapters/tables'
import { makeHandler } from '../src/handlers/processBatch'
import { LOCAL_AWS } from '../src/local/dynamodbLocal'
import { readView } from '../src/local/viewReader'
import { generateWorkload } from '../src/local/workload'
import { dynamoEndpoint, freshTables, testClient } from './support/dynamo'
import { tablesOf } from './support/normalize'
import { oracleRecordsOfKinesis, oracleTables } from './support/oracle'
import { batchesOf, toShards } from './support/stream'

jest.setTimeout(180_000)

const run = promisify(execFile)
const root = join(__dirname, '..')
const BUNDLE_BUDGET_BYTES = 800 * 1024
const ZIP_BUDGET_BYTES = 1024 * 1024

type Resource = { Type: string; Properties: Record<string, unknown> }
let resources: Record<string, Resource>

beforeAll(async () => {
  await run('npm', ['run', 'package'], { cwd: root })
  const template = JSON.parse(
    await readFile(join(root, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
  )
  resources = template.Resources
})

const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type)
const logicalIdOf = (name: keyof TableNames) =>
  ({ contributions: 'ContributionsTable', scores: 'ScoresTable', rejected: 'RejectedTable' })[name]

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

describe('the deployment', () => {
  it('passes cfn-lint with no errors', async () => {
    const lint = await run('cfn-lint', [
      join(root, '.serverless', 'cloudformation-template-update-stack.json'),
    ]).then(
      () => 0,
      (error: { code: number; stdout: string }) => (error.code & 2 ? error.stdout : 0),
    )
    expect(lint).toBe(0)
  })

  it('maps the stream to the handler from TRIM_HORIZON with partial failures, bisection and no record age limit', () => {
    const [mapping] = ofType('AWS::Lambda::EventSourceMapping')
    expect(mapping?.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRecordAgeInSeconds: -1,
      MaximumRetryAttempts: -1,
      ParallelizationFactor: 1,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': ['FailedBatchesQueue', 'Arn'] } },
      },
    })
    expect(JSON.stringify(mapping?.Properties.EventSourceArn)).toContain(':stream/devStream')
  })

  it('runs the handler on nodejs22.x, arm64, with the table names in its environment', () => {
    const [fn] = ofType('AWS::Lambda::Function')
    expect(fn?.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'src/handlers/winner.handler',
      Environment: {
        Variables: {
          TABLE_CONTRIBUTIONS_NAME: { Ref: 'ContributionsTable' },
          TABLE_SCORES_NAME: { Ref: 'ScoresTable' },
          TABLE_REJECTED_NAME: { Ref: 'RejectedTable' },
        },
      },
    })
  })

  it('creates the tables from the one definition, pay per request, with point-in-time recovery', () => {
    for (const [name, { suffix, definition }] of Object.entries(viewTables)) {
      const { TableName, BillingMode, PointInTimeRecoverySpecification, ...rest } =
        resources[logicalIdOf(name as keyof TableNames)]?.Properties ?? {}
      expect({ TableName, BillingMode, PointInTimeRecoverySpecification }).toEqual({
        TableName: `dev-${suffix}`,
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      })
      expect(rest).toEqual(definition)
    }
  })

  it('grants on each table exactly the DynamoDB actions the handler calls, and no wildcard action', async () => {
    const names = await freshTables()
    const base = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamoEndpoint() })
    const used = new Set<string>()
    base.middlewareStack.add(
      (next, context) => async (args) => {
        for (const [table, action] of iamActionsOf(
          context.commandName ?? '',
          args.input as Record<string, unknown>,
        )) {
          const role = (Object.keys(names) as Array<keyof TableNames>).find(
            (key) => names[key] === table,
          )
          used.add(`${role ? logicalIdOf(role) : table} ${action}`)
        }
        return next(args)
      },
      { step: 'initialize', name: 'iamRecorder' },
    )
    const handler = makeHandler({
      store: makeDynamoStore({ client: documentClientOf(base), names }),
      log: () => {},
    })
    for (const batch of batchesOf(
      toShards(generateWorkload({ events: 1000, seed: 2, edgeCases: true }), 1)[0] ?? [],
      100,
    )) {
      await handler(batch)
    }
    base.destroy()
    const [role] = ofType('AWS::IAM::Role')
    type Policy = { PolicyDocument: { Statement: Array<{ Action: string[]; Resource: unknown }> } }
    const policies = (role?.Properties.Policies ?? []) as Policy[]
    const statements = policies[0]?.PolicyDocument.Statement ?? []
    const granted = statements.flatMap((s) =>
      s.Action.filter((a) => a.startsWith('dynamodb:')).map(
        (a) => `${(s.Resource as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]} ${a}`,
      ),
    )
    expect(new Set(granted)).toEqual(used)
    expect(statements.flatMap((s) => s.Action).filter((a) => a.includes('*'))).toEqual([])
    const awsResources = statements.filter((s) => !s.Action.some((a) => a.startsWith('logs:')))
    expect(JSON.stringify(awsResources.map((s) => s.Resource))).not.toContain('*')
  })

  it('keeps the bundle within its budget and leaves the local stack out of it', async () => {
    const zip = join(root, '.serverless', 'winner.zip')
    expect((await stat(zip)).size).toBeLessThan(ZIP_BUDGET_BYTES)
    const { stdout: bundle } = await run('unzip', ['-p', zip, 'src/handlers/winner.js'], {
      maxBuffer: 8 * 1024 * 1024,
    })
    expect(Buffer.byteLength(bundle)).toBeLessThan(BUNDLE_BUDGET_BYTES)
    expect(bundle).not.toMatch(/kinesalite|DynamoDBLocal|cli-progress/)
  })

  it('loads the bundled handler in a fresh node and folds a batch into DynamoDB Local', async () => {
    const names = await freshTables()
    const zip = join(root, '.serverless', 'winner.zip')
    const folder = join(root, '.serverless', 'unzipped')
    await run('unzip', ['-o', '-q', zip, '-d', folder])
    const shard = toShards(generateWorkload({ events: 200, seed: 4 }), 1)[0] ?? []
    const script = `const { handler } = require(${JSON.stringify(join(folder, 'src/handlers/winner.js'))});
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
    child.stdin?.end(JSON.stringify(batchesOf(shard, 100)))
    const lines = (await output)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    // One JSON log line per batch, then the handler's answer.
    expect(lines.filter((line) => line.message === 'batch')).toHaveLength(2)
    expect(lines.filter((line) => 'batchItemFailures' in line)).toEqual([
      { batchItemFailures: [] },
      { batchItemFailures: [] },
    ])
    expect(tablesOf(await readView(testClient(), names))).toEqual(
      oracleTables(oracleRecordsOfKinesis(shard)),
    )
  })
})
