// What the stage's parameters decide at packaging time, rather than with CloudFormation
// conditions on values already known: where alarms notify (a topic of the stack's own,
// with an optional e-mail subscription, or an existing one). Whether the functions may
// decrypt a stream encrypted with a customer-managed key is decided in views.js.
const NONE = 'none'

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage')
  const topicArn = await resolveVariable('param:alarmTopicArn')
  const email = await resolveVariable('param:alarmEmail')
  const Resources = {}
  if (topicArn === NONE) {
    Resources.AlarmTopic = {
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: `winner-view-${stage}-alarms` },
    }
    if (email !== NONE) {
      Resources.AlarmEmailSubscription = {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: email },
      }
    }
  }
  return {
    alarmAction: topicArn === NONE ? { Ref: 'AlarmTopic' } : topicArn,
    resources: { Resources },
  }
}
