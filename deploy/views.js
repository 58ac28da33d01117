// Renders each view as its own deployment: its tables (from the one definition in the
// code), a least-privilege role, its event source mapping on the stream, the queue where
// Lambda describes a batch it gave up on, its totals stage (a function of its own on its
// partials table's stream, with its own role) and its alarms. Each view keeps its own
// position, so a poison record or an outage of one never holds up the other. Beside
// them, the stream's archive, another reader of the stream (deploy/archive.js), and the
// stage's Live table, the pointer to the version readers see (src/runtime/versions.ts).
const { require: requireTs } = require('tsx/cjs/api')
const {
  consumerStatements,
  denyPlainHttp,
  lambdaRole,
  logsStatement,
  streamReadsStatement,
} = require('./policies')
const { ARCHIVE_KEY, ARCHIVE_ROLE_ID, archiveEnvironment, archiveOf } = require('./archive')

const { tableNameFor, tableVariableOf, TABLE_ACTIONS, TOTALS_ACTIONS } = requireTs(
  '../src/runtime/tables.ts',
  __filename,
)
const { tablesOf: viewTablesOf } = requireTs('../src/runtime/view.ts', __filename)
const { PARTIALS_ROLE, partialsTableOf } = requireTs('../src/runtime/partials.ts', __filename)
const { MARKS_ROLE } = requireTs('../src/runtime/marks.ts', __filename)
const { liveTable, liveTableFor } = requireTs('../src/runtime/versions.ts', __filename)
const { winnerView } = requireTs('../src/views/winner.ts', __filename)
const { categorySalesView } = requireTs('../src/views/categorySales.ts', __filename)
const { alarmIdOf, alarmResource, alarmResourcesOf, stackAlarms, totalsAlarms, viewAlarms } =
  requireTs('../src/ops/alarms.ts', __filename)
const { DEFAULT_RESERVE_MS } = requireTs('../src/runtime/handler.ts', __filename)
const { EXPIRES_AT } = requireTs('../src/runtime/items.ts', __filename)
const { functionKeyOf } = requireTs('../src/runtime/deployment.ts', __filename)

// The winner view's logical ids and names predate the second view: kept as they were,
// or CloudFormation would replace its tables, mapping and alarms.
const DEPLOYED = [
  { view: winnerView, functionKey: functionKeyOf(winnerView.name), prefix: '', label: '' },
  {
    view: categorySalesView,
    functionKey: functionKeyOf(categorySalesView.name),
    prefix: 'CategorySales',
    label: 'category-sales-',
  },
]

const capitalised = (text) => `${text[0].toUpperCase()}${text.slice(1)}`
const functionIdOf = ({ functionKey }) => `${capitalised(functionKey)}LambdaFunction`
const roleIdOf = ({ functionKey }) => `${capitalised(functionKey)}Role`
const mappingIdOf = ({ functionKey }) => `${capitalised(functionKey)}StreamMapping`
const consumerIdOf = ({ functionKey }) => `${capitalised(functionKey)}StreamConsumer`
/** A view's totals stage, named like a view's function: `winnerTotals` (serverless.yml's key). */
const totalsOf = ({ functionKey }) => ({ functionKey: `${functionKey}Totals` })

/**
 * A view's own consumer of the stream (enhanced fan-out): 2 MB a second per shard pushed to
 * it alone, outside the 5 GetRecords calls a second that every standard reader shares.
 */
const consumerResource = (deployed, stage, streamArn) => ({
  Type: 'AWS::Kinesis::StreamConsumer',
  Properties: {
    StreamARN: streamArn,
    ConsumerName: `winner-view-${stage}-${deployed.functionKey}`,
  },
})
const tableIdOf = (table) => `${table.suffix}Table`

/** What the view's function calls on a table of the view, by the table's kind. */
const viewActionsOf = (view, table) => {
  if (table === view.tables.state) return TABLE_ACTIONS.state
  if (table === view.tables.rejected) return TABLE_ACTIONS.rejected
  if (table.role === MARKS_ROLE) return TABLE_ACTIONS.marks
  return table.role === PARTIALS_ROLE ? TABLE_ACTIONS.partials : TABLE_ACTIONS.aggregate
}

