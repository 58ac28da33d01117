// Renders the stream's archive: every record the stream delivers, kept in an S3 bucket of
// the stack's own for longer than the stream keeps it (src/handlers/archive.ts writes it, a
// batch an object; the archive reader and replay read it back). Its own function, role,
// event source mapping and alarms, apart from the views': the archive falling behind holds
// up no view, nor a view the archive. deploy/views.js calls it with the stage's parameters.
const { require: requireTs } = require('tsx/cjs/api')
const {
  consumerStatements,
  denyPlainHttp,
  lambdaRole,
  logsStatement,
  streamReadsStatement,
} = require('./policies')

const { ARCHIVE_BUCKET_VARIABLE } = requireTs('../src/runtime/archiveLambda.ts', __filename)
const { alarmResourcesOf, archiveAlarms } = requireTs('../src/ops/alarms.ts', __filename)

/** The archive's function key (serverless.yml), as withoutMapping and enhancedFanOut name it. */
const ARCHIVE_KEY = 'archive'
const BUCKET_ID = 'ArchiveBucket'
const ROLE_ID = 'ArchiveRole'
const FUNCTION_ID = 'ArchiveLambdaFunction'
const MAPPING_ID = 'ArchiveStreamMapping'
const NONE = 'none'

/** S3 moves an object to STANDARD_IA no sooner than 30 days after it is written. */
const LEAST_INFREQUENT_ACCESS_DAYS = 30

/** A parameter that is none, or a whole number of days of at least `least`; anything else fails the packaging, naming it. */
const daysOrNone = (name, value, least, why) => {
  if (String(value) === NONE) return undefined
  const days = Number(value)
  if (Number.isInteger(days) && days >= least) return days
  throw new Error(
    `winner-view: ${name} is "${value}": expected none, or a whole number of days of at least ${least} (${why})`,
  )
}

/**
 * The bucket's lifecycle: to STANDARD_IA after archiveInfrequentAccessDays, deleted after
 * archiveExpireDays, each unless none. Checked here, where S3 would refuse it only at deploy.
 */
const lifecycleOf = ({ archiveInfrequentAccessDays, archiveExpireDays }) => {
  const infrequentAccess = daysOrNone(
    'archiveInfrequentAccessDays',
    archiveInfrequentAccessDays,
    LEAST_INFREQUENT_ACCESS_DAYS,
    'S3 moves an object to STANDARD_IA no sooner than 30 days after it is written',
  )
  const expire = daysOrNone(
    'archiveExpireDays',
    archiveExpireDays,
    (infrequentAccess ?? 0) + 1,
    infrequentAccess === undefined
      ? 'or none to keep the archive for good'
      : 'S3 expires an object only after its transition to STANDARD_IA',
  )
  if (infrequentAccess === undefined && expire === undefined) return {}
  return {
    LifecycleConfiguration: {
      // Objects under 128 KB stay in STANDARD (S3's default minimum size for a transition):
      // STANDARD_IA bills each object as 128 KB at least, so a quiet shard's small batches cost less where they are.
      Rules: [
        {
          Id: 'archive-storage',
          Status: 'Enabled',
          // The records alone: a shard's manifest (under shards/) is written once and must outlive them.
          Prefix: 'records/',
          ...(infrequentAccess === undefined
            ? {}
            : {
                Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: infrequentAccess }],
              }),
          ...(expire === undefined ? {} : { ExpirationInDays: expire }),
        },
      ],
    },
  }
}

/** SSE-S3, or the customer-managed key given, with a bucket key (one KMS call per bucket key, not per object). */
const encryptionOf = (archiveKmsKeyArn) => ({
  ServerSideEncryptionConfiguration: [
    archiveKmsKeyArn === NONE
      ? { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }
      : {
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: archiveKmsKeyArn,
          },
          BucketKeyEnabled: true,
        },
  ],
})

/**
 * The archive's bucket, named by CloudFormation (a bucket name is global: a fixed one could
 * clash with any account's). No versioning: the role only puts, and a key is only ever
 * written again with the same bytes (a batch delivered again), so versions would keep copies.
 */
const bucketResource = (params) => ({
  Type: 'AWS::S3::Bucket',
  // The only copy of what the stream no longer holds: kept when the stack is removed or the
  // bucket replaced, and, as nothing names it, an empty one a failed first deploy leaves clashes with nothing.
  DeletionPolicy: 'Retain',
  UpdateReplacePolicy: 'Retain',
  Properties: {
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
    // No ACLs: the account owns every object.
    OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    BucketEncryption: encryptionOf(params.archiveKmsKeyArn),
    ...lifecycleOf(params),
  },
})

const objectsArn = { 'Fn::Sub': `\${${BUCKET_ID}.Arn}/*` }

