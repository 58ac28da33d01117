// Policy statements and roles more than one resource of the template uses: the views' and
// the archive's roles read the same stream the same way.

/** A statement refusing the actions on a resource to any request not made over TLS. */
const denyPlainHttp = (actions, resource) => ({
  Sid: 'DenyPlainHttp',
  Effect: 'Deny',
  Principal: '*',
  Action: actions,
  Resource: resource,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
})

/** A role Lambda assumes, with one inline policy of the statements given. */
const lambdaRole = (PolicyName, Statement) => ({
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
    Policies: [{ PolicyName, PolicyDocument: { Version: '2012-10-17', Statement } }],
  },
})

/** Writing to a function's own log group, which serverless creates. */
const logsStatement = (stage, { functionKey }) => ({
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: {
    'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/winner-view-${stage}-${functionKey}:*`,
  },
})

/** What an event source mapping reads the stream with, under its function's role. */
const streamReadsStatement = (streamArn) => ({
  Effect: 'Allow',
  Action: [
    'kinesis:DescribeStream',
    'kinesis:DescribeStreamSummary',
    'kinesis:GetRecords',
    'kinesis:GetShardIterator',
    'kinesis:ListShards',
  ],
  Resource: streamArn,
})

/** What a role needs to read through a consumer of its own (by logical id): subscribe to it, and describe it. */
const consumerStatements = (consumerId) =>
  consumerId === undefined
    ? []
    : [
        {
          Effect: 'Allow',
          Action: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'],
          Resource: { Ref: consumerId },
        },
      ]

module.exports = {
  consumerStatements,
  denyPlainHttp,
  lambdaRole,
  logsStatement,
  streamReadsStatement,
}