/** Every table of the view as the runtime lists it (its partials among them), with what the view's function calls on it. */
const tablesOf = (view) =>
  viewTablesOf(view).map((table) => ({ table, actions: viewActionsOf(view, table) }))

/** A view's partials table; every deployed view has aggregates, so a totals stage. */
const partialsOf = (view) => {
  const partials = partialsTableOf(view)
  if (partials === undefined) throw new Error(`winner-view: ${view.name} has no partials table`)
  return partials
}

/**
 * A table's definition as CloudFormation takes it: `StreamEnabled` is the API's field
 * only (a table resource with a StreamSpecification has a stream).
 */
const cfnDefinitionOf = ({ StreamSpecification, ...definition }) =>
  StreamSpecification === undefined || StreamSpecification.StreamEnabled === false
    ? definition
    : {
        ...definition,
        StreamSpecification: { StreamViewType: StreamSpecification.StreamViewType },
      }

/** With a customer-managed key, the table is encrypted with it (user ids carry names and phone numbers, Rejected raw payloads). */
const encryptionOf = (tableKmsKeyArn) =>
  tableKmsKeyArn === 'none'
    ? {}
    : { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: tableKmsKeyArn } }

/**
 * On-demand tables made ready for a catch-up (a rebuild, a new stage): DynamoDB's warm
 * throughput, so the first hour is not throttled while partitions split. none: as created.
 */
const warmThroughputOf = (params) => {
  const warm = {
    ...(params.warmWriteUnitsPerSecond === 'none'
      ? {}
      : { WriteUnitsPerSecond: Number(params.warmWriteUnitsPerSecond) }),
    ...(params.warmReadUnitsPerSecond === 'none'
      ? {}
      : { ReadUnitsPerSecond: Number(params.warmReadUnitsPerSecond) }),
  }
  return Object.keys(warm).length === 0 ? {} : { WarmThroughput: warm }
}

/** With a retention, DynamoDB's time to live deletes Rejected items once their `expiresAt` has passed. */
const retentionOf = (table, view, rejectedRetentionDays) =>
  table === view.tables.rejected && String(rejectedRetentionDays) !== 'none'
    ? { TimeToLiveSpecification: { AttributeName: EXPIRES_AT, Enabled: true } }
    : {}

/** A table of the stage: on demand, recoverable, encrypted with the tables' key, protected as the stage says. */
const tableResource = (TableName, definition, params, extra = {}) => ({
  Type: 'AWS::DynamoDB::Table',
  // Kept when the stack is removed or the table replaced, but not when the stack
  // that first creates it rolls back: a failed first deploy leaves nothing behind.
  DeletionPolicy: 'RetainExceptOnCreate',
  UpdateReplacePolicy: 'Retain',
  Properties: {
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    ...cfnDefinitionOf(definition),
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    ...encryptionOf(params.tableKmsKeyArn),
    ...extra,
    DeletionProtectionEnabled:
      params.deletionProtection === true || params.deletionProtection === 'true',
  },
})

const tableResources = (view, stage, params, warmThroughput) =>
  Object.fromEntries(
    tablesOf(view).map(({ table }) => [
      tableIdOf(table),
      tableResource(tableNameFor(stage, table.suffix), table.definition, params, {
        // Marks hold an item per shard: warm throughput would be paid for nothing.
        ...(table.role === MARKS_ROLE ? {} : warmThroughput),
        ...retentionOf(table, view, params.rejectedRetentionDays),
      }),
    ]),
  )

/**
 * The stage's pointer to the version readers see, once per stage: the CLI's (switch, and
 * readers) alone, so no function's role names it.
 */
const liveTableResource = (stage, params) => ({
  LiveTable: tableResource(liveTableFor(stage), liveTable, params),
})

/** What a role needs of the tables' customer-managed key, through DynamoDB only (their streams' records too). */
const tableKeyStatements = (tableKmsKeyArn) =>
  tableKmsKeyArn === 'none'
    ? []
    : [
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
          Resource: tableKmsKeyArn,
          Condition: {
            StringEquals: {
              'kms:ViaService': { 'Fn::Sub': `dynamodb.\${AWS::Region}.amazonaws.com` },
            },
          },
        },
      ]