/** A bucket that refuses every request not made over TLS. */
const bucketPolicyResource = () => ({
  Type: 'AWS::S3::BucketPolicy',
  Properties: {
    Bucket: { Ref: BUCKET_ID },
    PolicyDocument: {
      Version: '2012-10-17',
      Statement: [denyPlainHttp('s3:*', [{ 'Fn::GetAtt': [BUCKET_ID, 'Arn'] }, objectsArn])],
    },
  },
})

/** What the role needs of the archive's customer-managed key to put objects, through S3 only. */
const archiveKeyStatements = (archiveKmsKeyArn) =>
  archiveKmsKeyArn === NONE
    ? []
    : [
        {
          Effect: 'Allow',
          // A PutObject under SSE-KMS asks KMS for a data key only.
          Action: ['kms:GenerateDataKey'],
          Resource: archiveKmsKeyArn,
          Condition: {
            StringEquals: { 'kms:ViaService': { 'Fn::Sub': `s3.\${AWS::Region}.amazonaws.com` } },
          },
        },
      ]

/**
 * Exactly the calls the archive makes: its mapping's reads of the stream (ListShards is
 * the handler's own call too: a shard's parents), PutObject on the bucket's objects and
 * nothing else of S3 (no reads, lists or deletes), and its own logs. The stream's key is
 * granted with the views' (StreamKeyPolicy, deploy/views.js).
 */
const roleResource = (stage, params, consumerId) =>
  lambdaRole(`winner-view-${stage}-archive`, [
    streamReadsStatement(params.streamArn),
    ...consumerStatements(consumerId),
    { Effect: 'Allow', Action: ['s3:PutObject'], Resource: objectsArn },
    ...archiveKeyStatements(params.archiveKmsKeyArn),
    logsStatement(stage, { functionKey: ARCHIVE_KEY }),
  ])

/**
 * The archive's own event source mapping: its own position in every shard. Big objects, few
 * PUTs: up to 10,000 records or 60 s a batch, as how far the archive trails does not matter.
 */
const mappingResource = (params, consumerId) => ({
  Type: 'AWS::Lambda::EventSourceMapping',
  // With an encrypted stream, the role may decrypt before the mapping first reads.
  DependsOn: [ROLE_ID, ...(params.streamKmsKeyArn === NONE ? [] : ['StreamKeyPolicy'])],
  Properties: {
    FunctionName: { 'Fn::GetAtt': [FUNCTION_ID, 'Arn'] },
    EventSourceArn: consumerId === undefined ? params.streamArn : { Ref: consumerId },
    StartingPosition: 'TRIM_HORIZON',
    BatchSize: 10000,
    MaximumBatchingWindowInSeconds: 60,
    // The archive is the history: a failing batch is split and retried until written, never
    // skipped nor aged out (so no on-failure destination). The handler throws the whole batch.
    BisectBatchOnFunctionError: true,
    MaximumRetryAttempts: -1,
    MaximumRecordAgeInSeconds: -1,
    // A batch holds a whole range of its shard: with more than one batch of a shard at once,
    // each would hold a share of its partition keys, and the reader, which reads a shard's
    // objects in key order and skips records not after the last it read, would skip the others'.
    ParallelizationFactor: 1,
    // Its own counts (polled, invoked…): a mapping that stops invoking emits no IteratorAge.
    MetricsConfig: { Metrics: ['EventCount'] },
  },
})

/**
 * The archive's resources and outputs for a stage: its bucket, role, mapping (unless
 * `withMapping` is false) and alarms. `consumerId`: its own stream consumer's logical id,
 * when enhancedFanOut names it.
 */
const archiveOf = ({ stage, params, topics, streamName, consumerId, withMapping }) => {
  const targets = {
    functionName: { Ref: FUNCTION_ID },
    ...(withMapping ? { mappingId: { Ref: MAPPING_ID } } : {}),
    streamName,
  }
  return {
    Resources: {
      [BUCKET_ID]: bucketResource(params),
      [`${BUCKET_ID}Policy`]: bucketPolicyResource(),
      [ROLE_ID]: roleResource(stage, params, consumerId),
      ...(withMapping ? { [MAPPING_ID]: mappingResource(params, consumerId) } : {}),
      ...alarmResourcesOf(
        archiveAlarms(targets, params.archiveAlarmSettings),
        { namePrefix: `winner-view-${stage}-`, idPrefix: '' },
        topics,
      ),
    },
    Outputs: {
      ArchiveBucketName: { Value: { Ref: BUCKET_ID } },
      ...(withMapping ? { ArchiveStreamMappingId: { Value: { Ref: MAPPING_ID } } } : {}),
    },
  }
}

/** The archive function's environment: its bucket's name. */
const archiveEnvironment = { [ARCHIVE_BUCKET_VARIABLE]: { Ref: BUCKET_ID } }

module.exports = { ARCHIVE_KEY, ARCHIVE_ROLE_ID: ROLE_ID, archiveEnvironment, archiveOf }
