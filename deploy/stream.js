// The retail stream's ARN when no `streamArn` parameter names it: on the local and dev
// stages, the stream `${stage}Stream` of the account and region; on any other stage a
// clear error, so that a deployment never points at a stream nobody chose.
const STAGES_WITH_A_DEFAULT_STREAM = new Set(['local', 'dev'])

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage')
  if (!STAGES_WITH_A_DEFAULT_STREAM.has(stage)) {
    throw new Error(
      `winner-view: stage "${stage}" needs the retail stream: add streamArn under params.${stage} in serverless.yml, or pass --param="streamArn=arn:aws:kinesis:REGION:ACCOUNT:stream/NAME"`,
    )
  }
  const partition = { Ref: 'AWS::Partition' }
  const region = { Ref: 'AWS::Region' }
  const account = { Ref: 'AWS::AccountId' }
  return {
    streamArn: {
      'Fn::Join': [
        '',
        ['arn:', partition, ':kinesis:', region, ':', account, `:stream/${stage}Stream`],
      ],
    },
  }
}