/** Exactly the calls the view's function makes, on its own tables, stream, queue and logs. */
const roleResource = (deployed, stage, streamArn, tableKmsKeyArn, consumer) =>
  lambdaRole(`winner-view-${stage}-${deployed.label}function`, [
    ...tablesOf(deployed.view).map(({ table, actions }) => ({
      Effect: 'Allow',
      Action: [...actions],
      Resource: { 'Fn::GetAtt': [tableIdOf(table), 'Arn'] },
    })),
    ...tableKeyStatements(tableKmsKeyArn),
    ...consumerStatements(consumer ? consumerIdOf(deployed) : undefined),
    streamReadsStatement(streamArn),
    {
      Effect: 'Allow',
      Action: ['sqs:SendMessage'],
      Resource: { 'Fn::GetAtt': [`${deployed.prefix}FailedBatchesQueue`, 'Arn'] },
    },
    logsStatement(stage, deployed),
  ])

/**
 * Exactly what the totals stage needs: its mapping reads the partials table's stream
 * under this role, its function moves the aggregate tables and queries the partials to
 * resync one (no DescribeTable: it checks no table), and writes its own logs. Nothing of the state or Rejected tables, the
 * Kinesis stream or the queue.
 */
const totalsRoleResource = (deployed, stage, tableKmsKeyArn) =>
  lambdaRole(`winner-view-${stage}-${deployed.label}totals`, [
    {
      Effect: 'Allow',
      Action: [...TOTALS_ACTIONS.partialsStream],
      Resource: { 'Fn::GetAtt': [tableIdOf(partialsOf(deployed.view)), 'StreamArn'] },
    },
    // ListStreams takes no resource: on any, it lists stream ARNs and nothing of their data.
    { Effect: 'Allow', Action: [...TOTALS_ACTIONS.anyStream], Resource: '*' },
    {
      Effect: 'Allow',
      Action: [...TOTALS_ACTIONS.partials],
      Resource: { 'Fn::GetAtt': [tableIdOf(partialsOf(deployed.view)), 'Arn'] },
    },
    ...deployed.view.tables.aggregates.map((table) => ({
      Effect: 'Allow',
      Action: [...TOTALS_ACTIONS.aggregate],
      Resource: { 'Fn::GetAtt': [tableIdOf(table), 'Arn'] },
    })),
    ...tableKeyStatements(tableKmsKeyArn),
    logsStatement(stage, totalsOf(deployed)),
  ])

/**
 * The view's own event source mapping: its own position in every shard. Created disabled
 * when `disabledMapping` names the view: a version that `rebuild --aws` folds from the
 * archive first, then enables (it reads nothing until then, and from TRIM_HORIZON after).
 */
const mappingResource = (deployed, streamArn, params, { consumer, enabled }) => ({
  Type: 'AWS::Lambda::EventSourceMapping',
  // With an encrypted stream, the role may decrypt before the mapping first reads.
  DependsOn: [
    roleIdOf(deployed),
    ...(params.streamKmsKeyArn === 'none' ? [] : ['StreamKeyPolicy']),
  ],
  Properties: {
    FunctionName: { 'Fn::GetAtt': [functionIdOf(deployed), 'Arn'] },
    // Through its own consumer (enhanced fan-out), or as one of the stream's shared readers.
    EventSourceArn: consumer ? { Ref: consumerIdOf(deployed) } : streamArn,
    StartingPosition: 'TRIM_HORIZON',
    ...(enabled ? {} : { Enabled: false }),
    BatchSize: params.batchSize,
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    BisectBatchOnFunctionError: true,
    MaximumRetryAttempts: params.maximumRetryAttempts,
    // An event log must not age records out.
    MaximumRecordAgeInSeconds: -1,
    // One batch of a shard at a time: the shard alone adds to its partial sums, so two
    // batches of one shard at once would contend for the same items again.
    ParallelizationFactor: 1,
    DestinationConfig: {
      OnFailure: { Destination: { 'Fn::GetAtt': [`${deployed.prefix}FailedBatchesQueue`, 'Arn'] } },
    },
    MetricsConfig: { Metrics: ['EventCount'] },
  },
})

/**
 * The totals stage's mapping on the partials table's stream. Infinite retries and no
 * record age limit: a change the stage skipped would leave the totals wrong for good
 * (so no on-failure destination either). A batch failing part-way resumes at its
 * first unfinished change; one change per partial item and writer stays in order.
 */
