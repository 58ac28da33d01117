// Renders each view as its own deployment: its tables (from the one definition in the
// code), a least-privilege role, its event source mapping on the stream, the queue where
// Lambda describes a batch it gave up on, and its alarms. Each view keeps its own
// position, so a poison record or an outage of one never holds up the other.
const { require: requireTs } = require('tsx/cjs/api')

const { tableNameFor, tableVariableOf, TABLE_ACTIONS } = requireTs(
  '../src/runtime/tables.ts',
  __filename,
)
const { winnerView } = requireTs('../src/views/winner.ts', __filename)
const { categorySalesView } = requireTs('../src/views/categorySales.ts', __filename)

// The winner view's logical ids and names predate the second view: kept as they were,
// or CloudFormation would replace its tables, mapping and alarms.
const DEPLOYED = [
  { view: winnerView, functionKey: 'winner', prefix: '', label: '' },
  {
    view: categorySalesView,
    functionKey: 'categorySales',
    prefix: 'CategorySales',
    label: 'category-sales-',
  },
]

const capitalised = (text) => `${text[0].toUpperCase()}${text.slice(1)}`
const functionIdOf = ({ functionKey }) => `${capitalised(functionKey)}LambdaFunction`
const roleIdOf = ({ functionKey }) => `${capitalised(functionKey)}Role`
const mappingIdOf = ({ functionKey }) => `${capitalised(functionKey)}StreamMapping`
const tableIdOf = (table) => `${table.suffix}Table`
const tablesOf = (view) => [
  { table: view.tables.state, actions: TABLE_ACTIONS.state },
  ...view.tables.aggregates.map((table) => ({ table, actions: TABLE_ACTIONS.aggregate })),
  { table: view.tables.rejected, actions: TABLE_ACTIONS.rejected },
]

const tableResources = (view, stage, deletionProtection) =>
  Object.fromEntries(
    tablesOf(view).map(({ table }) => [
      tableIdOf(table),
      {
        Type: 'AWS::DynamoDB::Table',
        // Kept when the stack is removed or the table replaced, but not when the stack
        // that first creates it rolls back: a failed first deploy leaves nothing behind.
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          TableName: tableNameFor(stage, table.suffix),
          BillingMode: 'PAY_PER_REQUEST',
          ...table.definition,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: deletionProtection === true || deletionProtection === 'true',
        },
      },
    ]),
  )

/** Exactly the calls the view's function makes, on its own tables, stream, queue and logs. */
const roleResource = (deployed, stage, streamArn) => {
  const logGroup = `/aws/lambda/winner-view-${stage}-${deployed.functionKey}`
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: ['lambda.amazonaws.com'] },
            Action: ['sts:AssumeRole'],
          },
        ],
      },
      Policies: [
        {
          PolicyName: `winner-view-${stage}-${deployed.label}function`,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              ...tablesOf(deployed.view).map(({ table, actions }) => ({
                Effect: 'Allow',
                Action: [...actions],
                Resource: { 'Fn::GetAtt': [tableIdOf(table), 'Arn'] },
              })),
              {
                Effect: 'Allow',
                Action: [
                  'kinesis:DescribeStream',
                  'kinesis:DescribeStreamSummary',
                  'kinesis:GetRecords',
                  'kinesis:GetShardIterator',
                  'kinesis:ListShards',
                ],
                Resource: streamArn,
              },
              {
                Effect: 'Allow',
                Action: ['sqs:SendMessage'],
                Resource: { 'Fn::GetAtt': [`${deployed.prefix}FailedBatchesQueue`, 'Arn'] },
              },
              {
                Effect: 'Allow',
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Resource: {
                  'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${logGroup}:*`,
                },
              },
            ],
          },
        },
      ],
    },
  }
}

/** The view's own event source mapping: its own position in every shard. */
const mappingResource = (deployed, streamArn, params) => ({
  Type: 'AWS::Lambda::EventSourceMapping',
  DependsOn: [roleIdOf(deployed)],
  Properties: {
    FunctionName: { 'Fn::GetAtt': [functionIdOf(deployed), 'Arn'] },
    EventSourceArn: streamArn,
    StartingPosition: 'TRIM_HORIZON',
    BatchSize: params.batchSize,
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    BisectBatchOnFunctionError: true,
    MaximumRetryAttempts: params.maximumRetryAttempts,
    // An event log must not age records out.
    MaximumRecordAgeInSeconds: -1,
    ParallelizationFactor: params.parallelizationFactor,
    DestinationConfig: {
      OnFailure: { Destination: { 'Fn::GetAtt': [`${deployed.prefix}FailedBatchesQueue`, 'Arn'] } },
    },
    MetricsConfig: { Metrics: ['EventCount'] },
  },
})

const alarm = (name, description, metric, settings, alarmAction) => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: {
    AlarmName: name,
    AlarmDescription: description,
    ...metric,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
    AlarmActions: [alarmAction],
    ...settings,
  },
})

