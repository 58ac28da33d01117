// Renders the one table definition (src/adapters/tables.ts) as CloudFormation, so the
// deployed tables cannot drift from what the code, the local stack and the tests use.
const { require: requireTs } = require('tsx/cjs/api')

const { viewTables } = requireTs('../src/adapters/tables.ts', __filename)

const logicalIds = {
  contributions: 'ContributionsTable',
  scores: 'ScoresTable',
  rejected: 'RejectedTable',
}

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage')
  const Resources = {}
  for (const [role, { suffix, definition }] of Object.entries(viewTables)) {
    Resources[logicalIds[role]] = {
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: `${stage}-${suffix}`,
        BillingMode: 'PAY_PER_REQUEST',
        ...definition,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    }
  }
  return { Resources }
}