const totalsMappingResource = (deployed) => ({
  Type: 'AWS::Lambda::EventSourceMapping',
  DependsOn: [roleIdOf(totalsOf(deployed))],
  Properties: {
    FunctionName: { 'Fn::GetAtt': [functionIdOf(totalsOf(deployed)), 'Arn'] },
    EventSourceArn: { 'Fn::GetAtt': [tableIdOf(partialsOf(deployed.view)), 'StreamArn'] },
    StartingPosition: 'TRIM_HORIZON',
    // As the local pump (src/local/totalsPump.ts): many changes of one hot item in one batch
    // make one update of its totals. No batching window: the totals trail by a poll (250 ms).
    BatchSize: 1000,
    MaximumBatchingWindowInSeconds: 0,
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    BisectBatchOnFunctionError: true,
    MaximumRetryAttempts: -1,
    MaximumRecordAgeInSeconds: -1,
    // Ten batches of a stream shard at once, in order per item: correct at any factor, as
    // each update is conditional on its own writer's version in the totals item.
    ParallelizationFactor: 10,
    // Its own counts (polled, invoked…): a mapping that stops invoking emits no IteratorAge.
    MetricsConfig: { Metrics: ['EventCount'] },
  },
})

/** The stream's name, from its ARN (a string or an intrinsic): the Kinesis metrics' dimension. */
const streamNameOf = (streamArn) => ({ 'Fn::Select': [1, { 'Fn::Split': ['/', streamArn] }] })

/**
 * Alarms from their definitions in src/ops/alarms.ts, by logical id: pages notify the page
 * topic, tickets the ticket topic, each of ALARM and of OK. See the README's alarm table.
 */
const renderedAlarms = (deployed, stage, topics, specs) =>
  alarmResourcesOf(
    specs,
    { namePrefix: `winner-view-${stage}-${deployed.label}`, idPrefix: deployed.prefix },
    topics,
  )

/** The view's alarms, and its totals stage's (named `totals-…`). */
const alarmResources = (deployed, stage, params, topics, withMapping) => {
  const { prefix, view } = deployed
  const targets = {
    functionName: { Ref: functionIdOf(deployed) },
    ...(withMapping ? { mappingId: { Ref: mappingIdOf(deployed) } } : {}),
    queueName: { 'Fn::GetAtt': [`${prefix}FailedBatchesQueue`, 'QueueName'] },
    streamName: streamNameOf(params.streamArn),
    service: view.name,
    stage,
  }
  // The totals mapping is never left out (withoutMapping names the view's own), nor its totals-stalled.
  const totals = {
    functionName: { Ref: functionIdOf(totalsOf(deployed)) },
    mappingId: { Ref: mappingIdOf(totalsOf(deployed)) },
    service: view.name,
    stage,
  }
  return renderedAlarms(deployed, stage, topics, [
    ...viewAlarms(targets, params.alarmSettings),
    ...totalsAlarms(totals, params.totalsAlarmSettings),
  ])
}

/** The stack's alarms, once: the stream's read budget, and notifications that fail. */
const stackAlarmResources = (stage, params, topics) =>
  Object.fromEntries(
    stackAlarms(streamNameOf(params.streamArn), topics.names).map((spec) => [
      alarmIdOf('', spec.name),
      alarmResource(spec, `winner-view-${stage}-${spec.name}`, topics[spec.severity]),
    ]),
  )

const PARAMS = [
  'batchSize',
  'maximumRetryAttempts',
  'iteratorAgeAlarmMs',
  'totalsIteratorAgeAlarmMs',
  'unfinishedBatchMinutes',
  'conflictsPerFiveMinutes',
  'deletionProtection',
  'streamKmsKeyArn',
  'tableKmsKeyArn',
  'withoutMapping',
  'disabledMapping',
  'enhancedFanOut',
  'warmWriteUnitsPerSecond',
  'warmReadUnitsPerSecond',
  'rejectedRetentionDays',
  'archiveKmsKeyArn',
  'archiveInfrequentAccessDays',
  'archiveExpireDays',
  'archiveIteratorAgeAlarmMs',
]