/** The view's alarms: each means sales late, not counted, or kept aside. See the README's runbook. */
const alarmResources = (deployed, stage, params, alarmAction) => {
  const { prefix, label, view } = deployed
  const name = (what) => `winner-view-${stage}-${label}${what}`
  const lambdaMetric = (MetricName) => ({
    Namespace: 'AWS/Lambda',
    MetricName,
    Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionIdOf(deployed) } }],
  })
  const viewMetric = (MetricName) => ({
    Namespace: 'WinnerView',
    MetricName,
    Dimensions: [
      { Name: 'service', Value: view.name },
      { Name: 'stage', Value: stage },
    ],
  })
  const sum5 = { Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 0 }
  return {
    // The shard is falling behind: records wait longer and longer to be folded.
    [`${prefix}IteratorAgeAlarm`]: alarm(
      name('iterator-age'),
      'The oldest unprocessed record is old; see the README runbook.',
      lambdaMetric('IteratorAge'),
      {
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 5,
        Threshold: params.iteratorAgeAlarmMs,
        OKActions: [alarmAction],
      },
      alarmAction,
    ),
    // The function itself failed (a crash, a timeout, an error at load).
    [`${prefix}ErrorsAlarm`]: alarm(
      name('errors'),
      'The function failed; see the README runbook.',
      lambdaMetric('Errors'),
      sum5,
      alarmAction,
    ),
    [`${prefix}ThrottlesAlarm`]: alarm(
      name('throttles'),
      'Invocations were throttled (reserved concurrency below shards x parallelization factor?).',
      lambdaMetric('Throttles'),
      sum5,
      alarmAction,
    ),
    // Batches keep ending with unfinished records: Lambda counts those invocations as
    // successful, so Errors stays flat; only this metric of the view's own shows it.
    [`${prefix}UnfinishedBatchesAlarm`]: alarm(
      name('unfinished-batches'),
      'Batches keep leaving records unfinished (DynamoDB failing or misconfigured).',
      viewMetric('unfinishedBatches'),
      {
        ...sum5,
        EvaluationPeriods: params.unfinishedBatchPeriods,
        DatapointsToAlarm: params.unfinishedBatchPeriods,
      },
      alarmAction,
    ),
    // Any record kept in Rejected: nothing is lost, but someone should look.
    [`${prefix}RejectedAlarm`]: alarm(
      name('rejected'),
      'Records went to Rejected; list them with winner-view rejected list.',
      viewMetric('rejected'),
      sum5,
      alarmAction,
    ),
    // Lambda gave up on a batch (only with a finite maximumRetryAttempts): sales skipped.
    [`${prefix}FailedBatchesAlarm`]: alarm(
      name('failed-batches'),
      'Lambda skipped a batch; its description is in the failed-batches queue.',
      {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [`${prefix}FailedBatchesQueue`, 'QueueName'] },
          },
        ],
      },
      { ...sum5, Statistic: 'Maximum' },
      alarmAction,
    ),
  }
}

const PARAMS = [
  'batchSize',
  'maximumRetryAttempts',
  'parallelizationFactor',
  'iteratorAgeAlarmMs',
  'unfinishedBatchPeriods',
  'deletionProtection',
  'streamKmsKeyArn',
]

/** With a stream encrypted by a customer-managed KMS key: every view's role may decrypt with it. */
const streamKeyPolicy = (stage, keyArn) => ({
  StreamKeyPolicy: {
    Type: 'AWS::IAM::Policy',
    Properties: {
      PolicyName: `winner-view-${stage}-stream-key`,
      Roles: DEPLOYED.map((deployed) => ({ Ref: roleIdOf(deployed) })),
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: keyArn }],
      },
    },
  },
})

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage')
  const streamArn = await resolveVariable('self:custom.streamArn')
  const alarmAction = await resolveVariable('self:custom.alarmAction')
  const values = await Promise.all(PARAMS.map((name) => resolveVariable(`param:${name}`)))
  const params = Object.fromEntries(PARAMS.map((name, at) => [name, values[at]]))
  const Resources = {}
  for (const deployed of DEPLOYED) {
    Object.assign(
      Resources,
      tableResources(deployed.view, stage, params.deletionProtection),
      { [roleIdOf(deployed)]: roleResource(deployed, stage, streamArn) },
      {
        [mappingIdOf(deployed)]: mappingResource(deployed, streamArn, params),
      },
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
      alarmResources(deployed, stage, params, alarmAction),
    )
  }
  if (params.streamKmsKeyArn !== 'none')
    Object.assign(Resources, streamKeyPolicy(stage, params.streamKmsKeyArn))
  const environment = Object.fromEntries(
    DEPLOYED.map(({ view, functionKey }) => [
      functionKey,
      Object.fromEntries(
        tablesOf(view).map(({ table }) => [tableVariableOf(table.role), { Ref: tableIdOf(table) }]),
      ),
    ]),
  )
  return { resources: { Resources }, environment }
}
