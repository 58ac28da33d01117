// Renders the one table definition (src/adapters/tables.ts) as CloudFormation, so the
// deployed tables cannot drift from what the code, the local stack and the tests use.
const { require: requireTs } = require('tsx/cjs/api')

const { tableNamesFor, viewTables } = requireTs('../src/adapters/tables.ts', __filename)

const logicalIds = {
  contributions: 'ContributionsTable',
  scores: 'ScoresTable',
  rejected: 'RejectedTable',
}

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage')
  const deletionProtection = await resolveVariable('param:deletionProtection')
  const names = tableNamesFor(stage)
  const Resources = {}
  for (const [role, { definition }] of Object.entries(viewTables)) {
    Resources[logicalIds[role]] = {
      Type: 'AWS::DynamoDB::Table',
      // Kept when the stack is removed or the table replaced, but not when the stack
      // that first creates it rolls back: a failed first deploy leaves nothing behind.
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: names[role],
        BillingMode: 'PAY_PER_REQUEST',
        ...definition,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: deletionProtection === true || deletionProtection === 'true',
      },
    }
  }
  return { Resources }
}