/**
 * A parameter that names readers of the stream by function key (none, or keys separated by
 * commas; the views' and the archive's): for `withoutMapping`, those whose mapping the stage
 * leaves out (Lambda refuses a second mapping of a function on a stream, and CloudFormation
 * creates a replacement before it deletes the old one: a mapping is restarted or moved in
 * two deploys, the first without it); for `enhancedFanOut`, those that read through a
 * consumer of their own. An unknown key fails loudly.
 */
const readersNamed = (name, value) => {
  const keys =
    String(value) === 'none'
      ? []
      : String(value)
          .split(',')
          .map((k) => k.trim())
  const known = new Set([...DEPLOYED.map((d) => d.functionKey), ARCHIVE_KEY])
  const unknown = keys.filter((key) => !known.has(key))
  if (unknown.length > 0)
    throw new Error(
      `winner-view: ${name} names ${unknown.join(', ')}: expected none, or some of ${[...known].join(', ')}`,
    )
  return new Set(keys)
}

/**
 * `disabledMapping`: the views (by function key) whose mapping this deploy creates
 * disabled. The archive's is never among them: nothing would enable it again.
 */
const viewsNamed = (name, value) => {
  const keys = readersNamed(name, value)
  if (keys.has(ARCHIVE_KEY))
    throw new Error(
      `winner-view: ${name} names ${ARCHIVE_KEY}: only the views' mappings are enabled by rebuild --aws (leave the archive's out with withoutMapping)`,
    )
  return keys
}

/** A queue that refuses every request not made over TLS. */
const secureTransportOnly = (queueId) => ({
  [`${queueId}Policy`]: {
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [denyPlainHttp('sqs:*', { 'Fn::GetAtt': [queueId, 'Arn'] })],
      },
    },
  },
})

/** With a stream encrypted by a customer-managed KMS key: every view's role, and the archive's, may decrypt with it. */
const streamKeyPolicy = (stage, keyArn) => ({
  StreamKeyPolicy: {
    Type: 'AWS::IAM::Policy',
    Properties: {
      PolicyName: `winner-view-${stage}-stream-key`,
      Roles: [
        ...DEPLOYED.map((deployed) => ({ Ref: roleIdOf(deployed) })),
        { Ref: ARCHIVE_ROLE_ID },
      ],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt'],
            Resource: keyArn,
            // Only through Kinesis, for reading the stream: not for anything else the key guards.
            Condition: {
              StringEquals: {
                'kms:ViaService': { 'Fn::Sub': `kinesis.\${AWS::Region}.amazonaws.com` },
              },
            },
          },
        ],
      },
    },
  },
})

/**
 * A parameter the template no longer offers fails the packaging, naming why, rather than
 * being silently ignored: the stage's params still say something the stack will not do.
 */
const REMOVED_PARAMS = {
  parallelizationFactor:
    'winner-view: parallelizationFactor is no longer a parameter (the mappings read each shard one batch at a time, as the views keep partial sums per shard and two batches of one shard would contend for them): remove it, and add shards to the stream to go faster',
}

const refuseRemovedParams = async (resolveVariable) => {
  for (const [name, why] of Object.entries(REMOVED_PARAMS))
    if ((await resolveVariable(`param:${name}, 'unset'`)) !== 'unset') throw new Error(why)
}

/** The stage's parameters, with the alarms' figures read as numbers. */
const paramsOf = async (resolveVariable) => {
  await refuseRemovedParams(resolveVariable)
  const values = await Promise.all(PARAMS.map((name) => resolveVariable(`param:${name}`)))
  const params = Object.fromEntries(PARAMS.map((name, at) => [name, values[at]]))
  const timeoutSeconds = await resolveVariable('self:provider.timeout')
  return {
    ...params,
    streamArn: await resolveVariable('self:custom.streamArn'),
    alarmSettings: {
      iteratorAgeAlarmMs: Number(params.iteratorAgeAlarmMs),
      unfinishedBatchMinutes: Number(params.unfinishedBatchMinutes),
      conflictsPerFiveMinutes: Number(params.conflictsPerFiveMinutes),
      functionTimeoutMs: Number(timeoutSeconds) * 1000,
      reserveMs: DEFAULT_RESERVE_MS,
    },
    totalsAlarmSettings: { totalsIteratorAgeAlarmMs: Number(params.totalsIteratorAgeAlarmMs) },
    archiveAlarmSettings: { archiveIteratorAgeAlarmMs: Number(params.archiveIteratorAgeAlarmMs) },
  }
}

