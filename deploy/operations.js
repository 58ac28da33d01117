// What the stage's parameters decide at packaging time, rather than with CloudFormation
// conditions on values already known: where alarms notify, pages and tickets apart (each
// a topic of the stack's own, with an optional e-mail subscription, or an existing one). Whether the functions may
// decrypt a stream encrypted with a customer-managed key is decided in views.js.
const { denyPlainHttp } = require('./policies')

const NONE = 'none'

/**
 * CloudWatch may publish the stage's alarms to the topic: only alarms of this account named
 * for the stage (an SNS topic policy replaces the default one, which allowed the account).
 */
const alarmsMayPublish = (stage, topic) => ({
  Sid: 'StageAlarmsPublish',
  Effect: 'Allow',
  Principal: { Service: 'cloudwatch.amazonaws.com' },
  Action: 'sns:Publish',
  Resource: topic,
  Condition: {
    StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    ArnLike: {
      'aws:SourceArn': {
        'Fn::Sub': `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:winner-view-${stage}-*`,
      },
    },
  },
})

/** A topic of the stack's own, with an optional e-mail subscription; or the one named. */
const topicOf = (stage, logicalId, topicName, topicArn, email) => {
  if (topicArn !== NONE)
    return { action: topicArn, name: topicArn.split(':').at(-1), resources: {} }
  const resources = {
    [logicalId]: { Type: 'AWS::SNS::Topic', Properties: { TopicName: topicName } },
    // A topic policy replaces the default one: it must let the stage's alarms publish,
    // and it refuses publishing and subscribing over plain HTTP.
    [`${logicalId}Policy`]: {
      Type: 'AWS::SNS::TopicPolicy',
      Properties: {
        Topics: [{ Ref: logicalId }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            alarmsMayPublish(stage, { Ref: logicalId }),
            denyPlainHttp(['sns:Publish', 'sns:Subscribe'], { Ref: logicalId }),
          ],
        },
      },
    },
  }
  if (email !== NONE)
    resources[`${logicalId}EmailSubscription`] = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: logicalId }, Protocol: 'email', Endpoint: email },
    }
  return { action: { Ref: logicalId }, name: { 'Fn::GetAtt': [logicalId, 'TopicName'] }, resources }
}

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage')
  const param = (name) => resolveVariable(`param:${name}`)
  // Pages (a shard stopped, sales skipped) and tickets (someone should look) apart.
  const pages = topicOf(
    stage,
    'AlarmTopic',
    `winner-view-${stage}-alarms`,
    await param('alarmTopicArn'),
    await param('alarmEmail'),
  )
  const tickets = topicOf(
    stage,
    'TicketTopic',
    `winner-view-${stage}-tickets`,
    await param('ticketTopicArn'),
    await param('ticketEmail'),
  )
  return {
    alarmAction: pages.action,
    ticketAction: tickets.action,
    alarmTopicNames: [pages.name, tickets.name],
    resources: { Resources: { ...pages.resources, ...tickets.resources } },
  }
}