/** The archive, reading the stream through a consumer of its own when enhancedFanOut names it. */
const archiveResources = (stage, params, topics, { withoutMapping, fanOut }) => {
  const reader = { functionKey: ARCHIVE_KEY }
  const consumer = fanOut.has(ARCHIVE_KEY)
  const archive = archiveOf({
    stage,
    params,
    topics,
    streamName: streamNameOf(params.streamArn),
    consumerId: consumer ? consumerIdOf(reader) : undefined,
    withMapping: !withoutMapping.has(ARCHIVE_KEY),
  })
  if (!consumer) return archive
  const ownConsumer = { [consumerIdOf(reader)]: consumerResource(reader, stage, params.streamArn) }
  return { ...archive, Resources: { ...archive.Resources, ...ownConsumer } }
}

/** A view's totals stage: its role and its mapping on the partials table's stream. */
const totalsResources = (deployed, stage, params) => ({
  [roleIdOf(totalsOf(deployed))]: totalsRoleResource(deployed, stage, params.tableKmsKeyArn),
  [mappingIdOf(totalsOf(deployed))]: totalsMappingResource(deployed),
})

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage')
  const params = await paramsOf(resolveVariable)
  const { streamArn } = params
  const topics = {
    page: await resolveVariable('self:custom.alarmAction'),
    ticket: await resolveVariable('self:custom.ticketAction'),
    names: await resolveVariable('self:custom.alarmTopicNames'),
  }
  const withoutMapping = readersNamed('withoutMapping', params.withoutMapping)
  const disabled = viewsNamed('disabledMapping', params.disabledMapping)
  const fanOut = readersNamed('enhancedFanOut', params.enhancedFanOut)
  const Resources = {}
  const Outputs = {}
  for (const deployed of DEPLOYED) {
    const withMapping = !withoutMapping.has(deployed.functionKey)
    const enabled = !disabled.has(deployed.functionKey)
    const consumer = fanOut.has(deployed.functionKey)
    if (consumer) Resources[consumerIdOf(deployed)] = consumerResource(deployed, stage, streamArn)
    if (withMapping)
      Outputs[`${deployed.prefix}StreamMappingId`] = { Value: { Ref: mappingIdOf(deployed) } }
    Object.assign(
      Resources,
      tableResources(deployed.view, stage, params, warmThroughputOf(params)),
      {
        [roleIdOf(deployed)]: roleResource(
          deployed,
          stage,
          streamArn,
          params.tableKmsKeyArn,
          consumer,
        ),
      },
      withMapping
        ? {
            [mappingIdOf(deployed)]: mappingResource(deployed, streamArn, params, {
              consumer,
              enabled,
            }),
          }
        : {},
      {
        [`${deployed.prefix}FailedBatchesQueue`]: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            QueueName: `winner-view-${stage}-${deployed.label}failed-batches`,
            MessageRetentionPeriod: 1209600,
            SqsManagedSseEnabled: true,
          },
        },
      },
      secureTransportOnly(`${deployed.prefix}FailedBatchesQueue`),
      totalsResources(deployed, stage, params),
      // A disabled mapping polls nothing by design: its stalled page would ring all the rebuild long.
      alarmResources(deployed, stage, params, topics, withMapping && enabled),
    )
  }
  const archive = archiveResources(stage, params, topics, { withoutMapping, fanOut })
  Object.assign(
    Resources,
    archive.Resources,
    stackAlarmResources(stage, params, topics),
    liveTableResource(stage, params),
  )
  Object.assign(Outputs, archive.Outputs)
  if (params.streamKmsKeyArn !== 'none')
    Object.assign(Resources, streamKeyPolicy(stage, params.streamKmsKeyArn))
  // The totals function takes its view's environment: its module builds both handlers.
  const environment = Object.fromEntries(
    DEPLOYED.map(({ view, functionKey }) => [
      functionKey,
      Object.fromEntries(
        tablesOf(view).map(({ table }) => [tableVariableOf(table.role), { Ref: tableIdOf(table) }]),
      ),
    ]),
  )
  return {
    resources: { Resources, Outputs },
    environment: { ...environment, archive: archiveEnvironment },
  }
}
